import {
  createBigQueryWarehouse,
  type RippleWarehouse,
} from '@ripple/backstage-plugin-ripple-node';
import {
  DuckDbBackend,
  type FakeBigQuery,
  startFakeBigQuery,
} from '@ripple/backstage-plugin-ripple-node/testUtils';
import { loadEngine, type ChangeSpec, type RippleEngine } from '@ripple/engine';
import { validatePatch } from './validatePatch';

// Google's HTTP layer loads node-fetch with a dynamic import() that Jest
// cannot do; under "Bun" it uses node:http (see ripple-node's bigquery.test.ts).
(globalThis as { Bun?: unknown }).Bun = {};

// Three days of orders, partitioned by day: today, yesterday, the day before.
const SETUP = `CREATE SCHEMA shop;
  CREATE SCHEMA ripple_scratch;
  CREATE TABLE shop.orders (id INTEGER, amount INTEGER, day DATE);
  INSERT INTO shop.orders SELECT i, i % 50, current_date - (i % 3)::INTEGER FROM range(1, 3001) t(i);`;

const change = {
  dataset: 'shop.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
} as ChangeSpec;
// Listed, the forward view names every column (the fake's DuckDB has no
// BigQuery `* EXCEPT`).
const columns = [
  { name: 'id', type: 'INT64' },
  { name: 'amount', type: 'INT64' },
  { name: 'day', type: 'DATE' },
];
const files = [
  {
    path: 'report.sql',
    text: 'SELECT day, sum(amount) AS total FROM shop.orders GROUP BY day',
    patched:
      'SELECT day, sum(amount_usd) AS total FROM shop.orders GROUP BY day',
  },
];

let engine: RippleEngine;
let backend: DuckDbBackend;
let fake: FakeBigQuery;
let warehouse: RippleWarehouse;
beforeAll(async () => {
  engine = await loadEngine();
  backend = await DuckDbBackend.create(SETUP);
  fake = await startFakeBigQuery(backend, {
    partitioning: {
      'shop.orders': { timePartitioning: { type: 'DAY', field: 'day' } },
    },
  });
  warehouse = createBigQueryWarehouse({
    id: 'bq',
    projectId: 'acme',
    apiEndpoint: fake.url,
    authClient: {
      getRequestHeaders: async () =>
        new Headers({ authorization: 'Bearer test-access-token' }),
    } as never,
  });
});
afterAll(async () => {
  await fake?.close();
  backend?.close();
});

describe('validation on BigQuery (its documented REST API, faked)', () => {
  it("samples a day-partitioned table's latest partitions, pays for them only, and records the bytes", async () => {
    // The whole table scans 3000 rows x 3 columns x 8 bytes = 72,000 bytes a query.
    const limits = { timeoutMs: 10_000, maxRows: 1000, maxBytes: 60_000 };
    const result = await validatePatch({
      engine,
      warehouse,
      change,
      columns,
      files,
      limits: { ...limits, sampleDays: 1 },
    });
    expect(result.status).toBe('passed');
    expect(result.sample).toMatch(/^day >= '\d{4}-\d{2}-\d{2}'$/);
    // Today's and yesterday's partitions: two days of the three.
    expect(result.statements[0].rows).toEqual({ before: 2, after: 2 });
    const statement = result.statements[0].bytesProcessed!;
    expect(statement).toBeGreaterThan(2 * 40_000);
    expect(statement).toBeLessThan(2 * 60_000);
    // The sample's count, then the two queries.
    expect(result.bytesProcessed).toBeGreaterThan(statement);
    expect(fake.ran.filter(sql => /^\s*select/i.test(sql))).toHaveLength(3);

    // The same patch over the whole table is over the cap: refused before it runs.
    const whole = await validatePatch({
      engine,
      warehouse: { ...warehouse, partitioning: undefined },
      change,
      columns,
      files,
      limits,
    });
    expect(whole.status).toBe('error');
    expect(whole.statements[0].reason).toMatch(
      /^cap_exceeded: .*72000 bytes, over the 60000-byte cap/,
    );
  });
});
