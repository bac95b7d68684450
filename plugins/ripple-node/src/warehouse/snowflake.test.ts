import { ConfigReader } from '@backstage/config';
import { generateKeyPairSync } from 'node:crypto';
import { createDefaultWarehouseTypes, RippleWarehouses } from './config';
import { createSnowflakeWarehouse, isQuery } from './snowflake';
import { DuckDbBackend } from '../testUtils/warehouse/duckdbBackend';
import {
  type FakeSnowflake,
  startFakeSnowflake,
} from '../testUtils/warehouse/fakeSnowflake';
import { type RippleWarehouse, WarehouseError } from './warehouse';

const SETUP = `CREATE SCHEMA shop;
  CREATE SCHEMA ripple_scratch;
  CREATE TABLE shop.orders (id INTEGER, amount DECIMAL(12, 2), status VARCHAR, placed TIMESTAMPTZ, local TIMESTAMP, day DATE, ok BOOLEAN, ratio DOUBLE, big BIGINT);
  INSERT INTO shop.orders SELECT i, i / 4, CASE WHEN i % 2 = 0 THEN 'paid' ELSE 'open' END,
    TIMESTAMPTZ '2024-01-02 03:04:05.123456+00' + INTERVAL (i) SECOND, TIMESTAMP '1969-12-31 23:59:59.5' + INTERVAL (i) SECOND,
    DATE '2024-01-01' + (i % 3)::INTEGER, i % 3 = 0, i / 8, 9007199254740993 + i
    FROM range(1, 2501) t(i);`;

const limits = { timeoutMs: 10_000, maxRows: 1000 };
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

