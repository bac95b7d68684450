'use strict';

// Compatibility views executed for real: the DDL `compatView` generates runs
// on PostgreSQL (the server the test command starts) and on DuckDB
// (embedded). For each change, the NEW table is created with rows, the view
// is created under the old name, and a consumer written against the old name
// and columns must return the same rows through the view as the same query
// rewritten by hand against the new table. The view must also have exactly
// the old table's columns and types; then the cleanup DDL must remove it.

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { loadEngine } = require('..');
const { connectDuckDb: duckdb, connectPostgres, postgresUrl } = require('./databases');

/** The old table, as the schema gives it to `compatView` and as it was created. */
function oldTable(columns) {
  return {
    schema: { tables: { 'sales.orders': { columns: columns.map(([name, type]) => ({ name, type })) } } },
    ddl: `CREATE TABLE before.orders (${columns.map(([n, t]) => `${n} ${t}`).join(', ')})`,
  };
}

const toNew = { kind: 'rename_table', to: 'core.orders' };

/**
 * The changes, per engine: `setup` creates the new table with rows, `consumer`
 * reads the old name and columns, `rewritten` is the same query by hand
 * against the new table.
 */
function cases(engine) {
  const pg = engine === 'postgres';
  const text = pg ? 'text' : 'VARCHAR';
  return [
    {
      name: 'rename_table alone',
      changes: [toNew],
      old: oldTable([['id', 'integer'], ['status', text]]),
      setup: `CREATE TABLE core.orders (id integer, status ${text});
              INSERT INTO core.orders VALUES (1, 'paid'), (2, 'open'), (3, 'paid');`,
      consumer: `SELECT status, count(*) AS n FROM sales.orders GROUP BY status ORDER BY status`,
      rewritten: `SELECT status, count(*) AS n FROM core.orders GROUP BY status ORDER BY status`,
    },
    {
      name: 'rename_column',
      changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }, toNew],
      old: oldTable([['id', 'integer'], ['amount', 'numeric(10,2)'], ['status', text]]),
      setup: `CREATE TABLE core.orders (id integer, amount_usd numeric(10,2), status ${text});
              INSERT INTO core.orders VALUES (1, 10.50, 'paid'), (2, 4.25, 'open'), (3, 1.00, 'paid');`,
      consumer: `SELECT o.status, sum(o.amount) AS total FROM sales.orders o WHERE amount > 2 GROUP BY o.status ORDER BY 1`,
      rewritten: `SELECT o.status, sum(o.amount_usd) AS total FROM core.orders o WHERE amount_usd > 2 GROUP BY o.status ORDER BY 1`,
    },
    {
      name: 'drop_column',
      changes: [{ kind: 'drop_column', column: 'legacy_flag' }, toNew],
      old: oldTable([['id', 'integer'], ['legacy_flag', 'boolean'], ['status', text]]),
      setup: `CREATE TABLE core.orders (id integer, status ${text});
              INSERT INTO core.orders VALUES (1, 'paid'), (2, 'open');`,
      consumer: `SELECT id, legacy_flag, coalesce(legacy_flag, false) AS flagged FROM sales.orders ORDER BY id`,
      rewritten: `SELECT id, CAST(NULL AS boolean) AS legacy_flag, false AS flagged FROM core.orders ORDER BY id`,
    },
    {
      name: 'change_type',
      changes: [{ kind: 'change_type', column: 'id', to: text }, toNew],
      old: oldTable([['id', 'integer'], ['status', text]]),
      setup: `CREATE TABLE core.orders (id ${text}, status ${text});
              INSERT INTO core.orders VALUES ('1', 'paid'), ('10', 'open'), ('2', 'paid');`,
      // Integer arithmetic and order: a text id would fail or sort 1, 10, 2.
      consumer: `SELECT id + 1 AS next_id, status FROM sales.orders ORDER BY id`,
      rewritten: `SELECT CAST(id AS integer) + 1 AS next_id, status FROM core.orders ORDER BY CAST(id AS integer)`,
    },
    {
      name: 'replace_table with a nested path and an expression',
      changes: [
        {
          kind: 'replace_table',
          to: 'core.orders',
          columns: {
            id: 'order_id',
            cust: 'customer.id',
            ts: pg ? 'to_timestamp(ts_ms / 1000.0)' : 'epoch_ms(ts_ms)',
          },
        },
      ],
      old: oldTable([['id', 'integer'], ['cust', 'integer'], ['ts', pg ? 'timestamptz' : 'timestamp'], ['status', text]]),
      setup: pg
        ? `CREATE TYPE core.customer AS (id integer, name text);
           CREATE TABLE core.orders (order_id integer, customer core.customer, ts_ms bigint, status text);
           INSERT INTO core.orders VALUES (1, ROW(7, 'Ada'), 1700000000000, 'paid'), (2, ROW(8, 'Bo'), 1700000060000, 'open');`
        : `CREATE TABLE core.orders (order_id integer, customer STRUCT(id integer, name VARCHAR), ts_ms bigint, status VARCHAR);
           INSERT INTO core.orders VALUES (1, {'id': 7, 'name': 'Ada'}, 1700000000000, 'paid'), (2, {'id': 8, 'name': 'Bo'}, 1700000060000, 'open');`,
      consumer: `SELECT id, cust, ts, status FROM sales.orders WHERE cust = 8 OR ts < '2023-11-14 22:14:00' ORDER BY id`,
      rewritten: pg
        ? `SELECT order_id AS id, (customer).id AS cust, to_timestamp(ts_ms / 1000.0) AS ts, status FROM core.orders
           WHERE (customer).id = 8 OR to_timestamp(ts_ms / 1000.0) < '2023-11-14 22:14:00' ORDER BY order_id`
        : `SELECT order_id AS id, customer.id AS cust, epoch_ms(ts_ms) AS ts, status FROM core.orders
           WHERE customer.id = 8 OR epoch_ms(ts_ms) < '2023-11-14 22:14:00' ORDER BY order_id`,
    },
  ];
}

