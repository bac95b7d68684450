// @ts-check

/**
 * Claims on migrations' analyses (docs/backend.md, "The agent"): every
 * replica runs the agent, and a replica claims the analysis of one
 * migration at a time, with a token and a lease, so that several replicas
 * analyse different migrations at once and a dead replica's analysis is
 * taken over once its lease runs out.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('migration', table => {
    table
      .string('analysis_claimed_by', 64)
      .nullable()
      .comment('The token of the replica analysing it');
    table.timestamp('analysis_claim_until', { useTz: true }).nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('migration', table => {
    table.dropColumn('analysis_claimed_by');
    table.dropColumn('analysis_claim_until');
  });
};
