'use strict';

// `stepPlan` across the WebAssembly boundary: the schema as an object or as
// JSON text, the plan's shape, errors as RippleErrors naming the field, and
// the worker answering as the engine does. (The SQL itself runs on DuckDB
// and PostgreSQL in plugins/ripple-backend/src/steps/stepPlanSql.test.ts.)

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { loadEngine, startEngineWorker } = require('..');

const change = {
  dataset: 'shop.orders',
  dialect: 'duckdb',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const schema = {
  tables: {
    'shop.orders': {
      columns: [
        { name: 'id', type: 'INTEGER' },
        { name: 'amount', type: 'INTEGER' },
      ],
    },
  },
};

test('stepPlan returns the five steps; the schema may be JSON text', async () => {
  const ripple = await loadEngine();
  const plan = ripple.stepPlan(change, { schema, batch_rows: 3 });
  assert.deepEqual(
    plan.steps.map(s => s.name),
    ['expand', 'backfill', 'verify', 'switch', 'contract'],
  );
  assert.equal(plan.layout, 'versioned');
  assert.equal(plan.new_table, 'shop.orders__ripple_v2');
  assert.equal(plan.batch_rows, 3);
  assert.equal(
    plan.steps[1].batch.next_first,
    'SELECT max(id) FROM (SELECT id FROM shop.orders WHERE id IS NOT NULL ORDER BY id LIMIT 3) AS next_keys;',
  );
  assert.equal(plan.steps[0].batch, undefined);
  assert.deepEqual(
    ripple.stepPlan(JSON.stringify(change), {
      schema: JSON.stringify(schema),
      dialect: 'postgres',
    }).dialect,
    'postgres',
  );
});

test('stepPlan throws RippleErrors naming the field', async () => {
  const ripple = await loadEngine();
  assert.throws(() => ripple.stepPlan(change, { schema, dialect: 'mysql' }), {
    name: 'RippleError',
    kind: 'step_plan',
    field: 'dialect',
  });
  assert.throws(() => ripple.stepPlan(change, { schema, key: 'nope' }), {
    name: 'RippleError',
    kind: 'step_plan',
    field: 'key',
  });
  assert.throws(() => ripple.stepPlan(change, {}), {
    name: 'RippleError',
    kind: 'step_plan',
    field: 'tables',
  });
  assert.throws(() => ripple.stepPlan(change, { schema, batchRows: 3 }), {
    name: 'RippleError',
    message: /batchRows/,
  });
});

test('the worker answers stepPlan as the engine does', async t => {
  const worker = startEngineWorker();
  t.after(() => worker.terminate());
  const ripple = await loadEngine();
  assert.deepEqual(
    await worker.stepPlan(change, { schema }),
    ripple.stepPlan(change, { schema }),
  );
});
