// @ts-check

/**
 * Consumers that stopped reading the dataset: a re-analysis (or a refresh of
 * their code) that no longer finds them marks them removed instead of
 * deleting them, so their patches and reviews stay as history; they are left
 * out of the migration from then on, and come back if found again.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('migration_consumer', table => {
    table
      .timestamp('removed_at', { useTz: true })
      .nullable()
      .comment('When the consumer was found no longer reading the dataset');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('migration_consumer', table => {
    table.dropColumn('removed_at');
  });
};
