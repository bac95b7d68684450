// @ts-check

/**
 * Engine versions (docs/backend.md, "Engine versions and the canary"):
 * - `patch.engine_version`: the version of the engine that made the patch;
 *   null for patches made before it was recorded (shown as unknown, and
 *   treated as made by another version than the one running).
 * - `engine_canary`: one row per engine version the backend ran while open
 *   migrations held patches of another version: its sample's state
 *   (`sampling`, `awaiting_decision`), then the administrator's decision
 *   (`accepted`, `refused`).
 * - `engine_canary_consumer`: one sampled consumer, its current patch and
 *   what the new version proposes instead, classified.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('patch', table => {
    table
      .string('engine_version', 64)
      .nullable()
      .comment('The version of the engine that made the patch');
  });
  await knex.schema.createTable('engine_canary', table => {
    table.comment(
      'A new engine version tried on a sample of open migrations before it re-proposes them',
    );
    table.increments('id').primary();
    table
      .string('engine_version', 64)
      .notNullable()
      .unique({ indexName: 'engine_canary_version_uniq' })
      .comment('The new version');
    table
      .text('previous_versions')
      .notNullable()
      .comment(
        'The versions of the current patches it was compared with, as a JSON array (null for unknown)',
      );
    table
      .string('state', 32)
      .notNullable()
      .comment('sampling, awaiting_decision, accepted or refused');
    table.string('decided_by', 512).nullable();
    table.text('decision_comment').nullable();
    table.timestamp('decided_at', { useTz: true }).nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('sampled_at', { useTz: true }).nullable();
  });
  await knex.schema.createTable('engine_canary_consumer', table => {
    table.comment(
      'One consumer of the sample: its current patch and the new proposal',
    );
    table.increments('id').primary();
    table
      .integer('canary_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('engine_canary')
      .onDelete('CASCADE');
    table.string('migration_id', 36).notNullable();
    table.string('consumer_ref', 512).notNullable();
    table
      .integer('patch_id')
      .unsigned()
      .notNullable()
      .comment('The current patch it was compared with');
    table
      .string('outcome', 32)
      .notNullable()
      .comment('unchanged, changed, newly_rewritten or newly_for_a_person');
    table.text('diff', 'longtext').notNullable();
    table.string('status', 32).notNullable();
    table.text('reasons', 'longtext').notNullable();
    table.string('base_hash', 128).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.unique(['canary_id', 'migration_id', 'consumer_ref'], {
      indexName: 'engine_canary_consumer_uniq',
    });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('engine_canary_consumer');
  await knex.schema.dropTable('engine_canary');
  await knex.schema.alterTable('patch', table => {
    table.dropColumn('engine_version');
  });
};
