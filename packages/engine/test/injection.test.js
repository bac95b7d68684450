'use strict';

// SQL smuggled in through a change spec or a schema is refused here as it is
// by the engine (rust-engine/engine/tests/injection.rs) and the CLI: each
// `replace_table` mapping must be one expression of the dialect, each type
// one data type, and both are written from their parsed form.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { loadEngine } = require('..');

const INJECTION = '1 FROM t; DROP TABLE x; SELECT 1';
const DIALECTS = [
  'ansi', 'bigquery', 'databricks', 'duckdb', 'generic', 'hive',
  'mysql', 'postgres', 'redshift', 'snowflake', 'spark',
];
const mapping = amount => ({
  dataset: 'proj.ds.orders',
  changes: [{ kind: 'replace_table', to: 'proj.core.orders', columns: { amount } }],
});
const REFUSED = {
  name: 'RippleError',
  kind: 'invalid_change',
  field: 'changes[0].columns.amount',
  message: /^invalid change spec: changes\[0\]\.columns\.amount: must be a column, a field path or one SQL expression of [a-z]+ .*`FROM` at line 1, column 3/,
};

test('validateChange lists every problem with its field', async () => {
  const engine = await loadEngine();
  for (const dialect of DIALECTS) {
    const problems = engine.validateChange(mapping(INJECTION), { dialect });
    assert.equal(problems.length, 1, dialect);
    assert.equal(problems[0].field, 'changes[0].columns.amount');
    assert.match(problems[0].message, /`FROM` at line 1, column 3/);
  }
  const spec = {
    dataset: 'proj.ds.orders',
    changes: [
      { kind: 'change_type', column: 'id', to: 'INT); DROP TABLE x; --' },
      { kind: 'replace_table', to: 'proj.core.orders', columns: { amount: INJECTION, note: '(SELECT secret FROM users)' } },
    ],
  };
  assert.deepEqual(
    engine.validateChange(JSON.stringify(spec), { dialect: 'postgres' }).map(p => p.field),
    ['changes[0].to', 'changes[1].columns.amount', 'changes[1].columns.note'],
  );
  assert.deepEqual(engine.validateChange(mapping('amount_cents / 100')), []);
  // Malformed JSON is one problem without a field; a bad option throws.
  assert.equal(engine.validateChange('{').length, 1);
  assert.equal(engine.validateChange('{')[0].field, undefined);
  assert.throws(() => engine.validateChange(mapping('a'), { dialect: 'oracle' }), { kind: 'unknown_dialect' });
});

test('compatView and rewrite refuse the mapping, naming the field', async () => {
  const engine = await loadEngine();
  for (const dialect of DIALECTS) {
    assert.throws(() => engine.compatView(mapping(INJECTION), { dialect }), REFUSED, dialect);
    assert.throws(() => engine.rewrite('q.sql', 'SELECT amount FROM proj.ds.orders', mapping(INJECTION), { dialect }), REFUSED, dialect);
  }
});

test('a schema type the view writes must be one data type', async () => {
  const engine = await loadEngine();
  const change = {
    dataset: 'proj.ds.orders',
    changes: [{ kind: 'drop_column', column: 'flag' }, { kind: 'rename_table', to: 'proj.core.orders' }],
  };
  const schema = {
    tables: { 'proj.ds.orders': { columns: [{ name: 'flag', type: 'BOOL) AS flag FROM t; DROP TABLE x; SELECT CAST(NULL AS BOOL' }] } },
  };
  assert.throws(() => engine.compatView(change, { dialect: 'postgres', schema }), {
    name: 'RippleError',
    kind: 'invalid_schema',
    field: 'tables.proj.ds.orders.columns[0].type',
  });
});

test('expressions and types are written from their parsed form', async () => {
  const engine = await loadEngine();
  const change = {
    dataset: 'proj.ds.orders',
    changes: [
      { kind: 'drop_column', column: 'flag' },
      { kind: 'replace_table', to: 'proj.core.orders', columns: { amount: 'amount_cents/100 -- dollars' } },
    ],
  };
  const schema = { tables: { 'proj.ds.orders': { columns: [{ name: 'amount' }, { name: 'flag', type: 'numeric( 10 ,2 )' }] } } };
  const view = engine.compatView(change, { dialect: 'postgres', schema });
  assert.equal(
    view.create,
    'CREATE OR REPLACE VIEW proj.ds.orders AS\nSELECT\n  (amount_cents / 100) AS amount,\n  CAST(NULL AS NUMERIC(10,2)) AS flag\nFROM proj.core.orders;',
  );
});