/**
 * Runs every case on one engine through `db` ({ exec, rows, columns }), and
 * returns a getter of `db` for the engine's own tests.
 */
function runCases(engine, connect) {
  let db;
  let ripple;
  before(async () => {
    ripple = await loadEngine();
    db = await connect();
  });
  after(async () => db && (await db.close()));

  for (const c of cases(engine)) {
    test(`${c.name}: the old consumer reads the same rows through the view`, async () => {
      await db.exec('DROP SCHEMA IF EXISTS sales CASCADE; DROP SCHEMA IF EXISTS core CASCADE; DROP SCHEMA IF EXISTS before CASCADE');
      await db.exec('CREATE SCHEMA sales; CREATE SCHEMA core; CREATE SCHEMA before');
      await db.exec(c.setup);
      await db.exec(c.old.ddl);
      const spec = { dataset: 'sales.orders', changes: c.changes };
      const view = ripple.compatView(spec, { dialect: engine, schema: c.old.schema });
      assert.equal(view.view, 'sales.orders');

      await db.exec(view.create);
      const expected = await db.rows(c.rewritten);
      assert.ok(expected.length > 0, 'the rewritten query returns rows');
      assert.deepEqual(await db.rows(c.consumer), expected);
      assert.deepEqual(await db.columns('sales', 'orders'), await db.columns('before', 'orders'), 'the old names, order and types');

      // Running the DDL again (a retried deployment) replaces the view in place.
      await db.exec(view.create);
      assert.deepEqual(await db.rows(c.consumer), expected);

      await db.exec(view.cleanup);
      assert.deepEqual(await db.columns('sales', 'orders'), [], 'the view is gone');
      await assert.rejects(db.rows(c.consumer));
      await db.exec(view.cleanup); // IF EXISTS: cleaning up twice is harmless
    });
  }

  test('while the old table has not moved, the DDL fails and leaves it untouched', async () => {
    await db.exec('DROP SCHEMA IF EXISTS sales CASCADE; DROP SCHEMA IF EXISTS core CASCADE');
    await db.exec(`CREATE SCHEMA sales; CREATE SCHEMA core; CREATE TABLE core.orders (id integer);
      CREATE TABLE sales.orders (id integer); INSERT INTO sales.orders VALUES (1)`);
    const view = ripple.compatView({ dataset: 'sales.orders', changes: [toNew] }, { dialect: engine });
    await assert.rejects(db.exec(view.create));
    await assert.rejects(db.exec(view.cleanup));
    assert.deepEqual(await db.rows('SELECT id FROM sales.orders'), [{ id: 1 }]);
  });
  return () => db;
}

