// @ts-check

/**
 * The agent's retries: how many analyses of a migration failed in a row,
 * when the next one may run, and the last error. Kept on the migration so
 * that a restart (or another replica) picks up where the last attempt left.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('migration', table => {
    table.integer('analysis_attempts').notNullable().defaultTo(0);
    table.timestamp('analysis_retry_at', { useTz: true }).nullable();
    table.text('analysis_error').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('migration', table => {
    table.dropColumn('analysis_attempts');
    table.dropColumn('analysis_retry_at');
    table.dropColumn('analysis_error');
  });
};
