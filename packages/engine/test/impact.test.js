'use strict';

// `classifyImpact` (both builds) and `diffSchemas` (Node's build), through
// the package as the backend and the browser call them.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { loadEngine, startEngineWorker } = require('..');

const fixtures = path.join(__dirname, '../../../rust-engine/engine/tests/diff');
const fixture = name => ({
  path: name,
  text: fs.readFileSync(path.join(fixtures, name), 'utf8'),
});

const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [
    { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
    { kind: 'drop_column', column: 'legacy_flag' },
  ],
};

test('classifyImpact gives a consumer its verdict, each reason at its reference', async () => {
  const engine = await loadEngine();
  const breaking = engine.classifyImpact(
    [
      { path: 'q.sql', text: 'SELECT id,\n  amount\nFROM `proj.ds.orders`' },
      { path: 'README.md', text: 'not code' },
    ],
    change,
  );
  assert.equal(breaking.verdict, 'breaking');
  assert.deepEqual(breaking.reasons, [
    {
      kind: 'renamed_column',
      verdict: 'breaking',
      path: 'q.sql',
      start: { line: 2, column: 3 },
      end: { line: 2, column: 9 },
      column: 'amount',
      message: 'reads `amount`, which the change renames to `amount_usd`',
    },
  ]);
  assert.deepEqual(breaking.files, [
    {
      path: 'q.sql',
      verdict: 'breaking',
      columns: ['id', 'amount'],
      references: 2,
    },
  ]);

  const star = engine.classifyImpact(
    [{ path: 'v.sql', text: 'SELECT * FROM proj.ds.orders' }],
    JSON.stringify(change),
    {
      schema: {
        tables: {
          'proj.ds.orders': { columns: [{ name: 'id' }, { name: 'amount' }] },
        },
      },
    },
  );
  assert.equal(star.verdict, 'partially_breaking');
  assert.equal(star.reasons[0].kind, 'star');

  // A dbt model reads the dataset through its source's name.
  const model = engine.classifyImpact(
    [
      {
        path: 'models/stg.sql',
        text: "select status from {{ source('shop', 'orders') }}",
      },
    ],
    change,
    { tableNames: ['shop.orders'] },
  );
  assert.equal(model.verdict, 'unaffected');
  assert.equal(model.reasons[0].kind, 'unchanged_columns');
});

test('classifyImpact names the argument at fault', async () => {
  const engine = await loadEngine();
  assert.throws(() => engine.classifyImpact('q.sql', change), {
    name: 'RippleError',
    kind: 'invalid_argument',
    argument: 'files',
  });
  assert.throws(
    () => engine.classifyImpact([], { dataset: 'x', changes: [] }),
    {
      name: 'RippleError',
      kind: 'invalid_change',
    },
  );
  assert.throws(() => engine.classifyImpact([], change, { tables: [] }), {
    name: 'RippleError',
    argument: 'options.tables',
  });
});

test('diffSchemas derives the change from two real schema files', async () => {
  const engine = await loadEngine();
  const base = 'bigquery-etl/moz-fx-data-shared-prod/stripe_external';
  const diff = engine.diffSchemas(
    fixture(`${base}/pre_fivetran_customers_v1/schema.yaml`),
    fixture(`${base}/pre_fivetran_customers_v2/schema.yaml`),
  );
  const v2 =
    'moz-fx-data-shared-prod.stripe_external.pre_fivetran_customers_v2';
  assert.equal(
    diff.dataset,
    'moz-fx-data-shared-prod.stripe_external.pre_fivetran_customers_v1',
  );
  assert.deepEqual(diff.change.changes.slice(0, 2), [
    { kind: 'rename_table', to: v2 },
    { kind: 'change_type', column: 'metadata', to: 'JSON' },
  ]);
  assert.equal(diff.suggestions[0].change.kind, 'replace_table');
  assert.equal(
    diff.suggestions[0].change.columns.address_country,
    'address.country',
  );

  const jaffle = engine.diffSchemas(
    fixture('jaffle/old/schema.yml'),
    fixture('jaffle/new/schema.yml'),
    {
      table: 'stg_orders',
    },
  );
  assert.deepEqual(jaffle.change, {
    dataset: 'stg_orders',
    changes: [{ kind: 'rename_column', column: 'status', to: 'order_status' }],
  });
  // What it decides is a change the engine takes as it is.
  assert.deepEqual(engine.validateChange(jaffle.change), []);
});

test('diffSchemas throws invalid_schema_file with the file, line and column', async () => {
  const engine = await loadEngine();
  const good = fixture('orders/old/orders.schema.yaml');
  assert.throws(
    () =>
      engine.diffSchemas(good, {
        path: 'schema.yml',
        text: 'models:\n  - name: x\n    columns: [\n',
      }),
    {
      name: 'RippleError',
      kind: 'invalid_schema_file',
      path: 'schema.yml',
      line: 4,
      column: 1,
    },
  );
  assert.throws(
    () =>
      engine.diffSchemas(good, {
        path: 't.sql',
        text: 'CREATE TABLE t (a INT,\n b);',
      }),
    {
      kind: 'invalid_schema_file',
      line: 2,
    },
  );
  assert.throws(() => engine.diffSchemas(good, 'schema.yml'), {
    kind: 'invalid_argument',
    argument: 'new',
  });
});

test('the engine worker answers both', async t => {
  const worker = startEngineWorker();
  t.after(() => worker.terminate());
  const impact = await worker.classifyImpact(
    [{ path: 'q.sql', text: 'SELECT legacy_flag FROM proj.ds.orders' }],
    change,
  );
  assert.equal(impact.verdict, 'breaking');
  const diff = await worker.diffSchemas(
    fixture('shop/old/shop.sql'),
    fixture('shop/new/shop.sql'),
    { dialect: 'duckdb' },
  );
  assert.equal(diff.dataset, 'shop.orders');
});
