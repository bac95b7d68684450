'use strict';

// Executed rewrites: the proof of issue 17. The engine verifies a rewrite by
// analysing it again with its own rules, which cannot catch a mistake in
// those rules. Here every query of the corpora whose tables have a schema
// (TPC-H and TPC-DS in rust-engine/engine/corpus) runs in DuckDB on seeded
// rows: the original on the original tables, and the rewrite on the tables
// as the change leaves them. Both must return the same output columns (names
// and order: the engine promises to keep them) and the same rows, compared as
// multisets.
//
// A `rewritten` or `unaffected` file whose results differ, or that fails, is
// wrong and fails the test; a wrong output name is counted apart, so it shows.
// A file left for a person (`needs_edit`) is counted and listed, not run.
// The counts are printed per corpus and change kind.
//
// RIPPLE_EXECUTED_CORPUS=DIR runs a folder laid out the same way (a
// schema.json with every column's type, and .sql files) as one more corpus;
// RIPPLE_EXECUTED_SEED=N draws other rows.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { loadEngine } = require('..');
const { tablesScript } = require('./executed/data');
const { chooseChanges, changeScript, tableAfter } = require('./executed/changes');
const { differences, isolated, withoutLimits } = require('./executed/run');

const CORPUS = path.join(__dirname, '../../../rust-engine/engine/corpus');
/** The rows' seed. Any seed must pass; this one feeds all but two TPC-H queries (Q16, Q18). */
const SEED = Number(process.env.RIPPLE_EXECUTED_SEED ?? 1);
/** The rewrites are made for the dialect that runs them. */
const DIALECT = 'duckdb';

/** Each corpus folder with a schema.json, and RIPPLE_EXECUTED_CORPUS's folder. */
function corpora() {
  const folders = fs
    .readdirSync(CORPUS)
    .filter(folder => fs.existsSync(path.join(CORPUS, folder, 'schema.json')))
    .sort()
    .map(folder => path.join(CORPUS, folder));
  const named = process.env.RIPPLE_EXECUTED_CORPUS;
  return named ? [...folders, path.resolve(named)] : folders;
}

/** The folder's .sql files without Jinja (DuckDB runs them as they are), sorted, named from its parent. */
function sqlFiles(folder) {
  const files = [];
  const walk = dir => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.sql')) {
        const text = fs.readFileSync(full, 'utf8');
        if (!/\{\{|\{%/.test(text)) files.push({ name: path.relative(path.dirname(folder), full), text });
      }
    }
  };
  walk(folder);
  return files;
}

/** True when the file names the table: a file that does not is trivially unaffected, and not run. */
function mentions(text, table) {
  const last = table.split('.').pop().replace(/[^\w]/g, '\\$&');
  return new RegExp(`\\b${last}\\b`, 'i').test(text);
}

/** A change as the report names it: `rename lineitem.l_quantity to l_quantity_new`. */
function describe(spec) {
  const one = c => {
    if (c.kind === 'rename_column') return `rename ${spec.dataset}.${c.column} to ${c.to}`;
    if (c.kind === 'change_type') return `retype ${spec.dataset}.${c.column} to ${c.to}`;
    if (c.kind === 'rename_table') return `move ${spec.dataset} to ${c.to}`;
    const mapped = Object.entries(c.columns ?? {}).map(([k, v]) => `${k} as ${v}`);
    return `replace ${spec.dataset} by ${c.to}${mapped.length ? ` (${mapped.join(', ')})` : ''}`;
  };
  return spec.changes.map(one).join(', ');
}

/** Counts per corpus and change kind, printed once every corpus has run. */
const tally = [];

function tallyRow(corpus, kind) {
  let row = tally.find(r => r.corpus === corpus && r.kind === kind);
  if (!row) tally.push((row = { corpus, kind, rewritten: 0, unaffected: 0, person: 0, wrongResults: 0, wrongNames: 0 }));
  return row;
}

