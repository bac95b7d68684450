import { ConfigReader } from '@backstage/config';
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createTestPostgresWarehouse,
  testPostgresUrl,
} from '../testUtils/TestPostgresWarehouse';
import { compareResults } from './compare';
import { createDefaultWarehouseTypes, RippleWarehouses } from './config';
import { createDuckDbWarehouse } from './duckdb';
import { createPostgresWarehouse } from './postgres';
import { type RippleWarehouse, WarehouseError } from './warehouse';

const SETUP = `CREATE SCHEMA shop;
  CREATE TABLE shop.orders (id INTEGER, amount INTEGER, status VARCHAR);
  INSERT INTO shop.orders SELECT i, i % 7, CASE WHEN i % 2 = 0 THEN 'paid' ELSE 'open' END FROM range(1, 5001) t(i);`;

const limits = { timeoutMs: 10_000, maxRows: 1000 };

/** The same checks on each real warehouse. */
function behaves(name: string, connect: () => Promise<RippleWarehouse>) {
  describe(`${name}`, () => {
    let warehouse: RippleWarehouse;
    beforeAll(async () => {
      warehouse = await connect();
    });
    afterAll(() => warehouse?.close());

    it('runs a query and returns typed rows, cut at the row cap', async () => {
      const result = await warehouse.query(
        'SELECT status, count(*) AS n, sum(amount) AS total FROM shop.orders GROUP BY status ORDER BY status',
        limits,
      );
      expect(result.columns.map(c => c.name)).toEqual(['status', 'n', 'total']);
      expect(result.rows).toHaveLength(2);
      expect(result.rows[0][0]).toBe('open');
      // 64-bit counts and sums come back as text, never rounded.
      expect(String(result.rows[0][1])).toBe('2500');
      expect(result.truncated).toBe(false);
      const capped = await warehouse.query(
        'SELECT id FROM shop.orders ORDER BY id',
        { ...limits, maxRows: 10 },
      );
      expect(capped.rows).toHaveLength(10);
      expect(capped.truncated).toBe(true);
    });

    it('refuses to write, and to make views outside the scratch schema', async () => {
      await expect(
        warehouse.query("INSERT INTO shop.orders VALUES (0, 0, 'x')", limits),
      ).rejects.toMatchObject({ name: 'WarehouseError', kind: 'query_failed' });
      await expect(
        warehouse.query('SELECT 1; DELETE FROM shop.orders', limits),
      ).rejects.toMatchObject({ kind: 'query_failed' });
      const count = await warehouse.query(
        'SELECT count(*) AS n FROM shop.orders',
        limits,
      );
      expect(String(count.rows[0][0])).toBe('5000');
      await expect(
        warehouse.createView({
          view: 'shop.orders_v',
          create: 'CREATE VIEW shop.orders_v AS SELECT 1',
          cleanup: '',
        }),
      ).rejects.toMatchObject({ kind: 'refused' });
    });

    it('runs the old and the patched query side by side through a scratch view', async () => {
      const view = `${warehouse.scratchSchema}.orders_next`;
      const scratch = {
        view,
        create: `CREATE OR REPLACE VIEW ${view} AS SELECT id, amount AS amount_usd, status FROM ${warehouse.relation(
          'shop.orders',
        )}`,
        cleanup: `DROP VIEW IF EXISTS ${view}`,
      };
      await warehouse.createView(scratch);
      const before = await warehouse.query(
        'SELECT status, sum(amount) AS total FROM shop.orders GROUP BY status',
        limits,
      );
      const after = await warehouse.query(
        `SELECT status, sum(amount_usd) AS total FROM ${view} GROUP BY status`,
        limits,
      );
      expect(compareResults(before, after).equal).toBe(true);
      const wrong = await warehouse.query(
        `SELECT status, sum(id) AS total FROM ${view} GROUP BY status`,
        limits,
      );
      const comparison = compareResults(before, wrong, { key: ['status'] });
      expect(comparison.equal).toBe(false);
      expect(comparison.columns.find(c => c.name === 'total')!.equal).toBe(
        false,
      );
      expect(comparison.differences).toHaveLength(2);
      expect(comparison.differences[0].key).toEqual([expect.any(String)]);
      await warehouse.dropView(scratch);
      await expect(
        warehouse.query(`SELECT * FROM ${view}`, limits),
      ).rejects.toMatchObject({ kind: 'query_failed' });
    });

    it('stops a query at its timeout and refuses rows over the byte cap', async () => {
      const slow =
        'SELECT count(*) AS n FROM shop.orders a, shop.orders b, shop.orders c';
      await expect(
        warehouse.query(slow, { ...limits, timeoutMs: 200 }),
      ).rejects.toMatchObject({ kind: 'timeout' });
      // The connection is still usable after it.
      expect((await warehouse.query('SELECT 1 AS one', limits)).rows).toEqual([
        [1],
      ]);
      await expect(
        warehouse.query('SELECT id, status FROM shop.orders', {
          ...limits,
          maxBytes: 100,
        }),
      ).rejects.toMatchObject({ kind: 'cap_exceeded' });
    });
  });
}

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-warehouse-'));
  const instance = await DuckDBInstance.create(
    path.join(dir, 'example.duckdb'),
  );
  const connection = await instance.connect();
  await connection.run(SETUP);
  connection.closeSync();
  instance.closeSync();
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

