import { ConfigReader } from '@backstage/config';
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createTestPostgresWarehouse,
  testPostgresUrl,
} from '../testUtils/TestPostgresWarehouse';
import { createDefaultWarehouseTypes, RippleWarehouses } from './config';
import { createDuckDbWarehouse } from './duckdb';
import type { RippleWarehouse } from './warehouse';

const SETUP = `CREATE SCHEMA shop;
  CREATE TABLE shop.orders (id INTEGER, amount INTEGER);
  INSERT INTO shop.orders VALUES (1, 10), (2, 20), (3, 30);`;

const limits = { timeoutMs: 10_000, maxRows: 1000 };

/** The same checks of `steps` on each real warehouse. */
function runsSteps(name: string, connect: () => Promise<RippleWarehouse>) {
  describe(`${name}`, () => {
    let warehouse: RippleWarehouse;
    beforeAll(async () => {
      warehouse = await connect();
    });
    afterAll(() => warehouse?.close());

    it('runs statements in one transaction, with parameters', async () => {
      const steps = warehouse.steps!;
      await steps.run([
        'CREATE TABLE shop.orders_v2 (id INTEGER, amount_usd INTEGER);',
      ]);
      const copy = await steps.run(
        [
          'DELETE FROM shop.orders_v2 WHERE id > $1 AND id <= $2;',
          'INSERT INTO shop.orders_v2 SELECT id, amount FROM shop.orders WHERE id > $1 AND id <= $2;',
        ],
        [1, 3],
      );
      expect(copy.rowsChanged).toBe(2);
      const copied = await steps.query(
        'SELECT count(*) AS n, sum(amount_usd) AS total FROM shop.orders_v2 WHERE id > $1',
        [0],
      );
      expect(copied.columns).toEqual(['n', 'total']);
      expect(copied.rows.map(r => r.map(String))).toEqual([['2', '50']]);
    });

    it('rolls the whole step back when one statement fails', async () => {
      await expect(
        warehouse.steps!.run([
          'INSERT INTO shop.orders_v2 VALUES (9, 90);',
          'INSERT INTO shop.no_such_table VALUES (1);',
        ]),
      ).rejects.toMatchObject({ name: 'WarehouseError', kind: 'query_failed' });
      const { rows } = await warehouse.steps!.query(
        'SELECT count(*) FROM shop.orders_v2 WHERE id = 9',
      );
      expect(String(rows[0][0])).toBe('0');
    });

    it("keeps a consumer's query read-only, before and after a step", async () => {
      await expect(
        warehouse.query('INSERT INTO shop.orders VALUES (5, 50)', limits),
      ).rejects.toMatchObject({ kind: 'query_failed' });
      // What a step wrote, a consumer's query reads.
      const read = await warehouse.query(
        'SELECT count(*) AS n FROM shop.orders_v2',
        limits,
      );
      expect(String(read.rows[0][0])).toBe('2');
    });
  });
}

describe('warehouse steps', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-steps-'));
    const instance = await DuckDBInstance.create(path.join(dir, 'w.duckdb'));
    const connection = await instance.connect();
    await connection.run(SETUP);
    connection.closeSync();
    instance.closeSync();
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  runsSteps('DuckDB', () =>
    createDuckDbWarehouse({
      id: 'example',
      path: path.join(dir, 'w.duckdb'),
      steps: true,
    }),
  );
  if (testPostgresUrl() || process.env.CI === 'true') {
    runsSteps('PostgreSQL', () =>
      createTestPostgresWarehouse({
        id: 'analytics',
        prefix: 'ripple_steps_node',
        setupSql: SETUP,
        steps: true,
      }),
    );
  }

  it('has no steps unless the config says run, and refuses run where Ripple cannot', async () => {
    const warehouses = new RippleWarehouses(
      new ConfigReader({
        a: { type: 'duckdb', path: path.join(dir, 'w.duckdb') },
        b: { type: 'duckdb', path: path.join(dir, 'w.duckdb'), steps: 'run' },
      }),
      createDefaultWarehouseTypes(),
    );
    expect(warehouses.stepsMode('a')).toBe('hand-over');
    expect(warehouses.stepsMode('b')).toBe('run');
    expect((await warehouses.get('a'))!.steps).toBeUndefined();
    await warehouses.close();
    expect((await warehouses.get('b'))!.steps).toBeDefined();
    await warehouses.close();
    expect(
      () =>
        new RippleWarehouses(
          new ConfigReader({
            bq: { type: 'bigquery', projectId: 'p', steps: 'run' },
          }),
          createDefaultWarehouseTypes(),
        ),
    ).toThrow(
      'ripple.warehouses.bq.steps: Ripple runs migration steps on duckdb and postgres only, not on bigquery; use hand-over',
    );
    expect(
      () =>
        new RippleWarehouses(
          new ConfigReader({
            a: { type: 'duckdb', path: 'x', steps: 'sometimes' },
          }),
          createDefaultWarehouseTypes(),
        ),
    ).toThrow('ripple.warehouses.a.steps: "sometimes" is neither');
  });
});
