// @ts-check

/**
 * When a consumer runs the patch (docs/rollout.md, "When a wave soaks"):
 * - `rollout_consumer.merged_at`: when its delivery was first seen merged
 *   (or marked merged by a person); null while it is not merged.
 * - `health_signal.last_success_at`: when the consumer last ran
 *   successfully, as a source that knows its runs saw it (OpenLineage's
 *   last COMPLETE run); its first one after the merge is when the consumer
 *   runs the patch.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('rollout_consumer', table => {
    table
      .timestamp('merged_at', { useTz: true })
      .nullable()
      .comment('When its delivery was first seen merged');
  });
  await knex.schema.alterTable('health_signal', table => {
    table
      .timestamp('last_success_at', { useTz: true })
      .nullable()
      .comment('When the consumer last ran successfully, as the source saw it');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('health_signal', table => {
    table.dropColumn('last_success_at');
  });
  await knex.schema.alterTable('rollout_consumer', table => {
    table.dropColumn('merged_at');
  });
};