/** Every original file's results on the original tables, and how many of its queries return a row that is not all NULL. */
async function runOriginals(connection, files) {
  const originals = new Map();
  const broken = [];
  let queries = 0;
  let fed = 0;
  for (const file of files) {
    try {
      const results = await isolated(connection, null, withoutLimits(file.text));
      originals.set(file.name, results);
      for (const r of results.filter(r => r.query)) {
        queries += 1;
        // An aggregate over no rows still returns one row, of NULLs.
        fed += r.rows.some(row => row.some(v => v !== null)) ? 1 : 0;
      }
    } catch (error) {
      broken.push(`${file.name}: ${error.message}`);
    }
  }
  // The generated tables must run every original query, or the harness is wrong.
  assert.deepEqual(broken, [], 'every original query runs on the generated tables');
  return { originals, queries, fed };
}

/**
 * Rewrites `file` for `change`, runs what the engine calls done on the
 * changed tables and tallies the outcome; returns what is wrong, if anything.
 */
async function checkFile(connection, engine, context, change, file) {
  const { schema, originals, row, label, setup, from } = context;
  const result = engine.rewrite(file.name, file.text, change.spec, { dialect: DIALECT, schema });
  if (result.status === 'unaffected' && !mentions(file.text, from)) return { skipped: true };
  if (result.status === 'needs_edit') {
    row.person += 1;
    return { person: `${file.name} · ${label} · ${result.reasons[0]}` };
  }
  let found;
  if (result.status !== 'rewritten' && result.status !== 'unaffected') {
    found = [{ kind: 'results', detail: `status ${result.status}: ${result.reasons.join('; ')}` }];
  } else {
    try {
      found = differences(originals.get(file.name), await isolated(connection, setup, withoutLimits(result.content ?? file.text)));
    } catch (error) {
      found = [{ kind: 'results', detail: `fails: ${error.message.split('\n')[0]}` }];
    }
  }
  if (!found.length) {
    row[result.status] += 1;
    return {};
  }
  // Wrong rows (or a failure) count as such; only wrong names count apart.
  const kind = found.some(f => f.kind === 'results') ? 'results' : 'output names';
  row[kind === 'results' ? 'wrongResults' : 'wrongNames'] += 1;
  return { wrong: `${file.name} · ${label} (${result.status}) · ${found.map(f => f.detail).join('; ')}` };
}

