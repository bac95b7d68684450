'use strict';

// The real databases the executed tests run DDL and queries on: PostgreSQL
// (the server the test command starts) and DuckDB (embedded). Each
// connection is `{ exec, rows, columns, close }`.

const assert = require('node:assert/strict');

/** The PostgreSQL server's URL, as scripts/test.sh sets it for Backstage's test utilities. */
function postgresUrl() {
  return Object.entries(process.env).find(([k]) => /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(k))?.[1];
}

/** A database of its own on the server at `url` (`prefix` and the pid name it), dropped on close. */
async function connectPostgres(url, prefix) {
  // In CI a missing server is a failure, never a skip.
  assert.ok(url, 'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING must be set when CI=true');
  const database = `${prefix}_${process.pid}`;
  const { Client } = require('pg');
  const admin = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await admin.connect();
  const target = new URL(url);
  target.pathname = `/${database}`;
  const client = new Client({ connectionString: target.href, connectionTimeoutMillis: 5000 });
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
    await client.connect();
  } catch (error) {
    await admin.end(); // an open connection would keep the test process alive
    throw error;
  }
  return {
    exec: sql => client.query(sql),
    rows: async sql => (await client.query(sql)).rows,
    columns: async (schema, table) =>
      (
        await client.query(
          `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
          [schema, table],
        )
      ).rows,
    close: async () => {
      await client.end();
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
    },
  };
}

/** An in-memory DuckDB. */
async function connectDuckDb() {
  const { DuckDBInstance } = require('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  // `values` bind the SQL's parameters (`$1`...), as the driver binds them.
  const rows = async (sql, values) => (await connection.runAndReadAll(sql, values)).getRowObjectsJson();
  return {
    exec: sql => connection.run(sql),
    rows,
    columns: (schema, table) =>
      rows(`SELECT column_name AS name, data_type AS type FROM information_schema.columns
             WHERE table_schema = '${schema}' AND table_name = '${table}' ORDER BY ordinal_position`),
    close: async () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

module.exports = { postgresUrl, connectPostgres, connectDuckDb };
