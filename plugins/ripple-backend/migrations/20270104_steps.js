// @ts-check

/**
 * A migration's steps on the dataset's warehouse (docs/steps.md):
 * - `migration_step_plan`: the engine's step plan of the migration (its
 *   JSON), the warehouse it runs on, and who runs it (`run`: Ripple;
 *   `hand-over`: a person, who marks each step done).
 * - `migration_step`: one row per step (expand, backfill, verify, switch,
 *   contract): its state, attempts, the backfill's checkpoint and progress,
 *   the verification's result, and the runner's lease (a runner killed in
 *   the middle of a step loses it, and another resumes the step).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('migration_step_plan', table => {
    table.comment(
      'The step plan of a migration, on the warehouse of its dataset',
    );
    table
      .string('migration_id', 36)
      .primary()
      .references('id')
      .inTable('migration')
      .onDelete('CASCADE');
    table
      .text('plan', 'longtext')
      .notNullable()
      .comment('The StepPlan of the engine, as JSON');
    table
      .string('warehouse', 255)
      .notNullable()
      .comment('Its id in ripple.warehouses');
    table.string('mode', 16).notNullable().comment('run or hand-over');
    table.string('created_by', 512).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('migration_step', table => {
    table.comment('One step of a step plan and where it stands');
    table
      .string('migration_id', 36)
      .notNullable()
      .references('migration_id')
      .inTable('migration_step_plan')
      .onDelete('CASCADE');
    table
      .string('name', 16)
      .notNullable()
      .comment('expand, backfill, verify, switch or contract');
    table.integer('position').notNullable().comment('Its place in the plan');
    table
      .string('state', 16)
      .notNullable()
      .comment('pending, running, done, failed or rolled-back');
    table.integer('attempt').notNullable().defaultTo(0);
    table
      .text('checkpoint')
      .nullable()
      .comment(
        'The last batch the backfill copied: {lastKey, rowsDone, batches}, as JSON',
      );
    table.bigInteger('rows_total').nullable();
    table.bigInteger('rows_done').nullable();
    table.integer('batches').nullable();
    table.float('rate').nullable().comment('Rows copied per second');
    table
      .text('error', 'longtext')
      .nullable()
      .comment('The error of the warehouse when it failed');
    table
      .text('result', 'longtext')
      .nullable()
      .comment('The checks and differences of the verification, as JSON');
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table
      .string('lease_owner', 64)
      .nullable()
      .comment('The token of the runner while it runs the step');
    table.timestamp('lease_until', { useTz: true }).nullable();
    table
      .string('done_by', 512)
      .nullable()
      .comment('Who marked it done (hand-over), or ran it (run)');
    table.string('approved_by', 512).nullable();
    table.timestamp('approved_at', { useTz: true }).nullable();
    table.primary(['migration_id', 'name']);
    table.index(['state'], 'migration_step_state_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('migration_step');
  await knex.schema.dropTable('migration_step_plan');
};
