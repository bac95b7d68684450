'use strict';

// `analyze` through the Node entry point, as the backend and Jest call it.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { loadEngine } = require('..');

const schema = {
  tables: { 'proj.ds.orders': { columns: [{ name: 'id', type: 'INT64' }, { name: 'amount' }] } },
};

test('analyses a SQL file: reads, writes, lineage and located references', async () => {
  const engine = await loadEngine();
  const analysis = engine.analyze(
    'models/daily.sql',
    'INSERT INTO ds.daily\nSELECT SUM(amount) AS total FROM `proj.ds.orders`',
    { dialect: 'bigquery' },
  );
  assert.equal(analysis.path, 'models/daily.sql');
  assert.equal(analysis.language, 'sql');
  assert.deepEqual(analysis.diagnostics, []);
  const [statement] = analysis.statements;
  assert.equal(statement.parsed, true);
  assert.deepEqual(statement.reads, [{ table: 'proj.ds.orders', columns: ['amount'] }]);
  assert.deepEqual(statement.writes, [{ table: 'ds.daily' }]);
  assert.deepEqual(statement.outputs, [
    { name: 'total', sources: [{ table: 'proj.ds.orders', column: 'amount' }] },
  ]);
  const amount = statement.references.find(r => r.column === 'amount');
  assert.deepEqual(amount, {
    kind: 'column',
    table: 'proj.ds.orders',
    column: 'amount',
    start: { line: 2, column: 12 },
    end: { line: 2, column: 18 },
    resolved: true,
  });
  // Plain objects, not Maps: the value survives JSON unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(analysis)), analysis);
});

test('a schema expands SELECT *, given as an object or as JSON text', async () => {
  const engine = await loadEngine();
  for (const given of [schema, JSON.stringify(schema)]) {
    const analysis = engine.analyze('q.sql', 'SELECT * FROM orders', { schema: given });
    assert.deepEqual(analysis.statements[0].reads, [{ table: 'orders', columns: ['id', 'amount'] }]);
  }
  const without = engine.analyze('q.sql', 'SELECT * FROM orders');
  assert.deepEqual(without.statements[0].reads, [{ table: 'orders', columns: ['*'] }]);
});

test('the language comes from the path unless given; other paths are SQL', async () => {
  const engine = await loadEngine();
  const python = 'rows = spark.sql("SELECT id FROM ds.orders")\n';
  assert.equal(engine.analyze('jobs/load.py', python).language, 'python');
  assert.deepEqual(engine.analyze('jobs/load.py', python).statements[0].reads, [
    { table: 'ds.orders', columns: ['id'] },
  ]);
  assert.equal(engine.analyze('models/m.sql', "SELECT id FROM {{ ref('orders') }}").language, 'dbt');
  assert.equal(engine.analyze('Job.java', 'class Job {}').language, 'java');
  assert.equal(engine.analyze('query.txt', 'SELECT 1').language, 'sql');
  assert.equal(engine.analyze('', 'SELECT 1').language, 'sql');
  assert.equal(engine.analyze('job.sql', 'SELECT 1', { language: 'scala' }).language, 'scala');
});

test('SQL that does not parse is a diagnostic, not an error', async () => {
  const engine = await loadEngine();
  const analysis = engine.analyze('bad.sql', 'SELECT a FROM t WHERE (', { dialect: 'postgres' });
  assert.equal(analysis.diagnostics[0].severity, 'error');
  assert.equal(analysis.diagnostics[0].line, 1);
  assert.equal(analysis.statements[0].parsed, false);
  assert.ok(analysis.statements[0].references.some(r => r.table === 't'));
});

test('an unknown dialect is the engine error naming it', async () => {
  const engine = await loadEngine();
  assert.throws(() => engine.analyze('q.sql', 'SELECT 1', { dialect: 'oracle9' }), {
    name: 'RippleError',
    kind: 'unknown_dialect',
    dialect: 'oracle9',
  });
  // Aliases are accepted, as on the command line.
  assert.equal(engine.analyze('q.sql', 'SELECT 1', { dialect: 'PostgreSQL' }).statements.length, 1);
});

test('schema errors name the field, for an object and for JSON text', async () => {
  const engine = await loadEngine();
  const bad = { tables: { 'ds.t': { columns: [{ name: 'a' }, { name: 7 }] } } };
  assert.throws(() => engine.analyze('q.sql', 'SELECT 1', { schema: bad }), {
    name: 'RippleError',
    kind: 'invalid_schema',
    field: 'tables.ds.t.columns[1].name',
    message: /^invalid schema: tables\.ds\.t\.columns\[1\]\.name: invalid type/,
  });
  assert.throws(() => engine.analyze('q.sql', 'SELECT 1', { schema: JSON.stringify(bad) }), {
    kind: 'invalid_schema',
    field: 'tables.ds.t.columns[1].name',
  });
  assert.throws(() => engine.analyze('q.sql', 'SELECT 1', { schema: { tables: {}, extra: 1 } }), {
    kind: 'invalid_schema',
    message: /unknown field `extra`/,
  });
  assert.throws(() => engine.analyze('q.sql', 'SELECT 1', { schema: '{"tables": {' }), {
    kind: 'invalid_schema',
    message: /at line 1, column 12$/,
  });
});

test('options errors name the option', async () => {
  const engine = await loadEngine();
  assert.throws(() => engine.analyze('q.sql', 'SELECT 1', { language: 'cobol' }), {
    name: 'RippleError',
    kind: 'invalid_argument',
    argument: 'options.language',
    message: /^invalid argument `options.language`: unknown variant `cobol`/,
  });
  assert.throws(() => engine.analyze('q.sql', 'SELECT 1', { dialekt: 'bigquery' }), {
    kind: 'invalid_argument',
    message: /unknown field `dialekt`/,
  });
  assert.throws(() => engine.analyze('q.sql', 'SELECT 1', 'bigquery'), {
    kind: 'invalid_argument',
    argument: 'options',
    message: 'invalid argument `options`: expected an object, got string',
  });
});
