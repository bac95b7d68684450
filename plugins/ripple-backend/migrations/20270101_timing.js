// @ts-check

/**
 * Rollout timing (docs/rollout.md, "Timing"):
 * - `migration.stopped_at`, `stopped_by`, `stopped_reason`: the kill
 *   switch. While `stopped_at` is set, nothing automatic happens to the
 *   migration (the agent's refresh, approvals by policy, deliveries, wave
 *   advances) until someone resumes it. On the migration, not the rollout:
 *   the agent proposes before any rollout starts.
 * - `migration_event.dedupe_key`: a warning recorded once per key (an
 *   upstream cycle found by each step), however many steps and replicas
 *   find it; unique, so two replicas cannot both write it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('migration', table => {
    table
      .timestamp('stopped_at', { useTz: true })
      .nullable()
      .comment(
        'When the kill switch stopped its automatic steps; null when running',
      );
    table.string('stopped_by', 255).nullable().comment('Who stopped it');
    table.text('stopped_reason').nullable().comment('Why it was stopped');
  });
  await knex.schema.alterTable('migration_event', table => {
    table
      .string('dedupe_key', 255)
      .nullable()
      .comment('An event recorded once per key and migration (a warning)');
    table.unique(['migration_id', 'dedupe_key'], {
      indexName: 'migration_event_dedupe_key_idx',
    });
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('migration_event', table => {
    table.dropUnique(
      ['migration_id', 'dedupe_key'],
      'migration_event_dedupe_key_idx',
    );
    table.dropColumn('dedupe_key');
  });
  await knex.schema.alterTable('migration', table => {
    table.dropColumn('stopped_reason');
    table.dropColumn('stopped_by');
    table.dropColumn('stopped_at');
  });
};
