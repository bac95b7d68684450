import {
  createDuckDbWarehouse,
  type RippleWarehouse,
} from '@ripple/backstage-plugin-ripple-node';
import {
  createTestPostgresWarehouse,
  testPostgresUrl,
} from '@ripple/backstage-plugin-ripple-node/testUtils';
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The dataset `shop.orders` with rows, as validation's tests make it. */
export const SHOP_ROWS = `CREATE SCHEMA shop;
  CREATE TABLE shop.orders (id INTEGER, amount INTEGER, status VARCHAR, legacy BOOLEAN);
  INSERT INTO shop.orders VALUES (1, 10, 'paid', true), (2, 4, 'open', false), (3, 7, 'paid', NULL), (4, 1, 'open', true);`;

/** `shop.orders`' columns before the change. */
export const SHOP_COLUMNS = [
  { name: 'id', type: 'INTEGER' },
  { name: 'amount', type: 'INTEGER' },
  { name: 'status', type: 'VARCHAR' },
  { name: 'legacy', type: 'BOOLEAN' },
];

/**
 * Declares `suite` on each warehouse validation is tested on, both holding
 * `shop.orders`: DuckDB (a file made in a temp dir), and PostgreSQL when the
 * test command offers one (always in CI, where a missing server fails).
 * `suite` gets the warehouse's name, how to connect to it, and the catalog
 * (database) a fully qualified name of it starts with, as dbt writes one.
 */
export function onEachWarehouse(
  prefix: string,
  suite: (
    name: string,
    connect: () => Promise<RippleWarehouse>,
    catalog: string,
  ) => void,
): void {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
    const instance = await DuckDBInstance.create(
      path.join(dir, 'example.duckdb'),
    );
    const connection = await instance.connect();
    await connection.run(SHOP_ROWS);
    connection.closeSync();
    instance.closeSync();
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  suite(
    'DuckDB',
    () =>
      createDuckDbWarehouse({
        id: 'example',
        path: path.join(dir, 'example.duckdb'),
      }),
    // The name the DuckDB warehouse attaches its file as.
    'warehouse',
  );
  if (testPostgresUrl() || process.env.CI === 'true') {
    suite(
      'PostgreSQL',
      () =>
        createTestPostgresWarehouse({
          id: 'analytics',
          prefix,
          setupSql: SHOP_ROWS,
        }),
      `${prefix}_${process.pid}`,
    );
  }
}
