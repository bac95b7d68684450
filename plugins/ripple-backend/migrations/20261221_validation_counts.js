// @ts-check

// A statement's outcomes (a validation's own `pending` and `running` are
// never a statement's).
const STATUSES = ['passed', 'failed', 'skipped', 'error'];

/**
 * `validation.{passed,failed,skipped,error}_statements`: how many of a
 * finished validation's statements have each status, written with the
 * statements. The consumer list shows each consumer's validation as a
 * summary (docs/validation.md) and reads these instead of the statements'
 * JSON, which holds every checksum and sample of differing rows and is
 * the heavy part of a row. Validations finished before are counted here
 * from their statements.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('validation', table => {
    for (const status of STATUSES) {
      table
        .integer(`${status}_statements`)
        .notNullable()
        .defaultTo(0)
        .comment(`How many statements ${status}; 0 until finished`);
    }
  });
  for (let after = 0; ; ) {
    const rows = await knex('validation')
      .select('id', 'statements')
      .where('id', '>', after)
      .whereNotNull('statements')
      .orderBy('id')
      .limit(500);
    for (const row of rows) {
      /** @type {Record<string, number>} */
      const counts = Object.fromEntries(STATUSES.map(s => [s, 0]));
      for (const statement of JSON.parse(row.statements)) {
        if (statement.status in counts) counts[statement.status] += 1;
      }
      await knex('validation')
        .where({ id: row.id })
        .update(
          Object.fromEntries(STATUSES.map(s => [`${s}_statements`, counts[s]])),
        );
    }
    if (rows.length < 500) return;
    after = rows[rows.length - 1].id;
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('validation', table => {
    for (const status of STATUSES) table.dropColumn(`${status}_statements`);
  });
};
