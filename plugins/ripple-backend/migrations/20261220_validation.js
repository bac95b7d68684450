// @ts-check

/**
 * `validation`: a patch version run on its dataset's warehouse, old and
 * patched queries compared (docs/validation.md). One row per run of one
 * patch (`run` 1, 2, ... per patch, unique: a re-run asked for is a new
 * row, and two replicas claiming the same run cannot both insert it). A row
 * is asked for (`requested_at`), claimed (`started_at`, `claim_token`) and
 * finished (`finished_at` with its status and statements); a claim whose
 * process died is taken again after the claim timeout, so a validation cut
 * short by a crash is run again, not lost.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('validation', table => {
    table.comment(
      'One run of a patch version on its dataset warehouse, old and patched queries compared',
    );
    table.increments('id').primary();
    table
      .integer('patch_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('patch')
      .onDelete('CASCADE');
    table.integer('run').notNullable().comment('1, 2, ... per patch');
    table
      .string('warehouse', 256)
      .notNullable()
      .comment('The id in ripple.warehouses the dataset names');
    table
      .string('status', 16)
      .nullable()
      .comment('passed, failed, skipped or error; null until finished');
    table.text('reason').nullable();
    table
      .text('statements', 'longtext')
      .nullable()
      .comment(
        'JSON: each statement with its rows, columns, differences sample and reason',
      );
    table.integer('duration_ms').nullable();
    table.timestamp('requested_at', { useTz: true }).notNullable();
    table.string('requested_by', 512).nullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table
      .string('claim_token', 64)
      .nullable()
      .comment('The token of the claim in started_at, set by its holder');
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.unique(['patch_id', 'run'], { indexName: 'validation_run_uniq' });
    table.index(['finished_at'], 'validation_finished_at_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('validation');
};
