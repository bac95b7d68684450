'use strict';

// Bind parameters and query parts, as validation uses them: `analyze` lists
// a statement's parameters and, for one that writes, where its query is;
// `bindParameters` writes sample values in as literals. Executed for real:
// on PostgreSQL and DuckDB, the bound query must return what the driver
// returns when it binds the same values itself.

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { loadEngine } = require('..');
const { connectDuckDb, connectPostgres, postgresUrl } = require('./databases');

// A string with what literals must escape: a quote, a backslash, a newline, and more than ASCII.
const TRICKY = "it's \\ a\nnew 'line' — é";

test('analyze lists the parameters and the query part of a statement that writes', async () => {
  const ripple = await loadEngine();
  const sql = 'INSERT INTO mart.daily (day, total)\nSELECT day, sum(amount) FROM shop.orders WHERE day >= $1 AND region = $2 GROUP BY day\nON CONFLICT (day) DO NOTHING';
  const [statement] = ripple.analyze('daily.sql', sql, { dialect: 'postgres' }).statements;
  assert.deepEqual(statement.parameters, [
    { text: '$1', number: 1, start: { line: 2, column: 55 }, end: { line: 2, column: 57 } },
    { text: '$2', number: 2, start: { line: 2, column: 71 }, end: { line: 2, column: 73 } },
  ]);
  // The query part ends before ON CONFLICT.
  assert.deepEqual(statement.query, { start: { line: 2, column: 1 }, end: { line: 2, column: 86 }, by_position: true });
  const named = ripple.analyze('q.sql', 'SELECT id FROM `p.shop.orders` WHERE day = @day', { dialect: 'bigquery' });
  assert.deepEqual(
    named.statements[0].parameters.map(p => [p.text, p.name]),
    [['@day', 'day']],
  );
  // A MERGE has no query part; a plain query has no `parameters` or `query` at all.
  const merge = ripple.analyze('m.sql', 'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE', { dialect: 'postgres' });
  assert.equal(merge.statements[0].query, undefined);
  const plain = ripple.analyze('p.sql', 'SELECT 1', { dialect: 'postgres' });
  assert.deepEqual(Object.keys(plain.statements[0]).filter(k => k === 'parameters' || k === 'query'), []);
});

test('bindParameters writes each value as a literal of the dialect', async () => {
  const ripple = await loadEngine();
  assert.equal(
    ripple.bindParameters('SELECT id FROM t WHERE day = :day AND n > :n LIMIT :top', 'postgres', { day: '2024-05-01', n: -2, top: 10 }),
    "SELECT id FROM t WHERE day = '2024-05-01' AND n > (-2) LIMIT 10",
  );
  assert.equal(ripple.bindParameters("SELECT ? AS s", 'bigquery', ["it's"]), "SELECT 'it\\'s' AS s");
  assert.equal(ripple.bindParameters('SELECT %(b)s AS b, %(c)s AS c', 'postgres', { b: true, c: null }), 'SELECT TRUE AS b, NULL AS c');
});

test('bindParameters throws RippleErrors naming the placeholder and its place', async () => {
  const ripple = await loadEngine();
  assert.throws(() => ripple.bindParameters('SELECT id\nFROM t WHERE day = :day', 'postgres', {}), {
    name: 'RippleError',
    kind: 'bind_parameter',
    parameter: ':day',
    line: 2,
    column: 20,
    message: 'cannot bind the parameter `:day` at line 2, column 20: no value named `day`',
  });
  assert.throws(() => ripple.bindParameters('SELECT ? + ?', 'duckdb', [1]), { kind: 'bind_parameter', parameter: '?', column: 12 });
  assert.throws(() => ripple.bindParameters('SELECT id FROM t WHERE', 'duckdb', []), { kind: 'syntax' });
  for (const values of [null, undefined, 'x', 3]) {
    assert.throws(() => ripple.bindParameters('SELECT ?', 'duckdb', values), { kind: 'invalid_argument', argument: 'values' });
  }
  assert.throws(() => ripple.bindParameters('SELECT ?', 'nowhere', []), { kind: 'unknown_dialect' });
});

const QUERY = {
  // The driver's own binding, and the same query for bindParameters.
  postgres: 'SELECT count(*)::int AS n, max(note) AS note FROM orders WHERE note = $1 AND amount > $2 AND paid = $3',
  duckdb: 'SELECT count(*)::INTEGER AS n, max(note) AS note FROM orders WHERE note = $1 AND amount > $2 AND paid = $3',
};

for (const engine of ['postgres', 'duckdb']) {
  describe(`bound values run as the driver binds them (${engine})`, () => {
    let db;
    before(async () => {
      db = engine === 'postgres' ? await connectPostgres(postgresUrl(), 'ripple_parameters') : await connectDuckDb();
      await db.exec('CREATE TABLE orders (id INTEGER, amount INTEGER, note TEXT, paid BOOLEAN)');
      const note = TRICKY.replace(/'/g, "''");
      await db.exec(`INSERT INTO orders VALUES (1, 5, '${note}', true), (2, -3, '${note}', true), (3, 9, 'other', true), (4, 7, '${note}', false)`);
    });
    after(() => db?.close());

    test('the same rows as the prepared statement', async () => {
      const ripple = await loadEngine();
      const values = [TRICKY, -4, true];
      const bound = ripple.bindParameters(QUERY[engine], engine, values);
      const rows = await db.rows(bound);
      assert.deepEqual(rows, [{ n: 2, note: TRICKY }]);
      assert.deepEqual(await preparedRows(db, engine, QUERY[engine], values), rows);
    });
  });
}

/** The rows of `sql` with `values` bound by the database's driver. */
async function preparedRows(db, engine, sql, values) {
  if (engine === 'postgres') return db.rows({ text: sql, values });
  return db.rows(sql, values);
}
