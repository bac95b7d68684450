// @ts-check

/**
 * - `rollout_consumer.validation_paused_id`: the last validation (of the
 *   consumer's current patch) that paused the rollout, under a plan with
 *   `requireValidation` (docs/validation.md). A failed validation pauses
 *   the rollout once: after a person resumes it, the same validation holds
 *   the wave without pausing it again; a new one (a re-run, a new patch
 *   version) that fails pauses it again. Set by a compare-and-set in the
 *   transaction of the pause, so two replicas pause once.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('rollout_consumer', table => {
    table
      .integer('validation_paused_id')
      .nullable()
      .comment(
        'The id of the last validation of its patch that paused the rollout',
      );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('rollout_consumer', table => {
    table.dropColumn('validation_paused_id');
  });
};
