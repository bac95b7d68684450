// @ts-check

/**
 * - `rollout_consumer.health_observed_at`: when the last signal judged for
 *   the consumer was observed. A signal is judged (marks the consumer healthy
 *   or unhealthy, pauses the rollout) only when observed after it, so an old
 *   signal arriving late cannot undo a newer verdict.
 * - `compat_view.override_reason`: a rollout started without the
 *   compatibility view its change needs, by `applied_by`, for this reason
 *   (null when the view was applied).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('rollout_consumer', table => {
    table
      .timestamp('health_observed_at', { useTz: true })
      .nullable()
      .comment('When the last signal judged for this consumer was observed');
  });
  await knex.schema.alterTable('compat_view', table => {
    table
      .text('override_reason')
      .nullable()
      .comment(
        'Why the rollout started without the view; null when it was applied',
      );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('compat_view', table => {
    table.dropColumn('override_reason');
  });
  await knex.schema.alterTable('rollout_consumer', table => {
    table.dropColumn('health_observed_at');
  });
};