let backend: DuckDbBackend;
let fake: FakeSnowflake;
let warehouse: RippleWarehouse;
beforeAll(async () => {
  backend = await DuckDbBackend.create(SETUP);
  fake = await startFakeSnowflake(backend, {
    account: 'acme-analytics',
    user: 'ripple',
    publicKey,
    oauthToken: 'oauth-token-value',
    partitionRows: 300,
    // As Snowflake does (it waits up to 45 s before answering 202): a test
    // must not depend on the machine being fast enough to answer in 50 ms.
    syncWaitMs: 45_000,
  });
  warehouse = createSnowflakeWarehouse({
    id: 'sf',
    account: 'acme-analytics',
    url: fake.url,
    user: 'ripple',
    privateKey,
    warehouse: 'RIPPLE_WH',
    role: 'RIPPLE',
    database: 'ANALYTICS',
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

describe('Snowflake', () => {
  it('runs a statement with a key-pair JWT and types the rows from rowType', async () => {
    const now = Math.floor(Date.now() / 1000);
    const result = await warehouse.query(
      `SELECT id, amount, status, placed, local, day, ok, ratio, big, {'n': id, 'tags': [status]} AS nested
       FROM shop.orders WHERE id <= 2 ORDER BY id`,
      limits,
    );
    expect(result.columns.map(c => c.type)).toEqual([
      'NUMBER(38,0)',
      'NUMBER(12,2)',
      'TEXT',
      'TIMESTAMP_TZ',
      'TIMESTAMP_NTZ',
      'DATE',
      'BOOLEAN',
      'REAL',
      'NUMBER(38,0)',
      'OBJECT',
    ]);
    expect(result.rows[0]).toEqual([
      1,
      '0.25',
      'open',
      '2024-01-02T03:04:06.123456000Z',
      '1970-01-01T00:00:00.500000000',
      '2024-01-02',
      false,
      0.125,
      // Past 2^53: text, never rounded.
      '9007199254740994',
      { n: 1, tags: ['open'] },
    ]);

    const [post] = fake.requests;
    expect(post.path).toBe('/api/v2/statements');
    expect(post.headers['x-snowflake-authorization-token-type']).toBe(
      'KEYPAIR_JWT',
    );
    expect(post.body).toMatchObject({
      timeout: 10,
      warehouse: 'RIPPLE_WH',
      role: 'RIPPLE',
      database: 'ANALYTICS',
      parameters: { QUERY_TAG: 'ripple', MULTI_STATEMENT_COUNT: '1' },
    });
    expect(fake.claims).toMatchObject({
      iss: expect.stringMatching(
        /^ACME-ANALYTICS\.RIPPLE\.SHA256:[A-Za-z0-9+/]+=*$/,
      ),
      sub: 'ACME-ANALYTICS.RIPPLE',
    });
    expect(fake.claims!.exp as number).toBeGreaterThanOrEqual(now + 3599);
    expect(fake.claims!.exp as number).toBeLessThanOrEqual(now + 3601 + 5);
  });

  it('reads partitions until one row past the row cap', async () => {
    const result = await warehouse.query(
      'SELECT id FROM shop.orders ORDER BY id',
      limits,
    );
    expect(result.rows).toHaveLength(1000);
    expect(result.rows[999]).toEqual([1000]);
    expect(result.truncated).toBe(true);
    // Partitions of 300: 0 inline, then 1 to 3; the rest are never read.
    expect(
      fake.requests.filter(r => r.method === 'GET').map(r => r.path),
    ).toHaveLength(3);
    const all = await warehouse.query(
      'SELECT id FROM shop.orders WHERE id <= 700',
      limits,
    );
    expect(all.rows).toHaveLength(700);
    expect(all.truncated).toBe(false);
  });

  it('follows a statement that answers 202 until it is done, and stops one at its timeout', async () => {
    fake.syncWaitMs = 0;
    try {
      const later = await warehouse.query(
        'SELECT count(*) AS n FROM shop.orders',
        limits,
      );
      expect(later.rows).toEqual([[2500]]);
    } finally {
      fake.syncWaitMs = 45_000;
    }
    const [post, ...polls] = fake.requests;
    expect(post.method).toBe('POST');
    expect(polls.length).toBeGreaterThan(0);
    expect(
      polls.every(
        r => r.method === 'GET' && r.path.startsWith('/api/v2/statements/'),
      ),
    ).toBe(true);
    const started = Date.now();
    await expect(
      warehouse.query(
        'SELECT count(*) AS n FROM shop.orders a, shop.orders b, shop.orders c',
        {
          ...limits,
          timeoutMs: 1000,
        },
      ),
    ).rejects.toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await warehouse.query('SELECT 1 AS one', limits)).rows).toEqual([
      [1],
    ]);
  });

  it("surfaces Snowflake's message for bad SQL, and refuses what is not a query", async () => {
    const error = await warehouse
      .query('SELECT nope FROM shop.orders', limits)
      .catch(e => e);
    expect(WarehouseError.is(error)).toBe(true);
    expect(error.kind).toBe('query_failed');
    expect(error.message).toMatch(/nope.*\(code 002003, SQLSTATE 42S02\)/s);
    await expect(
      warehouse.query('SELECT 1; DELETE FROM shop.orders', limits),
    ).rejects.toMatchObject({
      kind: 'query_failed',
      message: expect.stringContaining('statement count'),
    });
    await expect(
      warehouse.query('INSERT INTO shop.orders (id) VALUES (0)', limits),
    ).rejects.toMatchObject({
      kind: 'refused',
    });
    // The bad query ran (and failed); the DELETE and the INSERT never did.
    expect(fake.ran).toEqual(['SELECT nope FROM shop.orders']);
    expect(isQuery('/* why */ (SELECT 1)')).toBe(true);
    expect(isQuery('-- c\nWITH x AS (SELECT 1) SELECT * FROM x')).toBe(true);
    expect(isQuery('DELETE FROM t')).toBe(false);
  });

  it('makes views in the scratch schema only', async () => {
    const view = 'ripple_scratch.orders_next';
    const scratch = {
      view,
      create: `CREATE OR REPLACE VIEW ${view} AS SELECT id, amount AS amount_usd FROM shop.orders;`,
      cleanup: `DROP VIEW IF EXISTS ${view};`,
    };
    await warehouse.createView(scratch);
    expect(
      (await warehouse.query(`SELECT count(*) AS n FROM ${view}`, limits)).rows,
    ).toEqual([[2500]]);
    await warehouse.dropView(scratch);
    await expect(
      warehouse.query(`SELECT * FROM ${view}`, limits),
    ).rejects.toMatchObject({
      kind: 'query_failed',
    });
    await expect(
      warehouse.createView({ ...scratch, view: 'shop.orders_next' }),
    ).rejects.toMatchObject({
      kind: 'refused',
    });
    await expect(
      warehouse.createView({
        ...scratch,
        create: 'CREATE OR REPLACE VIEW shop.orders_next AS SELECT 1 AS one',
      }),
    ).rejects.toMatchObject({ kind: 'refused' });
    expect(fake.ran.some(sql => sql.includes('shop.orders_next'))).toBe(false);
  });

  it('takes an OAuth token, keeps credentials out of errors, and sends them over https only', async () => {
    const oauth = createSnowflakeWarehouse({
      id: 'oauth',
      account: 'acme-analytics',
      url: fake.url,
      user: 'ripple',
      token: 'oauth-token-value',
    });
    expect((await oauth.query('SELECT 2 AS two', limits)).rows).toEqual([[2]]);
    expect(
      fake.requests[0].headers['x-snowflake-authorization-token-type'],
    ).toBe('OAUTH');

    const wrong = createSnowflakeWarehouse({
      id: 'wrong',
      account: 'acme-analytics',
      url: fake.url,
      user: 'ripple',
      token: 'not-the-token-value',
    });
    const error = await wrong.query('SELECT 1', limits).catch(e => e);
    expect(error).toMatchObject({
      kind: 'unreachable',
      message: expect.stringContaining('401'),
    });
    expect(error.message).not.toContain('not-the-token-value');

    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
    }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const rejected = await createSnowflakeWarehouse({
      id: 'k',
      account: 'acme-analytics',
      url: fake.url,
      user: 'ripple',
      privateKey: other,
    })
      .query('SELECT 1', limits)
      .catch(e => e);
    expect(rejected.kind).toBe('unreachable');
    expect(rejected.message).not.toContain(other.split('\n')[1]);
    expect(() =>
      createSnowflakeWarehouse({
        id: 'bad',
        account: 'a',
        user: 'u',
        privateKey: 'not a key',
      }),
    ).toThrow(/private key cannot be read/);

    expect(() =>
      createSnowflakeWarehouse({
        id: 'plain',
        account: 'acme',
        url: 'http://acme.snowflakecomputing.com',
        user: 'u',
        token: 't',
      }),
    ).toThrow(/not https/);
    expect(() =>
      createSnowflakeWarehouse({
        id: 'tls',
        account: 'acme-analytics',
        user: 'u',
        token: 't',
      }),
    ).not.toThrow();
  });

  it('is made from ripple.warehouses, like BigQuery', async () => {
    const warehouses = new RippleWarehouses(
      new ConfigReader({
        sf: {
          type: 'snowflake',
          account: 'acme-analytics',
          url: fake.url,
          user: 'ripple',
          privateKey,
          database: 'ANALYTICS',
        },
        bq: {
          type: 'bigquery',
          projectId: 'acme',
          credentials:
            '{"client_email": "r@acme.iam.gserviceaccount.com", "private_key": "x"}',
          maxBytes: 1000,
        },
      }),
      createDefaultWarehouseTypes(),
    );
    const sf = await warehouses.get('sf')!;
    expect(sf.dialect).toBe('snowflake');
    expect(
      (await sf.query('SELECT count(*) AS n FROM shop.orders', limits)).rows,
    ).toEqual([[2500]]);
    const bq = await warehouses.get('bq')!;
    expect(bq).toMatchObject({
      dialect: 'bigquery',
      scratchSchema: 'ripple_scratch',
    });
    await warehouses.close();
  });
});