describe('compatibility views on PostgreSQL', () => {
  const url = postgresUrl();
  if (!url && process.env.CI !== 'true') {
    test('needs PostgreSQL (set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING, as scripts/test.sh does)', t =>
      t.skip('no PostgreSQL connection string'));
    return;
  }

  const postgres = runCases('postgres', () => connectPostgres(url, 'ripple_compat'));

  test('a leftover view with other columns makes the create fail rather than be dropped', async () => {
    const db = postgres();
    await db.exec(`DROP SCHEMA IF EXISTS sales CASCADE; DROP SCHEMA IF EXISTS core CASCADE;
      CREATE SCHEMA sales; CREATE SCHEMA core; CREATE TABLE core.orders (id integer, amount_usd numeric);
      CREATE VIEW sales.orders AS SELECT 1 AS legacy`);
    const view = (await loadEngine()).compatView(
      { dataset: 'sales.orders', changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }, toNew] },
      { dialect: 'postgres', schema: { tables: { 'sales.orders': { columns: [{ name: 'id' }, { name: 'amount' }] } } } },
    );
    await assert.rejects(db.exec(view.create), /cannot change name of view column "legacy" to "id"/);
    assert.deepEqual(await db.rows('SELECT * FROM sales.orders'), [{ legacy: 1 }]);
  });
});

describe('compatibility views on DuckDB', () => {
  runCases('duckdb', duckdb);

  test('without a schema, * EXCLUDE leaves the renamed columns out and aliases them back', async () => {
    const ripple = await loadEngine();
    const db = await duckdb();
    try {
      await db.exec(`CREATE SCHEMA sales; CREATE SCHEMA core;
        CREATE TABLE core.orders (id integer, amount_usd DECIMAL(10,2), customer STRUCT(id integer), ts_ms bigint);
        INSERT INTO core.orders VALUES (1, 10.50, {'id': 7}, 0), (2, 4.25, {'id': 8}, 60000);`);
      const change = JSON.stringify({
        dataset: 'sales.orders',
        dialect: 'duckdb',
        changes: [{ kind: 'replace_table', to: 'core.orders', columns: { amount: 'amount_usd', cust: 'customer.id', ts: 'epoch_ms(ts_ms)' } }],
      });
      const view = ripple.compatView(change); // JSON text, the spec's dialect
      assert.match(view.create, /\* EXCLUDE \(amount_usd\)/);
      await db.exec(view.create);
      assert.deepEqual(
        await db.rows('SELECT id, amount, cust, ts FROM sales.orders ORDER BY id'),
        await db.rows('SELECT id, amount_usd AS amount, customer.id AS cust, epoch_ms(ts_ms) AS ts FROM core.orders ORDER BY id'),
      );
      await assert.rejects(db.rows('SELECT amount_usd FROM sales.orders'), /amount_usd/);
      await db.exec(view.cleanup);
      assert.deepEqual(await db.columns('sales', 'orders'), []);
    } finally {
      await db.close();
    }
  });
});

test('compatView throws RippleErrors that say what is missing', async () => {
  const ripple = await loadEngine();
  assert.throws(() => ripple.compatView({ dataset: 'ds.t', changes: [{ kind: 'drop_column', column: 'a' }] }), {
    name: 'RippleError',
    kind: 'compat_view',
    message: /keeps ds\.t in place/,
  });
  assert.throws(
    () => ripple.compatView({ dataset: 'ds.t', changes: [{ kind: 'drop_column', column: 'a' }, toNew] }, { dialect: 'bigquery' }),
    { name: 'RippleError', kind: 'compat_view', column: 'a' },
  );
  assert.throws(() => ripple.compatView({ dataset: 'ds.t', changes: [{ kind: 'rename_table' }] }), {
    name: 'RippleError',
    kind: 'invalid_change',
    field: 'changes[0]',
  });
  assert.throws(() => ripple.compatView('{"dataset": "ds.t",\n "changes": [,]}'), {
    kind: 'invalid_change',
    message: 'invalid change spec: expected value at line 2, column 14',
  });
  assert.throws(() => ripple.compatView({ dataset: 'ds.t', changes: [toNew] }, { schema: { tables: { t: { colums: [] } } } }), {
    kind: 'invalid_schema',
    field: 'tables.t.colums',
  });
  assert.throws(() => ripple.compatView({ dataset: 'ds.t', changes: [toNew] }, { dialect: 'oracle' }), { kind: 'unknown_dialect' });
  assert.throws(() => ripple.compatView(undefined), { name: 'RippleError', kind: 'invalid_change', message: /EOF while parsing/ });
});
