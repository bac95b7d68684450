'use strict';

// `startEngineWorker`: the engine's functions answered by a worker thread,
// with the same results and the same errors as the engine on this thread.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { loadEngine, startEngineWorker } = require('..');

const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const sql =
  'SELECT o.amount, id\nFROM `proj.ds.orders` AS o\nWHERE o.amount > 0\n';

test('answers like the engine on this thread', async t => {
  const worker = startEngineWorker();
  t.after(() => worker.terminate());
  const engine = await loadEngine();
  const [analysis, rewrite, tables] = await Promise.all([
    worker.analyze('q.sql', sql, { dialect: 'bigquery' }),
    worker.rewrite('q.sql', sql, change),
    worker.tables(sql, 'bigquery'),
  ]);
  assert.deepEqual(
    analysis,
    engine.analyze('q.sql', sql, { dialect: 'bigquery' }),
  );
  assert.deepEqual(rewrite, engine.rewrite('q.sql', sql, change));
  assert.equal(rewrite.status, 'rewritten');
  assert.deepEqual(tables, engine.tables(sql, 'bigquery'));
});

test('rejects with the RippleError the engine throws, fields included', async t => {
  const worker = startEngineWorker();
  t.after(() => worker.terminate());
  await assert.rejects(worker.tables('SELECT a\nFROM', 'postgres'), {
    name: 'RippleError',
    kind: 'syntax',
    line: 2,
    column: 5,
    message: /^Expected: identifier, found: EOF at line 2, column 5$/,
  });
  await assert.rejects(
    worker.rewrite('q.sql', sql, { dataset: 'x', changes: [{ kind: 'nope' }] }),
    {
      name: 'RippleError',
      message: /changes\[0\]/,
    },
  );
  // The worker goes on answering after an error.
  assert.equal(
    (await worker.rewrite('q.sql', sql, change)).status,
    'rewritten',
  );
});

test('rejects the calls in flight when terminated', async () => {
  const worker = startEngineWorker();
  const pending = worker.analyze('q.sql', sql.repeat(2000), {
    dialect: 'bigquery',
  });
  worker.terminate();
  await assert.rejects(pending, /terminated/);
  await assert.rejects(worker.version(), /terminated/);
});
