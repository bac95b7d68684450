// @ts-check

/**
 * - `rollout_consumer.claim_token`: who holds the consumer's claim (a random
 *   token per claim). The holder renews (`claimed_at`) and releases the
 *   claim only while the token is still its own, so a late release cannot
 *   free a claim another runner took meanwhile, even in the same
 *   millisecond.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('rollout_consumer', table => {
    table
      .string('claim_token', 64)
      .nullable()
      .comment('The token of the claim in claimed_at, set by its holder');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('rollout_consumer', table => {
    table.dropColumn('claim_token');
  });
};
