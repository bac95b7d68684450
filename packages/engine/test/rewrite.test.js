'use strict';

// `rewrite` through the Node entry point, as the backend and Jest call it.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { loadEngine } = require('..');

const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

test('rewrites a consumer: status, patch and the rewritten text', async () => {
  const engine = await loadEngine();
  const result = engine.rewrite('jobs/q.sql', 'SELECT amount\nFROM `proj.ds.orders`\n', change);
  assert.deepEqual(result, {
    path: 'jobs/q.sql',
    status: 'rewritten',
    findings: [],
    reasons: [],
    edits: 2,
    patch:
      '--- a/jobs/q.sql\n+++ b/jobs/q.sql\n@@ -1,2 +1,2 @@\n-SELECT amount\n+SELECT amount_usd AS amount\n FROM `proj.ds.orders`\n',
    content: 'SELECT amount_usd AS amount\nFROM `proj.ds.orders`\n',
  });
});

test('the change spec may be JSON text, and options choose language, dialect and schema', async () => {
  const engine = await loadEngine();
  const result = engine.rewrite('export.py', 'q = "SELECT * FROM proj.ds.orders"\n', JSON.stringify(change), {
    dialect: 'bigquery',
    schema: { tables: { 'proj.ds.orders': { columns: [{ name: 'id' }, { name: 'amount' }] } } },
  });
  assert.equal(result.status, 'rewritten');
  assert.equal(result.content, 'q = "SELECT id, amount_usd AS amount FROM proj.ds.orders"\n');
});

test('what a person must decide is a finding: kind, severity, place and message', async () => {
  const engine = await loadEngine();
  const drop = { ...change, changes: [{ kind: 'drop_column', column: 'amount' }] };
  const result = engine.rewrite('q.sql', 'SELECT id,\n  amount FROM proj.ds.orders', drop);
  assert.equal(result.status, 'needs_edit');
  assert.deepEqual(result.findings, [
    {
      kind: 'dropped_column_used',
      severity: 'needs_edit',
      start: { line: 2, column: 3 },
      end: { line: 2, column: 9 },
      message: 'reads `amount`, which the change drops',
    },
  ]);
  // The same as text, until 0.3.
  assert.deepEqual(result.reasons, ['line 2, column 3: reads `amount`, which the change drops']);
  assert.equal(result.patch, undefined);
});

test('a finding about the whole file has no place', async () => {
  const engine = await loadEngine();
  const names = { ...change, preserve_output_names: false };
  const sql = 'WITH u AS (SELECT amount FROM proj.ds.orders UNION ALL SELECT amount FROM proj.ds.history)\nSELECT SUM(amount) AS total FROM u';
  const result = engine.rewrite('q.sql', sql, names);
  assert.equal(result.status, 'rewritten');
  assert.equal(result.findings.length, 1);
  assert.equal(result.findings[0].kind, 'output_names_kept');
  assert.equal(result.findings[0].severity, 'note');
  assert.equal('start' in result.findings[0], false);
  assert.equal(result.reasons[0], result.findings[0].message);
});

test('a bad change spec is a RippleError naming the field', async () => {
  const engine = await loadEngine();
  assert.throws(
    () => engine.rewrite('q.sql', 'SELECT 1', { dataset: 'proj.ds.orders', changes: [] }),
    { name: 'RippleError', kind: 'invalid_change', field: 'changes', message: 'invalid change spec: changes: must list at least one change' },
  );
  assert.throws(() => engine.rewrite('q.sql', 'SELECT 1', '{"dataset": '), { name: 'RippleError', kind: 'invalid_change' });
  assert.throws(() => engine.rewrite('q.sql', 42, change), { name: 'RippleError' });
  assert.throws(() => engine.rewrite('q.sql', 'SELECT 1', change, { dialect: 'oracle' }), { name: 'RippleError', kind: 'unknown_dialect' });
});

test('hostile files in every language get a status, never an internal error', async () => {
  const engine = await loadEngine();
  const move = { ...change, changes: [{ kind: 'replace_table', to: 'proj.core.orders', columns: { amount: 'CAST(x AS INT64)' } }] };
  const inputs = [
    ['a.sql', 'SELECT ' + '('.repeat(5000) + 'amount' + ')'.repeat(5000) + ' FROM proj.ds.orders'],
    ['b.sql', "SELECT amount FROM `proj.ds.orders` WHERE x = 'unterminated"],
    ['c.sql', '{% if %}{{ ref("orders") }}{% for %}amount\u0000\uD800'],
    ['d.py', 'f"""SELECT {amount} FROM proj.ds.orders WHERE {'],
    ['E.java', '"SELECT amount " + + + "FROM proj.ds.orders\\'],
    ['f.scala', 's"""SELECT ${ amount FROM proj.ds.orders'],
    ['g.sql', 'SELECT orders.amount FROM proj.ds.orders;'.repeat(2000)],
  ];
  for (const spec of [change, move]) {
    for (const [path, text] of inputs) {
      const result = engine.rewrite(path, text, spec);
      assert.ok(['rewritten', 'unaffected', 'needs_edit', 'error'].includes(result.status), `${path}: ${result.status}`);
    }
  }
});

test('a rewrite after an analysis of the same file reuses it only for the same options', async () => {
  const engine = await loadEngine();
  const text = 'SELECT *\nFROM `proj.ds.orders`\n';
  const schema = { tables: { 'proj.ds.orders': { columns: [{ name: 'id' }, { name: 'amount' }] } } };
  const withSchema = engine.rewrite('a.sql', text, change, { schema });
  const without = engine.rewrite('a.sql', text, change);
  assert.equal(withSchema.content, 'SELECT id, amount_usd AS amount\nFROM `proj.ds.orders`\n');
  assert.notEqual(without.content, withSchema.content);
  // Analysed without the schema, then rewritten with it (and the reverse):
  // the `*` expands only where the rewrite's own options have the schema.
  engine.analyze('b.sql', text, { dialect: 'bigquery' });
  assert.deepEqual(engine.rewrite('b.sql', text, change, { schema }), {
    ...withSchema,
    path: 'b.sql',
    patch: withSchema.patch.replaceAll('a.sql', 'b.sql'),
  });
  engine.analyze('a.sql', text, { dialect: 'bigquery', schema });
  assert.deepEqual(engine.rewrite('a.sql', text, change), without);
  // Another text under the same path is analysed again.
  const other = text.replace('*', '*, amount');
  const fresh = engine.rewrite('c.sql', other, change, { schema });
  assert.equal(engine.rewrite('a.sql', other, change, { schema }).content, fresh.content);
  assert.notEqual(fresh.content, withSchema.content);
});
