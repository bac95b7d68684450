import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import path from 'node:path';
import { Client } from 'pg';

// The warehouses `steps/stepPlanSql.test.ts` runs the engine's step plans on.

/**
 * A warehouse the step plan's SQL runs on for real, written to: a DuckDB
 * file or a PostgreSQL database of the test's own. (Not `RippleWarehouse`,
 * which only reads: these tests play the runner and the person both.)
 */
export interface SqlWarehouse {
  dialect: 'duckdb' | 'postgres';
  /** Column types as the dialect spells them. */
  types: { int: string; bigint: string; text: string; bool: string };
  /** Runs statements (each with its bind parameters) in one transaction. */
  exec(statements: Array<string | [string, unknown[]]>): Promise<void>;
  /** A query's rows, each an array of values. */
  rows(sql: string, params?: unknown[]): Promise<unknown[][]>;
  close(): Promise<void>;
}

export async function duckDbWarehouse(dir: string): Promise<SqlWarehouse> {
  const instance = await DuckDBInstance.create(path.join(dir, 'steps.duckdb'));
  const connection = await instance.connect();
  const rows = async (sql: string, params?: unknown[]) =>
    (
      await connection.runAndReadAll(sql, params as DuckDBValue[] | undefined)
    ).getRowsJS() as unknown[][];
  return {
    dialect: 'duckdb',
    types: {
      int: 'INTEGER',
      bigint: 'BIGINT',
      text: 'VARCHAR',
      bool: 'BOOLEAN',
    },
    rows,
    exec: statements =>
      transaction(
        sql => connection.run(sql).then(() => undefined),
        (sql, params) =>
          connection
            .run(sql, params as DuckDBValue[] | undefined)
            .then(() => undefined),
        statements,
      ),
    close: async () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * PostgreSQL on a database made for the test (dropped by `close`), on the
 * server of the test command's connection string.
 */
export async function postgresWarehouse(url: string): Promise<SqlWarehouse> {
  const database = `ripple_steps_sql_${process.pid}_${Date.now()}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${database}`);
  const target = new URL(url);
  target.pathname = `/${database}`;
  const client = new Client({ connectionString: target.href });
  await client.connect();
  const run = (sql: string, params?: unknown[]) =>
    client.query(sql, params).then(() => undefined);
  return {
    dialect: 'postgres',
    types: { int: 'integer', bigint: 'bigint', text: 'text', bool: 'boolean' },
    rows: async (sql, params) =>
      (await client.query({ text: sql, values: params, rowMode: 'array' }))
        .rows,
    exec: statements => transaction(run, run, statements),
    close: async () => {
      await client.end();
      await admin(`DROP DATABASE IF EXISTS ${database}`);
    },
  };
}

async function transaction(
  plain: (sql: string) => Promise<void>,
  bound: (sql: string, params?: unknown[]) => Promise<void>,
  statements: Array<string | [string, unknown[]]>,
): Promise<void> {
  await plain('BEGIN');
  try {
    for (const statement of statements) {
      if (typeof statement === 'string') {
        await bound(statement);
      } else {
        await bound(statement[0], statement[1]);
      }
    }
    await plain('COMMIT');
  } catch (error) {
    await plain('ROLLBACK');
    throw error;
  }
}

/** A value as text, so an integer and the same bigint compare equal. */
export function text(value: unknown): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Rows in a canonical order, each value as text. */
export function sortedRows(rows: unknown[][]): string[] {
  return rows.map(row => JSON.stringify(row.map(text))).sort();
}

/**
 * Everything a step may change in the schemas the tests use: each
 * relation's kind, its columns and their types in order, and its rows.
 */
export async function warehouseState(db: SqlWarehouse): Promise<unknown> {
  const schemas = `table_schema IN ('shop', 'core')`;
  const tables = await db.rows(
    `SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE ${schemas} ORDER BY 1, 2`,
  );
  const columns = await db.rows(
    `SELECT table_schema, table_name, column_name, data_type, ordinal_position
     FROM information_schema.columns WHERE ${schemas} ORDER BY 1, 2, 5`,
  );
  const contents: Record<string, string[]> = {};
  for (const [schema, name] of tables) {
    contents[`${schema}.${name}`] = sortedRows(
      await db.rows(`SELECT * FROM ${schema}.${name}`),
    );
  }
  return {
    tables: tables.map(row => row.map(text)),
    columns: columns.map(row => row.map(text)),
    contents,
  };
}

/**
 * `shop.orders` as every case starts: NULLs, values repeated in the
 * non-key columns, and a NULL key; and `core`, the schema a replacing
 * table is created in.
 */
export async function resetShop(db: SqlWarehouse): Promise<void> {
  const { int, text: varchar, bool } = db.types;
  await db.exec([
    'DROP SCHEMA IF EXISTS shop CASCADE',
    'DROP SCHEMA IF EXISTS core CASCADE',
    'CREATE SCHEMA shop',
    'CREATE SCHEMA core',
    `CREATE TABLE shop.orders (id ${int}, amount ${int}, status ${varchar}, legacy ${bool})`,
    `INSERT INTO shop.orders VALUES
      (1, 10, 'paid', true), (2, 4, 'open', false), (3, 7, 'paid', NULL),
      (4, NULL, 'open', true), (NULL, 5, 'paid', false), (5, 10, 'paid', true),
      (6, 4, NULL, NULL), (7, 7, 'open', false)`,
  ]);
}

/** `shop.orders`' columns before the change, in the warehouse's types. */
export function shopSchema(db: SqlWarehouse) {
  const { int, text: varchar, bool } = db.types;
  return {
    tables: {
      'shop.orders': {
        columns: [
          { name: 'id', type: int },
          { name: 'amount', type: int },
          { name: 'status', type: varchar },
          { name: 'legacy', type: bool },
        ],
      },
    },
  };
}
