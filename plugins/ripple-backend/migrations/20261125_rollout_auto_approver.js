// @ts-check

/**
 * Who auto-approves the patches of a rollout whose plan allows it: the
 * reviewer recorded on each auto-approval (the policy that allowed it, e.g.
 * `policy:ripple/auto-approval-config` for the config), so that an
 * auto-approved patch counts as approved like one a person approved.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('rollout', table => {
    table
      .string('auto_approver', 512)
      .nullable()
      .comment('Reviewer of auto-approvals (the policy allowing them); null when the plan does not auto-approve');
    table
      .text('auto_approval_reason')
      .nullable()
      .comment('Why patches are auto-approved, the comment of each auto-approval');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('rollout', table => {
    table.dropColumn('auto_approver');
    table.dropColumn('auto_approval_reason');
  });
};
