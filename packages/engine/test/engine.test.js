'use strict';

// The Node entry point of the package, as the backend and Jest load it.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { loadEngine } = require('..');

test('reports the engine version', async () => {
  const engine = await loadEngine();
  assert.match(engine.version(), /^\d+\.\d+\.\d+/);
});

test('lists the tables each statement reads and writes', async () => {
  const engine = await loadEngine();
  assert.deepEqual(
    engine.tables('INSERT INTO ds.daily SELECT * FROM `proj.ds.orders`', 'bigquery'),
    [
      {
        start: { line: 1, column: 1 },
        end: { line: 1, column: 52 },
        reads: ['proj.ds.orders'],
        writes: ['ds.daily'],
      },
    ],
  );
});

test('throws a RippleError with line and column on bad SQL', async () => {
  const engine = await loadEngine();
  assert.throws(() => engine.tables('SELECT a\nFROM', 'postgres'), {
    name: 'RippleError',
    kind: 'syntax',
    line: 2,
    column: 5,
    message: /^Expected: identifier, found: EOF at line 2, column 5$/,
  });
});

test('throws a RippleError naming an unknown dialect', async () => {
  const engine = await loadEngine();
  assert.throws(() => engine.tables('SELECT 1', 'oracle9'), {
    name: 'RippleError',
    kind: 'unknown_dialect',
    dialect: 'oracle9',
  });
});