behaves('DuckDB', () =>
  createDuckDbWarehouse({
    id: 'example',
    path: path.join(dir, 'example.duckdb'),
  }),
);

if (testPostgresUrl() || process.env.CI === 'true') {
  behaves('PostgreSQL', () =>
    createTestPostgresWarehouse({
      id: 'analytics',
      prefix: 'ripple_warehouse',
      setupSql: SETUP.replace(
        'range(1, 5001) t(i)',
        'generate_series(1, 5000) t(i)',
      ),
    }),
  );
}

describe('ripple.warehouses', () => {
  it('connects each configured warehouse on first use, and names what is wrong', async () => {
    const warehouses = new RippleWarehouses(
      new ConfigReader({
        example: { type: 'duckdb', path: path.join(dir, 'example.duckdb') },
      }),
      createDefaultWarehouseTypes(),
    );
    expect(warehouses.ids()).toEqual(['example']);
    expect(warehouses.get('other')).toBeUndefined();
    const example = await warehouses.get('example')!;
    expect(example.dialect).toBe('duckdb');
    expect(
      (await example.query('SELECT count(*) AS n FROM shop.orders', limits))
        .rows[0],
    ).toEqual(['5000']);
    await warehouses.close();

    expect(
      () =>
        new RippleWarehouses(
          new ConfigReader({ w: { type: 'oracle' } }),
          createDefaultWarehouseTypes(),
        ),
    ).toThrow(
      'ripple.warehouses.w.type: unknown warehouse type "oracle" (known: duckdb, postgres, bigquery, snowflake)',
    );
    const missing = new RippleWarehouses(
      new ConfigReader({
        gone: { type: 'duckdb', path: path.join(dir, 'missing', 'x.duckdb') },
      }),
      createDefaultWarehouseTypes(),
    );
    await expect(missing.get('gone')).rejects.toMatchObject({
      kind: 'unreachable',
    });
    const unreachable = createPostgresWarehouse({
      id: 'down',
      connection: {
        host: '127.0.0.1',
        port: 1,
        user: 'ripple',
        password: 'secret-password',
        connectionTimeoutMillis: 2000,
      },
    });
    const error = await unreachable.query('SELECT 1', limits).catch(e => e);
    expect(WarehouseError.is(error)).toBe(true);
    expect(error.kind).toBe('unreachable');
    expect(error.message).not.toContain('secret-password');
    await unreachable.close();
  });
});
