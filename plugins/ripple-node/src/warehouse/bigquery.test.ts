import { createBigQueryWarehouse } from './bigquery';
import { DuckDbBackend } from '../testUtils/warehouse/duckdbBackend';
import {
  type FakeBigQuery,
  startFakeBigQuery,
} from '../testUtils/warehouse/fakeBigQuery';
import { type RippleWarehouse, WarehouseError } from './warehouse';
import { sampleView } from './sample';

const SETUP = `CREATE SCHEMA shop;
  CREATE SCHEMA ripple_scratch;
  CREATE TABLE shop.orders (id INTEGER, amount DECIMAL(12, 2), status VARCHAR, placed TIMESTAMPTZ, day DATE, ok BOOLEAN, ratio DOUBLE, big BIGINT);
  INSERT INTO shop.orders SELECT i, i / 4, CASE WHEN i % 2 = 0 THEN 'paid' ELSE 'open' END,
    TIMESTAMPTZ '2024-01-02 03:04:05.123456+00' + INTERVAL (i) SECOND, DATE '2024-01-01' + (i % 3)::INTEGER, i % 3 = 0, i / 8, 9007199254740993 + i
    FROM range(1, 2501) t(i);
  CREATE TABLE shop.events (n INTEGER, v VARCHAR);
  CREATE TABLE shop.customers (id INTEGER);`;

// Google's HTTP layer (teeny-request) loads the ESM node-fetch with a dynamic
// import(), which Jest cannot do without --experimental-vm-modules. Under Bun
// it uses its own node:http transport instead: the tests take that path (the
// client's requests, retries and error parsing are unchanged; outside Jest
// node-fetch carries them).
(globalThis as { Bun?: unknown }).Bun = {};

const limits = { timeoutMs: 10_000, maxRows: 1000 };
// What the tests' auth client puts on every request (a real one gets a token from Google).
const authClient = {
  getRequestHeaders: async () =>
    new Headers({ authorization: 'Bearer test-access-token' }),
} as never;

let backend: DuckDbBackend;
let fake: FakeBigQuery;
let warehouse: RippleWarehouse;
beforeAll(async () => {
  backend = await DuckDbBackend.create(SETUP);
  fake = await startFakeBigQuery(backend, {
    partitioning: {
      'shop.orders': { timePartitioning: { type: 'DAY', field: 'day' } },
      'shop.events': {
        rangePartitioning: {
          field: 'n',
          range: { start: '0', end: '100', interval: '10' },
        },
      },
    },
  });
  warehouse = createBigQueryWarehouse({
    id: 'bq',
    projectId: 'acme',
    location: 'EU',
    apiEndpoint: fake.url,
    authClient,
    pageSize: 300,
  });
});
afterAll(async () => {
  await fake?.close();
  backend?.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.ran.length = 0;
});

