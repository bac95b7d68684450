// @ts-check

/**
 * `validation` records what a run read and what it cost: the window of the
 * dataset both sides read when not the whole table (`sample`, as SQL:
 * `day >= '2026-12-05'`), and the bytes its queries scanned where the
 * warehouse says (`bytes_processed`: BigQuery bills by them).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('validation', table => {
    table
      .string('sample', 1024)
      .nullable()
      .comment('The rows both sides read, when not the whole table');
    table
      .bigInteger('bytes_processed')
      .nullable()
      .comment('Bytes the queries scanned, where the warehouse says');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('validation', table => {
    table.dropColumn('sample');
    table.dropColumn('bytes_processed');
  });
};