async function checkCorpus(dir) {
  const folder = path.basename(dir);
  const engine = await loadEngine();
  const schema = JSON.parse(fs.readFileSync(path.join(dir, 'schema.json'), 'utf8'));
  const files = sqlFiles(dir);
  const { DuckDBInstance } = require('@duckdb/node-api');
  // One thread: the same plan and the same order of additions on every run.
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    await connection.run(tablesScript(schema, files.map(f => f.text), SEED));
    const { originals, queries, fed } = await runOriginals(connection, files);
    const wrong = [];
    const person = [];
    for (const change of chooseChanges(engine, files, { dialect: DIALECT, schema })) {
      const context = {
        schema,
        originals,
        row: tallyRow(folder, change.kind),
        label: describe(change.spec),
        setup: changeScript(schema, change.spec),
        from: tableAfter(schema, change.spec).from,
      };
      for (const file of files) {
        const outcome = await checkFile(connection, engine, context, change, file);
        if (outcome.wrong) wrong.push(outcome.wrong);
        if (outcome.person) person.push(outcome.person);
      }
    }
    return { queries, fed, wrong, person };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

// The harness's own parts, so that a pass means something.
const sample = {
  tables: {
    'ds.t': {
      columns: [
        { name: 'id', type: 'INTEGER' },
        { name: 'amount', type: 'DECIMAL(10,2)' },
        { name: 'note', type: 'STRING' },
        { name: 'day', type: 'DATE' },
      ],
    },
  },
};
const sampleQuery = "SELECT id FROM ds.t WHERE note LIKE 'PROMO%' AND day < date '1995-03-15' AND amount BETWEEN 10 AND 20";

test('the seeded rows are the same for the same seed, and match the literals the queries compare with', () => {
  const script = tablesScript(sample, [sampleQuery], 5);
  assert.equal(tablesScript(sample, [sampleQuery], 5), script);
  assert.notEqual(tablesScript(sample, [sampleQuery], 6), script);
  assert.match(script, /'PROMOx'/);
  assert.match(script, /, 10\.00, /);
  assert.match(script, /DATE '199[45]-\d\d-\d\d'/);
});

test("the changed table is the change's schema_after: its new name, columns and types, and the same rows", async () => {
  const { DuckDBInstance } = require('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(tablesScript(sample, [sampleQuery], 5));
    const read = async sql => (await connection.runAndReadAll(sql)).getRowsJson();
    const before = await read('SELECT id, amount, note, day FROM ds.t ORDER BY ALL');
    const spec = {
      dataset: 'ds.t',
      changes: [
        { kind: 'rename_table', to: 'archive.t_v2' },
        { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        { kind: 'change_type', column: 'id', to: 'BIGINT' },
      ],
    };
    const [columns, rows, old] = await isolated(
      connection,
      changeScript(sample, spec),
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'archive' AND table_name = 't_v2' ORDER BY ordinal_position;
       SELECT CAST(id AS INTEGER), amount_usd, note, day FROM archive.t_v2 ORDER BY ALL;
       SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ds' AND table_name = 't'`,
    );
    assert.deepEqual(columns.rows, [['id', 'BIGINT'], ['amount_usd', 'DECIMAL(10,2)'], ['note', 'VARCHAR'], ['day', 'DATE']]);
    assert.deepEqual(rows.rows, before);
    assert.deepEqual(old.rows, [['0']], 'the old table is gone');
    assert.deepEqual(await read('SELECT id, amount, note, day FROM ds.t ORDER BY ALL'), before, 'rolled back');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});

for (const dir of corpora()) {
  const folder = path.basename(dir);
  test(`${folder}: every rewritten query returns the original's columns and rows on the changed tables`, async t => {
    const { queries, fed, wrong, person } = await checkCorpus(dir);
    t.diagnostic(`${folder}: ${fed} of ${queries} original queries return rows`);
    for (const line of person) t.diagnostic(`for a person: ${line}`);
    // Queries that return nothing prove little: the seeded rows must feed most of them.
    assert.ok(fed >= 0.7 * queries, `only ${fed} of ${queries} original queries return rows`);
    assert.ok(
      tally.some(r => r.corpus === folder && r.rewritten > 0),
      `${folder}: nothing was rewritten`,
    );
    assert.deepEqual(wrong, [], `${wrong.length} wrong rewrites in ${folder}`);
  });
}

after(() => {
  const cells = r => [r.rewritten, r.unaffected, r.person, r.wrongResults, r.wrongNames].map(n => String(n).padStart(9));
  const lines = [
    `executed rewrites (DuckDB, seed ${SEED}), files per corpus and change:`,
    `  ${'corpus'.padEnd(8)} ${'change'.padEnd(23)} rewritten unaffect. for a    wrong:   wrong:`,
    `  ${''.padEnd(8)} ${''.padEnd(23)} and equal and equal   person  results    names`,
  ];
  for (const r of tally) lines.push(`  ${r.corpus.padEnd(8)} ${r.kind.padEnd(23)}${cells(r).join('')}`);
  const sum = (rows, key) => rows.reduce((n, r) => n + r[key], 0);
  const share = rows => {
    const done = sum(rows, 'rewritten');
    const all = done + sum(rows, 'person') + sum(rows, 'wrongResults') + sum(rows, 'wrongNames');
    return all ? `${((100 * done) / all).toFixed(1)}% (${done} of ${all})` : 'none';
  };
  lines.push(
    `  total: ${sum(tally, 'rewritten')} rewritten and equal, ${sum(tally, 'unaffected')} unaffected and equal, ` +
      `${sum(tally, 'person')} for a person, ${sum(tally, 'wrongResults')} wrong results, ${sum(tally, 'wrongNames')} wrong output names`,
    `  affected files rewritten (and equal) without a person: ${share(tally)}; ` +
      `without the retypes (a retype that does not only widen needs a person wherever the column is compared or computed with): ${share(tally.filter(r => r.kind !== 'retype'))}`,
  );
  console.log(lines.join('\n'));
});
