'use strict';

// The changes the executed-rewrites test makes, chosen as
// rust-engine/engine/tests/rewrite_corpus.rs chooses them: from what the
// corpus's files read. Every column named is renamed; the most-read tables
// are moved and retyped, so those changes reach as many files as possible.

const { duckType, quoteName } = require('./data');

/** Tables moved and retyped per corpus, and columns renamed with each move. */
const TABLES = 4;
const COLUMNS = 2;

/** True when `written` names `full`: equal, or a `.`-separated suffix of it (the engine's rule). */
function namesMatch(full, written) {
  const [f, w] = [full.toLowerCase(), written.toLowerCase()];
  return f === w || f.endsWith(`.${w}`);
}

/**
 * How many files read each table and each of its columns, from the engine's
 * analysis with the schema (resolved column references only). Only used to
 * choose the changes; the results are checked by executing the queries.
 */
function reads(engine, files, options) {
  const tables = new Map();
  for (const file of files) {
    const analysis = engine.analyze(file.name, file.text, options);
    for (const statement of analysis.statements) {
      for (const r of statement.references) {
        if (r.kind !== 'column' || !r.resolved || r.write || !r.table || !r.column) continue;
        const table = Object.keys(options.schema.tables).find(t => namesMatch(t, r.table));
        if (!table) continue;
        const entry = tables.get(table) ?? { files: new Set(), references: 0, columns: new Map() };
        tables.set(table, entry);
        entry.files.add(file.name);
        entry.references += 1;
        const column = r.column.toLowerCase();
        const c = entry.columns.get(column) ?? { files: new Set(), references: 0 };
        entry.columns.set(column, c);
        c.files.add(file.name);
        c.references += 1;
      }
    }
  }
  return tables;
}

/** Most files first, then most references, then by name: a stable order. */
const byReads = ([a, x], [b, y]) =>
  y.files.size - x.files.size || y.references - x.references || a.localeCompare(b);

/** A wider type of the same kind, whose values print the same: the retype a migration makes. */
function widened(type) {
  const t = duckType(type);
  if (t.sql === 'INTEGER') return 'BIGINT';
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(t.sql);
  if (decimal && Number(decimal[1]) < 18) return `DECIMAL(18,${decimal[2]})`;
  return null;
}

/**
 * The changes to make: a rename of every column a file names (one at a
 * time), and for each of the most-read tables a move, a move to another
 * schema, a move with renames of its two most-read columns, a replacement
 * whose mapping renames the most-read column, and a widening retype of its
 * most-read column that has a wider type.
 */
function chooseChanges(engine, files, options) {
  const tables = [...reads(engine, files, options)].sort(byReads);
  const spec = (kind, table, list) => ({ kind, spec: { dataset: table, dialect: options.dialect, changes: list } });
  const rename = c => ({ kind: 'rename_column', column: c, to: `${c}_new` });
  // Renames do not rely on the analysis to find the columns read: every
  // column of the schema that a file names is renamed.
  const named = name => files.some(f => new RegExp(`\\b${name.replace(/[^\w]/g, '\\$&')}\\b`, 'i').test(f.text));
  const changes = [];
  for (const [table, { columns }] of Object.entries(options.schema.tables).sort(([a], [b]) => a.localeCompare(b))) {
    for (const { name } of columns.filter(c => named(c.name))) changes.push(spec('rename column', table, [rename(name)]));
  }
  for (const [table, entry] of tables.slice(0, TABLES)) {
    const columns = [...entry.columns].sort(byReads).map(([c]) => c);
    const [c1, c2] = columns.slice(0, COLUMNS);
    const last = table.split('.').pop();
    const moved = table.includes('.') ? table.replace(/[^.]+$/, `${last}_v2`) : `${last}_v2`;
    changes.push(spec('move table', table, [{ kind: 'rename_table', to: moved }]));
    changes.push(spec('move to another schema', table, [{ kind: 'rename_table', to: `archive.${last}` }]));
    changes.push(spec('move with renames', table, [{ kind: 'rename_table', to: moved }, rename(c1), rename(c2)]));
    const mapping = { [c1]: `${c1}_new` };
    changes.push(spec('replace table', table, [{ kind: 'replace_table', to: `archive.${last}_v2`, columns: mapping }]));
    const schemaColumns = options.schema.tables[table].columns;
    const typeOf = c => schemaColumns.find(s => s.name.toLowerCase() === c)?.type;
    const retyped = columns.find(c => widened(typeOf(c)));
    if (retyped) changes.push(spec('retype', table, [{ kind: 'change_type', column: retyped, to: widened(typeOf(retyped)) }]));
  }
  return changes;
}

/**
 * The dataset's table after the change, as `ChangeSpec::schema_after` makes
 * it: `{from, to, columns: [{name, type, source}]}`, `source` being the old
 * column whose data it holds. Mappings to field paths and expressions are not
 * made by this test, so they are refused rather than guessed.
 */
function tableAfter(schema, spec) {
  const from = Object.keys(schema.tables).find(t => namesMatch(t, spec.dataset) || namesMatch(spec.dataset, t));
  if (!from) throw new Error(`${spec.dataset} is not in the schema`);
  let to = from;
  const fate = new Map();
  for (const change of spec.changes) {
    if (change.kind === 'rename_column') fate.set(change.column.toLowerCase(), { name: change.to });
    if (change.kind === 'change_type') fate.set(change.column.toLowerCase(), { type: change.to });
    if (change.kind === 'drop_column') fate.set(change.column.toLowerCase(), { dropped: true });
    if (change.kind === 'rename_table') to = change.to;
    if (change.kind === 'replace_table') {
      to = change.to;
      for (const [column, mapped] of Object.entries(change.columns ?? {})) {
        if (!/^[A-Za-z_]\w*$/.test(mapped)) throw new Error(`${column}: only mappings to a column name are made here`);
        fate.set(column.toLowerCase(), { name: mapped });
      }
    }
  }
  const columns = [];
  for (const column of schema.tables[from].columns) {
    const f = fate.get(column.name.toLowerCase()) ?? {};
    if (f.dropped) continue;
    columns.push({ name: f.name ?? column.name, type: f.type ?? column.type, source: column.name });
  }
  return { from, to, columns };
}

/** DDL that turns the original tables into the changed ones: the new table from `tableAfter`, filled from the old, which goes. */
function changeScript(schema, spec) {
  const { from, to, columns } = tableAfter(schema, spec);
  const target = to.toLowerCase() === from.toLowerCase() ? `${from}__ripple_after` : to;
  const script = [];
  if (target.includes('.')) script.push(`CREATE SCHEMA IF NOT EXISTS ${quoteName(target.split('.')[0])};`);
  const defs = columns.map(c => `${quoteName(c.name)} ${duckType(c.type).sql}`).join(', ');
  script.push(`CREATE TABLE ${quoteName(target)} (${defs});`);
  const select = columns.map(c => `CAST(${quoteName(c.source)} AS ${duckType(c.type).sql})`).join(', ');
  script.push(`INSERT INTO ${quoteName(target)} SELECT ${select} FROM ${quoteName(from)};`);
  script.push(`DROP TABLE ${quoteName(from)};`);
  if (target !== to) script.push(`ALTER TABLE ${quoteName(target)} RENAME TO ${quoteName(to.split('.').pop())};`);
  return script.join('\n');
}

module.exports = { chooseChanges, changeScript, tableAfter };
