'use strict';

// Forward views executed for real, on PostgreSQL and DuckDB: the OLD table
// is created with rows, the forward view (the new shape over it) in a
// scratch schema, and a consumer's query is rewritten by the engine for the
// change; pointed at the view (one more rewrite: its table renamed to the
// view), the patched query must return the same rows as the old query on
// the old table. That is how a patch is validated before the producer has
// changed anything. The view must have the new columns and types; its
// cleanup must remove it.

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { loadEngine } = require('..');
const { connectDuckDb, connectPostgres, postgresUrl } = require('./databases');

const VIEW = 'ripple_scratch.orders_next';

function cases(engine) {
  const pg = engine === 'postgres';
  const text = pg ? 'text' : 'VARCHAR';
  const columns = [['id', 'integer'], ['amount', 'integer'], ['status', text], ['legacy', 'boolean']];
  return [
    {
      name: 'rename_column',
      changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
      consumer: `SELECT status, sum(amount) AS total FROM sales.orders WHERE amount > 2 GROUP BY status ORDER BY status`,
      newColumns: ['id', 'amount_usd', 'status', 'legacy'],
    },
    {
      name: 'rename_table with a renamed column',
      changes: [
        { kind: 'rename_column', column: 'status', to: 'state' },
        { kind: 'rename_table', to: 'core.orders' },
      ],
      consumer: `SELECT o.id, o.status FROM sales.orders o WHERE o.status = 'paid' ORDER BY o.id`,
      newColumns: ['id', 'amount', 'state', 'legacy'],
    },
    {
      name: 'drop_column a consumer does not read',
      changes: [{ kind: 'drop_column', column: 'legacy' }],
      consumer: `SELECT id, amount FROM sales.orders ORDER BY id`,
      newColumns: ['id', 'amount', 'status'],
      status: 'unaffected',
    },
    {
      name: 'change_type, the consumer reading it as the new type',
      changes: [{ kind: 'change_type', column: 'amount', to: 'bigint' }],
      consumer: `SELECT status, max(amount) AS top FROM sales.orders GROUP BY status ORDER BY status`,
      newColumns: ['id', 'amount', 'status', 'legacy'],
      newType: ['amount', pg ? 'bigint' : 'BIGINT'],
      // A wider integer reads the same: nothing to edit.
      status: 'unaffected',
    },
    {
      name: 'replace_table with a column mapping',
      changes: [{ kind: 'replace_table', to: 'core.orders_v2', columns: { id: 'order_id' } }],
      consumer: `SELECT id, status FROM sales.orders WHERE id > 1 ORDER BY id`,
      newColumns: ['order_id', 'amount', 'status', 'legacy'],
    },
  ].map(c => ({ ...c, columns }));
}

