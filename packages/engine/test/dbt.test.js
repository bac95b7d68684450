'use strict';

// dbt projects as a whole, through the Node build: the schema a project
// knows, property files rewritten, and the warning for a dataset no file
// names (which the browser's build has too).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { loadEngine } = require('..');

const project = [
  { path: 'dbt_project.yml', text: 'name: shop\n' },
  { path: 'seeds/raw_orders.csv', text: 'id,customer,amount\n1,7,100\n' },
  {
    path: 'models/stg_orders.sql',
    text: "select id as order_id, customer, amount from {{ ref('raw_orders') }}",
  },
  {
    path: 'models/schema.yml',
    text: 'sources:\n  - name: ecom\n    schema: raw\n    tables:\n      - name: customers\n        columns:\n          - name: id\n',
  },
];

test('projectSchema derives each table from the project, saying from where', async () => {
  const engine = await loadEngine();
  const result = engine.projectSchema(project, { dialect: 'duckdb' });
  assert.deepEqual(
    result.schema.tables.stg_orders.columns.map(c => c.name),
    ['order_id', 'customer', 'amount'],
  );
  const origin = table => result.origins.find(o => o.table === table).origin;
  assert.equal(origin('raw_orders'), 'seed');
  assert.equal(origin('stg_orders'), 'sql');
  assert.deepEqual(result.sources, [
    { name: 'ecom.customers', relation: 'raw.customers', path: 'models/schema.yml' },
  ]);
  assert.deepEqual(result.conflicts, []);

  // With the change, the dataset's columns are those before it, although
  // the project already holds the producer's rename.
  const renamed = project.map(f =>
    f.path === 'models/stg_orders.sql'
      ? { ...f, text: f.text.replace('amount from', 'amount as amount_cents from') }
      : f,
  );
  const change = {
    dataset: 'stg_orders',
    changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_cents' }],
  };
  const before = engine.projectSchema(renamed, { dialect: 'duckdb', change });
  assert.deepEqual(
    before.schema.tables.stg_orders.columns.map(c => c.name),
    ['order_id', 'customer', 'amount'],
  );
});

test('projectSchema names the argument at fault', async () => {
  const engine = await loadEngine();
  assert.throws(() => engine.projectSchema('models/'), {
    name: 'RippleError',
    kind: 'invalid_argument',
    argument: 'files',
  });
  assert.throws(() => engine.projectSchema([{ path: 'a.sql' }]), {
    name: 'RippleError',
    argument: 'files[0]',
    message: /missing field `text`/,
  });
  assert.throws(() => engine.projectSchema(project, { change: { dataset: 'x' } }), {
    name: 'RippleError',
    kind: 'invalid_change',
  });
});

test('rewriteProperties follows the change in a consumer property file, keeping its comments', async () => {
  const engine = await loadEngine();
  const text = [
    'version: 2',
    'models:',
    '  - name: customers',
    '    columns:',
    '      - name: customer_id',
    '        tests:',
    '          - relationships: # every customer has orders',
    "              to: ref('stg_orders')",
    '              field: customer',
    '',
  ].join('\n');
  const change = {
    dataset: 'stg_orders',
    changes: [{ kind: 'rename_column', column: 'customer', to: 'customer_id' }],
  };
  const result = engine.rewriteProperties('models/customers.yml', text, change);
  assert.equal(result.status, 'rewritten');
  assert.match(result.content, /field: customer_id\n/);
  assert.match(result.content, /# every customer has orders/);
  assert.match(result.patch, /^\+\s+field: customer_id$/m);

  const broken = engine.rewriteProperties('models/bad.yml', 'models: [\n', change);
  assert.equal(broken.status, 'error');
  assert.equal(broken.findings[0].kind, 'invalid_yaml');
  assert.ok(broken.findings[0].start.line >= 1);
});

test('unmatchedDataset names the closest names the files use', async () => {
  const engine = await loadEngine();
  const files = [
    {
      path: 'models/stg_orders.sql',
      text: "select * from {{ source('ecom', 'raw_orders') }}",
    },
    { path: 'models/schema.yml', text: 'version: 2\n' },
  ];
  const warning = engine.unmatchedDataset('raw.raw_orders', files, { dialect: 'duckdb' });
  assert.deepEqual(warning.closest, ["source('ecom', 'raw_orders')"]);
  assert.match(warning.message, /no file names `raw.raw_orders`/);
  assert.equal(engine.unmatchedDataset('ecom.raw_orders', files), undefined);
});

test("the engine's module leaves the dbt project bindings to Node's dbt module", () => {
  for (const dir of ['web', 'node']) {
    const glue = fs.readFileSync(path.join(__dirname, `../${dir}/ripple_engine.js`), 'utf8');
    assert.doesNotMatch(glue, /projectSchema|rewriteProperties|diffSchemas/, dir);
    assert.match(glue, /unmatchedDataset/, dir);
    assert.match(glue, /classifyImpact/, dir);
  }
});
