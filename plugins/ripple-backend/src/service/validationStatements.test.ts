import { makeDuckDbFile, writeFolders } from '../__testUtils__/warehouseFiles';
import { TestDatabases } from '@backstage/backend-test-utils';
import type { Validation } from '@ripple/backstage-plugin-ripple-common';
import fs from 'node:fs/promises';
import { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';

// Issue 19, queries that cannot run as written, through the whole backend:
// a consumer's parameters bound from its annotation, and a dbt model run
// from the compiled SQL in its repository, read through the UrlReader.

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const shopOrders = 'resource:default/shop-orders';
const daily = 'component:default/orders-daily';
const badValues = 'component:default/orders-bad-values';
const dbtReport = 'component:default/orders-dbt';

const FIXTURE = path.join(__dirname, '../validation/__fixtures__/dbt-report');

function component(name: string, annotations = ''): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
  annotations:
    ripple.io/dialect: duckdb${annotations}
spec:
  type: data-pipeline
  lifecycle: production
  owner: group:default/data-platform
  dependsOn: [${shopOrders}]
`;
}

const PARAMETERISED =
  'SELECT status, sum(amount) AS total FROM shop.orders WHERE amount > :min GROUP BY status;\n';

const FOLDERS: Record<string, Record<string, string>> = {
  'shop-orders': {
    'catalog-info.yaml': `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: shop-orders
  annotations:
    ripple.io/table: shop.orders
    ripple.io/dialect: duckdb
    ripple.io/schema: "[{name: id, type: INTEGER}, {name: amount, type: INTEGER}, {name: status, type: VARCHAR}]"
    ripple.io/warehouse: test
spec:
  type: dataset
  owner: group:default/data-platform
`,
  },
  'orders-daily': {
    'catalog-info.yaml': component(
      'orders-daily',
      `\n    ripple.io/sample-values: '{"min": 2}'`,
    ),
    'daily.sql': PARAMETERISED,
  },
  'orders-bad-values': {
    'catalog-info.yaml': component(
      'orders-bad-values',
      `\n    ripple.io/sample-values: '{min: 2}'`,
    ),
    'daily.sql': PARAMETERISED,
  },
  // A dbt project with what `dbt compile` wrote, as a repository holds it.
  'orders-dbt': { 'catalog-info.yaml': component('orders-dbt') },
};

describe.each(databases.eachSupportedId())(
  'validation of queries that cannot run as written, on %s',
  databaseId => {
    let server: Server;
    let stop: () => Promise<void>;
    let root: string;
    let migrationId: string;

    beforeAll(async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-statements-'));
      const file = path.join(root, 'warehouse.duckdb');
      await makeDuckDbFile(
        file,
        `CREATE SCHEMA shop;
        CREATE TABLE shop.orders (id INTEGER, amount INTEGER, status VARCHAR);
        INSERT INTO shop.orders VALUES (1, 10, 'paid'), (2, 4, 'open'), (3, 7, 'paid'), (4, 1, 'open');`,
      );

      const locations = await writeFolders(root, FOLDERS);
      await fs.cp(FIXTURE, path.join(root, 'orders-dbt'), { recursive: true });

      ({ server, stop } = await startRippleTestBackend({
        databases,
        databaseId,
        locations,
        readable: [root],
        agent: { intervalSeconds: 1 },
        config: {
          ripple: {
            agent: { searchCode: false },
            warehouses: { test: { type: 'duckdb', path: file } },
            validation: { intervalSeconds: 1 },
          },
        },
      }));
      for (const ref of [shopOrders, daily, badValues, dbtReport]) {
        const [kind, name] = ref.replace(':default/', '/').split('/');
        for (;;) {
          const res = await request(server)
            .get(`/api/catalog/entities/by-name/${kind}/default/${name}`)
            .set(as('guest'));
          if (res.status === 200 && res.body.relations?.length) break;
          await new Promise(r => setTimeout(r, 100));
        }
      }
      const created = await call(
        request(server)
          .post('/api/ripple/migrations')
          .send({
            datasetRef: shopOrders,
            change: {
              dataset: 'shop.orders',
              dialect: 'duckdb',
              changes: [
                { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
              ],
            },
            title: 'Rename amount',
          }),
      );
      if (created.status !== 201) {
        throw new Error(`no migration: ${JSON.stringify(created.body)}`);
      }
      migrationId = created.body.id;
      await call(
        request(server).post(`/api/ripple/migrations/${migrationId}/analyze`),
      );
    });

    afterAll(async () => {
      await stop();
      await fs.rm(root, { recursive: true, force: true });
    });

    async function call(test: request.Test): Promise<request.Response> {
      const res = await test.set(as('guest'));
      expectValidResponse(res);
      return res;
    }

    /** The consumer's validation, once one has finished. */
    async function finished(consumerRef: string): Promise<Validation> {
      for (let tries = 0; ; tries++) {
        const res = await call(
          request(server).get(
            `/api/ripple/migrations/${migrationId}/consumers/${encodeURIComponent(
              consumerRef,
            )}`,
          ),
        );
        const validation: Validation | undefined = res.body.validation;
        if (validation?.finishedAt) return validation;
        if (tries > 600) throw new Error(`${consumerRef} was not validated`);
        await new Promise(r => setTimeout(r, 100));
      }
    }

    it("binds a consumer's parameters from its annotation", async () => {
      expect(await finished(daily)).toMatchObject({
        status: 'passed',
        statements: [
          {
            path: 'daily.sql',
            status: 'passed',
            rows: { before: 2, after: 2 },
          },
        ],
      });
    });

    it('an annotation that is not JSON is an error naming the consumer and the annotation', async () => {
      const validation = await finished(badValues);
      expect(validation.status).toBe('error');
      expect(validation.statements[0].reason).toMatch(
        /^component:default\/orders-bad-values: annotation ripple.io\/sample-values: not JSON/,
      );
    });

    it("runs a dbt model from the compiled SQL in the consumer's repository", async () => {
      expect(await finished(dbtReport)).toMatchObject({
        status: 'passed',
        statements: [
          {
            path: 'target/compiled/shop_report/models/report.sql',
            line: 4,
            status: 'passed',
            rows: { before: 2, after: 2 },
          },
        ],
      });
    });
  },
);