describe('BigQuery', () => {
  it('dry-runs, then runs the job within the caps, and types the rows from the schema', async () => {
    const result = await warehouse.query(
      `SELECT id, amount, status, placed, day, ok, ratio, big, {'n': id, 'tags': [status]} AS nested
       FROM shop.orders WHERE id <= 2 ORDER BY id`,
      limits,
    );
    expect(result.columns).toEqual([
      { name: 'id', type: 'INT64' },
      { name: 'amount', type: 'NUMERIC' },
      { name: 'status', type: 'STRING' },
      { name: 'placed', type: 'TIMESTAMP' },
      { name: 'day', type: 'DATE' },
      { name: 'ok', type: 'BOOL' },
      { name: 'ratio', type: 'FLOAT64' },
      { name: 'big', type: 'INT64' },
      { name: 'nested', type: 'STRUCT' },
    ]);
    expect(result.rows[0]).toEqual([
      '1',
      '0.25',
      'open',
      '2024-01-02T03:04:06.123456Z',
      '2024-01-02',
      false,
      0.125,
      // Past 2^53: text, never rounded.
      '9007199254740994',
      { n: '1', tags: ['open'] },
    ]);
    expect(result.truncated).toBe(false);
    expect(result.bytesProcessed).toBe(2500 * 8 * 8);

    const [dry, run] = fake.requests.filter(r => r.method === 'POST');
    expect(dry.body.configuration.dryRun).toBe(true);
    expect(run.body.configuration).toMatchObject({
      jobTimeoutMs: '10000',
      query: {
        maximumBytesBilled: String(10 * 1024 ** 3),
        useLegacySql: false,
      },
    });
    expect(run.body.jobReference.location).toBe('EU');
    expect(
      fake.requests.every(
        r => r.headers.authorization === 'Bearer test-access-token',
      ),
    ).toBe(true);
  });

  it('reads the pages of a result until one row past the row cap', async () => {
    const result = await warehouse.query(
      'SELECT id FROM shop.orders ORDER BY id',
      limits,
    );
    expect(result.rows).toHaveLength(1000);
    expect(result.rows[999]).toEqual(['1000']);
    expect(result.truncated).toBe(true);
    const pages = fake.requests.filter(r => r.path.includes('/queries/'));
    // 300 rows a page: four pages hold the 1001 rows, the rest is never read.
    expect(pages).toHaveLength(4);
    const all = await warehouse.query(
      'SELECT id FROM shop.orders WHERE id <= 700',
      limits,
    );
    expect(all.rows).toHaveLength(700);
    expect(all.truncated).toBe(false);
  });

  it('refuses a query whose dry run is over the byte cap, and runs nothing', async () => {
    await expect(
      warehouse.query('SELECT * FROM shop.orders', {
        ...limits,
        maxBytes: 1000,
      }),
    ).rejects.toMatchObject({
      kind: 'cap_exceeded',
      message: expect.stringContaining('160000 bytes'),
    });
    expect(fake.ran).toEqual([]);
    expect(fake.requests.map(r => r.body?.configuration?.dryRun)).toEqual([
      true,
    ]);
  });

  it("reads a table's partitioning from its metadata, and pays only for the partitions a sample keeps", async () => {
    expect(await warehouse.partitioning!('shop.orders')).toEqual({
      kind: 'time',
      column: 'day',
      granularity: 'DAY',
    });
    expect(await warehouse.partitioning!('acme.shop.events')).toEqual({
      kind: 'range',
      column: 'n',
    });
    expect(await warehouse.partitioning!('`shop.customers`')).toBeUndefined();
    expect(
      fake.requests.filter(r => r.method === 'GET').map(r => r.path),
    ).toEqual([
      '/bigquery/v2/projects/acme/datasets/shop/tables/orders',
      '/bigquery/v2/projects/acme/datasets/shop/tables/events',
      '/bigquery/v2/projects/acme/datasets/shop/tables/customers',
    ]);
    await expect(warehouse.partitioning!('shop.missing')).rejects.toMatchObject(
      {
        kind: 'query_failed',
        message: expect.stringContaining('shop.missing'),
      },
    );
    await expect(warehouse.partitioning!('orders')).rejects.toMatchObject({
      kind: 'refused',
    });

    // The last of the three days: a third of the table, under a cap the whole is over.
    const sample = sampleView(
      warehouse,
      'shop.orders',
      { column: 'day', from: '2024-01-03' },
      'ripple_scratch.orders_sample',
    );
    await warehouse.createView(sample);
    try {
      const capped = { ...limits, maxBytes: 100_000 };
      await expect(
        warehouse.query('SELECT count(*) AS n FROM shop.orders', capped),
      ).rejects.toMatchObject({ kind: 'cap_exceeded' });
      const result = await warehouse.query(
        `SELECT count(*) AS n FROM ${sample.view}`,
        capped,
      );
      expect(result.rows).toEqual([['833']]);
      expect(result.bytesProcessed).toBeGreaterThan(50_000);
      expect(result.bytesProcessed).toBeLessThan(60_000);
    } finally {
      await warehouse.dropView(sample);
    }
  });

  it('stops a job at its time limit', async () => {
    const started = Date.now();
    await expect(
      warehouse.query(
        'SELECT count(*) AS n FROM shop.orders a, shop.orders b, shop.orders c',
        {
          ...limits,
          timeoutMs: 300,
        },
      ),
    ).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await warehouse.query('SELECT 1 AS one', limits)).rows).toEqual([
      ['1'],
    ]);
  });

  it("surfaces the warehouse's message for bad SQL, and refuses what is not a query", async () => {
    const error = await warehouse
      .query('SELECT nope FROM shop.orders', limits)
      .catch(e => e);
    expect(WarehouseError.is(error)).toBe(true);
    expect(error.kind).toBe('query_failed');
    expect(error.message).toMatch(/^warehouse bq: .*nope/);
    await expect(
      warehouse.query('INSERT INTO shop.orders (id) VALUES (0)', limits),
    ).rejects.toMatchObject({ kind: 'refused' });
    expect(fake.ran).toEqual([]);
  });

  it('makes views in the scratch dataset only', async () => {
    const view = 'ripple_scratch.orders_next';
    const scratch = {
      view,
      create: `CREATE OR REPLACE VIEW ${view} AS SELECT id, amount AS amount_usd FROM shop.orders;`,
      cleanup: `DROP VIEW IF EXISTS ${view};`,
    };
    await warehouse.createView(scratch);
    const rows = await warehouse.query(
      `SELECT count(*) AS n FROM ${view}`,
      limits,
    );
    expect(rows.rows).toEqual([['2500']]);
    await warehouse.dropView(scratch);
    await expect(
      warehouse.query(`SELECT * FROM ${view}`, limits),
    ).rejects.toMatchObject({
      kind: 'query_failed',
    });
    await expect(
      warehouse.createView({ ...scratch, view: 'shop.orders_next' }),
    ).rejects.toMatchObject({ kind: 'refused' });
    // A name in the scratch dataset, a statement elsewhere: refused before it runs.
    await expect(
      warehouse.createView({
        ...scratch,
        create: 'CREATE OR REPLACE VIEW shop.orders_next AS SELECT 1 AS one',
      }),
    ).rejects.toMatchObject({ kind: 'refused' });
    expect(fake.ran.some(sql => sql.includes('shop.orders_next'))).toBe(false);
  });

  it('keeps credentials out of errors, and sends them over https only', async () => {
    const privateKey =
      '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n';
    const keyed = createBigQueryWarehouse({
      id: 'keyed',
      projectId: 'acme',
      apiEndpoint: fake.url,
      credentials: {
        client_email: 'ripple@acme.iam.gserviceaccount.com',
        private_key: privateKey,
      },
    });
    const error = await keyed.query('SELECT 1', limits).catch(e => e);
    expect(error).toMatchObject({
      name: 'WarehouseError',
      kind: 'unreachable',
    });
    expect(error.message).not.toContain('c2VjcmV0');
    expect(() =>
      createBigQueryWarehouse({
        id: 'plain',
        projectId: 'acme',
        apiEndpoint: 'http://bigquery.example.com',
      }),
    ).toThrow(/not https/);
    expect(() =>
      createBigQueryWarehouse({
        id: 'local',
        projectId: 'acme',
        apiEndpoint: 'http://localhost:9050',
      }),
    ).not.toThrow();
  });
});
