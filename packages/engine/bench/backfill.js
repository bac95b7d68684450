'use strict';

// The step plan's backfill on a large table, on DuckDB (a file) and
// PostgreSQL (a database of its own): the single `INSERT ... SELECT` of the
// backfill's statements against its batches (`batch`, `batch_rows` keys at a
// time, each batch in a transaction of its own, as a runner does), and the
// verify step's time. Not a test: run after a build,
//
//   BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING=postgresql://... \
//   RIPPLE_BENCH_ROWS=10000000 node bench/backfill.js
//
// The dataset `shop.orders (id integer PRIMARY KEY, amount integer, status
// text, legacy boolean)`, rows in key order; the change renames `amount`.
// A runner clears a batch's range before copying it only for the first batch
// of a run (after a start or a kill, the batch a checkpoint may not cover):
// the new table has no index, so clearing every range would scan it each
// time. RIPPLE_BENCH_CLEAR=every measures that too.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { loadEngine } = require('..');
const { postgresUrl, connectPostgres } = require('../test/databases');

const ROWS = Number(process.env.RIPPLE_BENCH_ROWS ?? 10_000_000);
// Rows per batch: the plan's default unless given.
const BATCH = process.env.RIPPLE_BENCH_BATCH
  ? Number(process.env.RIPPLE_BENCH_BATCH)
  : undefined;
const CLEAR_EVERY = process.env.RIPPLE_BENCH_CLEAR === 'every';

async function duckdb(dir) {
  const { DuckDBInstance } = require('@duckdb/node-api');
  const instance = await DuckDBInstance.create(path.join(dir, 'bench.duckdb'));
  const connection = await instance.connect();
  return {
    name: 'DuckDB',
    dialect: 'duckdb',
    text: 'VARCHAR',
    run: (sql, params) => connection.run(sql, params),
    value: async (sql, params) =>
      (await connection.runAndReadAll(sql, params)).getRowsJS()[0][0],
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

async function postgres() {
  const db = await connectPostgres(postgresUrl(), 'ripple_bench_backfill');
  return {
    name: 'PostgreSQL',
    dialect: 'postgres',
    text: 'text',
    run: (sql, params) => db.exec(params ? { text: sql, values: params } : sql),
    value: async (sql, params) => {
      const rows = await db.rows(
        params
          ? { text: sql, values: params, rowMode: 'array' }
          : { text: sql, rowMode: 'array' },
      );
      return rows[0][0];
    },
    close: () => db.close(),
  };
}

async function seconds(f) {
  const start = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function bench(db, engine) {
  await db.run('DROP SCHEMA IF EXISTS shop CASCADE');
  await db.run('CREATE SCHEMA shop');
  await db.run(
    `CREATE TABLE shop.orders (id integer PRIMARY KEY, amount integer, status ${db.text}, legacy boolean)`,
  );
  const load = await seconds(() =>
    db.run(`INSERT INTO shop.orders SELECT i, (i * 7) % 1000, CASE WHEN i % 3 = 0 THEN 'paid' WHEN i % 3 = 1 THEN 'open' END, i % 2 = 0
            FROM generate_series(1, ${ROWS}) AS s(i)`),
  );
  // A table that has settled: vacuumed, as autovacuum leaves it.
  if (db.dialect === 'postgres') await db.run('VACUUM ANALYZE shop.orders');
  const change = {
    dataset: 'shop.orders',
    dialect: db.dialect,
    changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
  };
  const schema = JSON.stringify({
    tables: {
      'shop.orders': {
        columns: [
          ['id', 'integer'],
          ['amount', 'integer'],
          ['status', db.text],
          ['legacy', 'boolean'],
        ].map(([name, type]) => ({ name, type })),
      },
    },
  });
  const plan = engine.stepPlan(change, {
    schema,
    ...(BATCH ? { batch_rows: BATCH } : {}),
  });
  const [expand, backfill, verify] = plan.steps;
  const fresh = async () => {
    for (const s of expand.rollback) await db.run(s);
    for (const s of expand.statements) await db.run(s);
  };
  const inTransaction = async statements => {
    await db.run('BEGIN');
    for (const [sql, params] of statements) await db.run(sql, params);
    await db.run('COMMIT');
  };

  await fresh();
  const single = await seconds(() =>
    inTransaction(backfill.statements.map(s => [s])),
  );

  await fresh();
  const b = backfill.batch;
  let batches = 0;
  const batched = await seconds(async () => {
    let last = await db.value(b.next_first);
    await inTransaction([
      [b.clear_first, [last]],
      [b.copy_first, [last]],
    ]);
    batches++;
    for (;;) {
      const next = await db.value(b.next, [last]);
      if (next === null) break;
      await inTransaction([
        ...(CLEAR_EVERY ? [[b.clear, [last, next]]] : []),
        [b.copy, [last, next]],
      ]);
      batches++;
      last = next;
    }
    await inTransaction([[b.clear_nulls], [b.copy_nulls]]);
  });

  let matches = true;
  const verifying = await seconds(async () => {
    for (const s of verify.statements)
      matches = matches && (await db.value(s.replace(/;$/, ''))) === true;
  });
  const copied = Number(
    await db.value(`SELECT count(*) FROM ${plan.new_table}`),
  );
  console.log(
    `${db.name}: ${ROWS} rows (loaded in ${load.toFixed(
      1,
    )} s); one INSERT ... SELECT ${single.toFixed(1)} s; ` +
      `${batches} batches of ${plan.batch_rows}${
        CLEAR_EVERY ? ' (each cleared first)' : ''
      } ${batched.toFixed(1)} s, ` +
      `${(batched / single).toFixed(2)}x; verify (${
        verify.statements.length
      } queries) ${verifying.toFixed(1)} s, ` +
      `${matches ? 'matches' : 'DOES NOT MATCH'}; ${copied} rows copied`,
  );
}

async function main() {
  const engine = await loadEngine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-bench-backfill-'));
  try {
    for (const connect of [
      () => duckdb(dir),
      ...(postgresUrl() ? [postgres] : []),
    ]) {
      const db = await connect();
      try {
        await bench(db, engine);
      } finally {
        await db.close();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
