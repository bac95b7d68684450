// @ts-check

/**
 * A patch's reasons become data (docs/backend.md, the glossary's
 * "finding"): each stored reason `{path, message}`, whose message started
 * with `line N, column M: `, gets `kind`, `severity`, `line`, `column`,
 * `endLine` and `endColumn`, and keeps its message without the place. The
 * kinds are taken from the messages the engine and the backend wrote before
 * (this file keeps its own copy of them: a schema migration must not change
 * when the code does); a message none matches is `unclassified`.
 *
 * `patch_reason_kind` holds each patch's kinds once, so the consumer list
 * filters by kind in SQL (`?reasonKind=`) without reading every patch.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('patch_reason_kind', table => {
    table.comment('The kinds of the reasons of each patch, once each');
    table
      .integer('patch_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('patch')
      .onDelete('CASCADE');
    table.string('kind', 64).notNullable();
    table.primary(['patch_id', 'kind'], 'patch_reason_kind_pk');
    table.index(['kind'], 'patch_reason_kind_kind_idx');
  });
  await eachPatch(knex, async patch => {
    const reasons = JSON.parse(patch.reasons).map((/** @type {any} */ reason) =>
      withKind(reason, patch.status),
    );
    await knex('patch')
      .where({ id: patch.id })
      .update({ reasons: JSON.stringify(reasons) });
    const kinds = [...new Set(reasons.map((/** @type {any} */ r) => r.kind))];
    if (kinds.length) {
      await knex('patch_reason_kind').insert(
        kinds.map(kind => ({ patch_id: patch.id, kind })),
      );
    }
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('patch_reason_kind');
  await eachPatch(knex, async patch => {
    const reasons = JSON.parse(patch.reasons).map((/** @type {any} */ r) => ({
      path: r.path,
      message:
        r.line === undefined
          ? r.message
          : `line ${r.line}, column ${r.column}: ${r.message}`,
    }));
    await knex('patch')
      .where({ id: patch.id })
      .update({ reasons: JSON.stringify(reasons) });
  });
};

/**
 * Calls `convert` on every patch with reasons, 500 rows read at a time.
 *
 * @param {import('knex').Knex} knex
 * @param {(patch: {id: number, status: string, reasons: string}) => Promise<void>} convert
 */
async function eachPatch(knex, convert) {
  for (let after = 0; ; ) {
    const rows = await knex('patch')
      .select('id', 'status', 'reasons')
      .where('id', '>', after)
      .orderBy('id')
      .limit(500);
    for (const row of rows) {
      if (row.reasons !== '[]') await convert(row);
    }
    if (rows.length < 500) return;
    after = rows[rows.length - 1].id;
  }
}

// The messages of each kind, as the engine and the backend wrote them
// before reasons had kinds; the first that matches decides.
const KINDS = [
  ['two edits overlap', 'overlapping_edits'],
  ['the rewrite could not be verified', 'verification_failed'],
  ['output column names are kept', 'output_names_kept'],
  ['invalid change spec', 'invalid_change'],
  ['-byte limit; not rewritten', 'file_too_large'],
  ['the engine failed', 'engine_failed'],
  [': annotation ', 'unusable_annotation'],
  ["the dataset's columns are not known", 'star_without_schema'],
  ['the `*` has modifiers', 'star_with_modifiers'],
  ['the `*` covers other tables too', 'star_over_tables'],
  ['through a PIVOT or UNPIVOT', 'star_through_pivot'],
  ['a NATURAL JOIN joins on every name', 'natural_join'],
  ['reads a column by its position', 'positional_column'],
  ['which the change drops', 'dropped_column_used'],
  ['no longer outputs', 'dropped_column_used'],
  ['its type changes to', 'retyped_column_used'],
  ['whose type changes to', 'retyped_column_used'],
  ['whose type widens to', 'retyped_column_used'],
  ['could come from any of', 'ambiguous_name'],
  ['could not be traced to a table', 'unresolved_name'],
  ['a statement Ripple could not parse', 'unparsed_statement'],
  ['by name (USING)', 'using_join'],
  ['template branch Ripple did not render', 'template_branch'],
  ['whose table is computed at run time', 'placeholder_table'],
  ['check that dbt source', 'dbt_source_move'],
  ['whose name Ripple cannot find', 'unnamed_table'],
  ['written in a way Ripple cannot edit', 'uneditable_name'],
  ['composite field access by hand', 'field_path'],
  ['write the field path', 'field_path'],
  ['becomes an expression; rename its uses', 'mapped_column_use'],
  ['cannot be written or have fields taken', 'mapped_column_use'],
  ['named after its text', 'unaliased_output'],
  ['does not read as SQL', 'unreadable_mapping'],
];

const ERRORS = [
  'invalid_change',
  'file_too_large',
  'engine_failed',
  'unusable_annotation',
];

const PLACE = /^line (\d+), column (\d+): /;

/**
 * A stored reason with its kind, severity and place. Reasons that have a
 * kind already (written by a newer backend before a rollback and upgrade)
 * are kept as they are.
 *
 * @param {{path: string, message: string, kind?: string}} reason
 * @param {string} status the patch's status
 */
function withKind(reason, status) {
  if (reason.kind) return reason;
  const place = PLACE.exec(reason.message);
  const message = place
    ? reason.message.slice(place[0].length)
    : reason.message;
  const kind =
    KINDS.find(([words]) => message.includes(words))?.[1] ?? 'unclassified';
  let severity = 'needs_edit';
  if (ERRORS.includes(kind) || status === 'error') severity = 'error';
  // A rewritten or unaffected patch's reasons were its notes.
  if (
    kind === 'output_names_kept' ||
    status === 'rewritten' ||
    status === 'unaffected'
  ) {
    severity = 'note';
  }
  if (!place) {
    return { path: reason.path, kind, severity, message };
  }
  // The end was not recorded: the reason points at its start.
  const [line, column] = [Number(place[1]), Number(place[2])];
  return {
    path: reason.path,
    kind,
    severity,
    line,
    column,
    endLine: line,
    endColumn: column,
    message,
  };
}
