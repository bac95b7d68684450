import { Client } from 'pg';
import { createPostgresWarehouse } from '../warehouse/postgres';
import type { RippleWarehouse } from '../warehouse/warehouse';

/**
 * The PostgreSQL server's URL the test command offers Backstage's test
 * utilities (`BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING`), if any.
 *
 * @public
 */
export function testPostgresUrl(): string | undefined {
  return Object.entries(process.env).find(([k]) =>
    /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(k),
  )?.[1];
}

/**
 * A PostgreSQL warehouse on a database of its own (`prefix` and the
 * process id name it), made with `setupSql` and dropped when the warehouse
 * closes. In CI a missing server is a failure, never a skip.
 *
 * @public
 */
export async function createTestPostgresWarehouse(options: {
  id: string;
  prefix: string;
  setupSql: string;
  /** Lets Ripple run migration steps on it (`steps: run`). */
  steps?: boolean;
}): Promise<RippleWarehouse> {
  const url = testPostgresUrl();
  if (!url) {
    throw new Error(
      'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING must be set when CI=true',
    );
  }
  const database = `${options.prefix}_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${database}`);
  await admin(`CREATE DATABASE ${database}`);
  const target = new URL(url);
  target.pathname = `/${database}`;
  const setup = new Client({ connectionString: target.href });
  await setup.connect();
  try {
    await setup.query(options.setupSql);
  } finally {
    await setup.end();
  }
  const warehouse = createPostgresWarehouse({
    id: options.id,
    connection: { connectionString: target.href },
    steps: options.steps,
  });
  return {
    ...warehouse,
    close: async () => {
      await warehouse.close();
      await admin(`DROP DATABASE IF EXISTS ${database}`);
    },
  };
}
