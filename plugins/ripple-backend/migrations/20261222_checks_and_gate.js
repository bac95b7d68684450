// @ts-check

/**
 * - `health_signal.failed_checks`: checks failed on a delivered patch (the
 *   `checks` source reads them from its delivery: a pull request's CI, a
 *   branch's statuses). Any is a breach.
 * - `rollout_consumer.health_source`: the source of the signal the
 *   consumer's health was last judged by, shown with its health.
 * - `rollout.gate_decision`: the active wave's last gate decision
 *   (`ready`, or why not), so that a `gate-changed` event is recorded
 *   only when a step decides differently, by a compare-and-set.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('health_signal', table => {
    table
      .integer('failed_checks')
      .nullable()
      .comment('Checks failed on the delivered patch');
  });
  await knex.schema.alterTable('rollout_consumer', table => {
    table
      .string('health_source')
      .nullable()
      .comment('The source of the signal its health was judged by');
  });
  await knex.schema.alterTable('rollout', table => {
    table
      .text('gate_decision')
      .nullable()
      .comment("The active wave's last gate decision: ready, or why not");
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('rollout', table => {
    table.dropColumn('gate_decision');
  });
  await knex.schema.alterTable('rollout_consumer', table => {
    table.dropColumn('health_source');
  });
  await knex.schema.alterTable('health_signal', table => {
    table.dropColumn('failed_checks');
  });
};