function runCases(engine, connect) {
  let db;
  let ripple;
  before(async () => {
    ripple = await loadEngine();
    db = await connect();
  });
  after(async () => db && (await db.close()));

  for (const c of cases(engine)) {
    test(`${c.name}: the patched query reads the same rows through the forward view`, async () => {
      await db.exec('DROP SCHEMA IF EXISTS sales CASCADE; DROP SCHEMA IF EXISTS ripple_scratch CASCADE');
      await db.exec('CREATE SCHEMA sales; CREATE SCHEMA ripple_scratch');
      await db.exec(`CREATE TABLE sales.orders (${c.columns.map(([n, t]) => `${n} ${t}`).join(', ')});
        INSERT INTO sales.orders VALUES (1, 10, 'paid', true), (2, 4, 'open', false), (3, 7, 'paid', NULL), (4, 1, 'open', true)`);
      const change = { dataset: 'sales.orders', dialect: engine, changes: c.changes };
      const schema = { tables: { 'sales.orders': { columns: c.columns.map(([name, type]) => ({ name, type })) } } };

      const view = ripple.forwardView(change, { view: VIEW, schema });
      assert.equal(view.table, 'sales.orders');
      await db.exec(view.create);
      assert.deepEqual(
        (await db.columns('ripple_scratch', 'orders_next')).map(col => col.name),
        c.newColumns,
        'the new columns, in the old order',
      );
      if (c.newType) {
        const [name, type] = c.newType;
        assert.equal((await db.columns('ripple_scratch', 'orders_next')).find(col => col.name === name).type, type);
      }

      const patched = ripple.rewrite('consumer.sql', c.consumer, change, { schema });
      assert.equal(patched.status, c.status ?? 'rewritten', JSON.stringify(patched.findings));
      // The patched query names the dataset as it will be: point it at the view.
      const newName = c.changes.find(ch => ch.to && ch.kind.endsWith('_table'))?.to ?? 'sales.orders';
      const atView = ripple.rewrite('consumer.sql', patched.content ?? c.consumer, {
        dataset: newName,
        dialect: engine,
        changes: [{ kind: 'rename_table', to: VIEW }],
      });
      assert.equal(atView.status, 'rewritten', JSON.stringify(atView.findings));

      // Values compared by their text: a retyped column's values are the
      // same numbers in a wider type (4 and the bigint '4').
      const asText = rows => rows.map(row => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)])));
      const expected = asText(await db.rows(c.consumer));
      assert.ok(expected.length > 0, 'the old query returns rows');
      assert.deepEqual(asText(await db.rows(atView.content)), expected);

      // Ripple's own view: created again in place, then removed.
      await db.exec(view.create);
      await db.exec(view.cleanup);
      assert.deepEqual(await db.columns('ripple_scratch', 'orders_next'), []);
      await db.exec(view.cleanup);
    });
  }

  test('a wrong patch reads different rows through the view', async () => {
    await db.exec('DROP SCHEMA IF EXISTS sales CASCADE; DROP SCHEMA IF EXISTS ripple_scratch CASCADE');
    await db.exec(`CREATE SCHEMA sales; CREATE SCHEMA ripple_scratch;
      CREATE TABLE sales.orders (id integer, amount integer, fee integer);
      INSERT INTO sales.orders VALUES (1, 10, 1), (2, 4, 2)`);
    const change = { dataset: 'sales.orders', dialect: engine, changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }] };
    const columns = ['id', 'amount', 'fee'].map(name => ({ name }));
    const view = ripple.forwardView(change, { view: VIEW, schema: { tables: { 'sales.orders': { columns } } } });
    await db.exec(view.create);
    // By hand, and wrong: `fee` where `amount_usd` was meant.
    const wrong = `SELECT id, fee AS amount FROM ${VIEW} ORDER BY id`;
    assert.notDeepEqual(await db.rows(wrong), await db.rows('SELECT id, amount FROM sales.orders ORDER BY id'));
  });
}

describe('forward views on PostgreSQL', () => {
  const url = postgresUrl();
  if (!url && process.env.CI !== 'true') {
    test('needs PostgreSQL (set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING, as scripts/test.sh does)', t =>
      t.skip('no PostgreSQL connection string'));
    return;
  }
  runCases('postgres', () => connectPostgres(url, 'ripple_forward'));
});

describe('forward views on DuckDB', () => {
  runCases('duckdb', connectDuckDb);
});

test('forwardView throws RippleErrors that say what is wrong', async () => {
  const ripple = await loadEngine();
  const change = { dataset: 'ds.t', changes: [{ kind: 'replace_table', to: 'ds.u', columns: { a: 'b + 1' } }] };
  assert.throws(() => ripple.forwardView(change, { view: 'scratch.t', schema: { tables: { 'ds.t': { columns: [{ name: 'a' }] } } } }), {
    name: 'RippleError',
    kind: 'forward_view',
    column: 'a',
    message: /computed from the new table/,
  });
  assert.throws(() => ripple.forwardView({ dataset: 'ds.t', changes: [{ kind: 'drop_column', column: 'a' }] }, { view: 'ds.t' }), {
    kind: 'forward_view',
    message: /would take the name of ds\.t/,
  });
  assert.throws(() => ripple.forwardView({ dataset: 'ds.t', changes: [{ kind: 'drop_column', column: 'a' }] }), {
    kind: 'invalid_argument',
    argument: 'options.view',
  });
  assert.throws(() => ripple.forwardView({ dataset: 'ds.t', changes: [{ kind: 'drop_column', column: 'a' }] }, { view: 's.v', viewName: 'x' }), {
    kind: 'invalid_argument',
    argument: 'options.viewName',
    message: /unknown field `viewName`/,
  });
});
