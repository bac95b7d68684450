import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  CatalogSummary,
  DatasetCode,
} from '@ripple/backstage-plugin-ripple-common';
import { Server } from 'node:http';
import request from 'supertest';
import { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const orders = encodeURIComponent('resource:default/orders');

describe.each(databases.eachSupportedId())(
  'the dataset and catalog routes on %s',
  databaseId => {
    let server: Server;
    let store: DatabaseMigrationStore;

    beforeAll(async () => {
      ({ server, store } = await startRippleTestBackend({
        databases,
        databaseId,
      }));
    });

    async function get(path: string, headers: Record<string, string> = {}) {
      const res = await request(server)
        .get(`/api/ripple${path}`)
        .set({ ...as('guest'), ...headers });
      expectValidResponse(res);
      return res;
    }

    it('reads a dataset: its table, dialect and the columns of its schema file', async () => {
      const res = await get(`/datasets/${orders}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        ref: 'resource:default/orders',
        table: 'proj.ds.orders',
        dialect: 'bigquery',
        columns: [
          { name: 'id', type: 'INT64' },
          { name: 'cust', type: 'INT64' },
          { name: 'amount', type: 'NUMERIC' },
          { name: 'status', type: 'STRING' },
          { name: 'ts', type: 'TIMESTAMP' },
          { name: 'legacy_flag', type: 'BOOL' },
        ],
      });
    });

    it('reads inline schemas, as a mapping or a list, and a ref without its namespace', async () => {
      const customers = await get('/datasets/resource%3Acustomers');
      expect(customers.body.columns).toEqual([
        { name: 'id', type: 'INT64' },
        { name: 'name', type: 'STRING' },
        { name: 'email', type: 'STRING' },
        { name: 'created_at', type: 'TIMESTAMP' },
      ]);
      const daily = await get('/datasets/resource%3Adefault%2Fdaily-revenue');
      expect(daily.body.table).toBe('proj.reporting.daily_revenue');
      expect(daily.body.columns.map((c: { name: string }) => c.name)).toEqual([
        'order_date',
        'customer_id',
        'customer_name',
        'revenue',
        'orders',
      ]);
    });

    it('answers 404 for an entity that is not a dataset or not in the catalog, 400 for a malformed ref', async () => {
      const component = await get(
        `/datasets/${encodeURIComponent('component:default/jaffle-dbt')}`,
      );
      expect(component.status).toBe(404);
      expect(component.body.error.message).toMatch(/is not a dataset/);
      const missing = await get(
        `/datasets/${encodeURIComponent('resource:default/nope')}/code`,
      );
      expect(missing.status).toBe(404);
      expect(missing.body.error.message).toMatch(
        /no entity resource:default\/nope/,
      );
      const malformed = await get('/datasets/%3A%3A');
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.message).toMatch(/^datasetRef:/);
    });

    it("returns the code of the dataset's consumers in four languages (none for a declared one without code), with the dbt source naming its table", async () => {
      const res = await get(`/datasets/${orders}/code`);
      expect(res.status).toBe(200);
      const { consumers } = res.body as DatasetCode;
      expect(consumers.map(c => [c.consumerRef, c.discoveredBy])).toEqual([
        ['component:default/finance-reports', 'catalog'],
        ['component:default/fraud-scoring', 'catalog'],
        ['component:default/jaffle-dbt', 'catalog'],
        ['component:default/orders-export', 'catalog'],
        // Declared, built by jaffle-dbt: no code of its own.
        ['resource:default/daily-revenue', 'catalog'],
      ]);
      expect(consumers[4].files).toEqual([]);
      const languages = consumers.flatMap(c => c.files.map(f => f.language));
      expect(new Set(languages)).toEqual(
        new Set(['sql', 'scala', 'dbt', 'python']),
      );
      const dbt = consumers.find(c => c.consumerRef.endsWith('jaffle-dbt'))!;
      expect(dbt.tableNames).toEqual(['shop.orders']);
      expect(dbt.files.map(f => f.path)).toEqual([
        'models/daily_revenue.sql',
        'models/stg_orders.sql',
      ]);
      expect(dbt.files[1].content).toContain("source('shop', 'orders')");
    });

    it('refuses a change whose dataset is not the table of the dataset entity', async () => {
      const res = await request(server)
        .post('/api/ripple/migrations')
        .set(as('guest'))
        .send({
          datasetRef: 'resource:default/orders',
          title: 'Wrong table',
          change: {
            dataset: 'proj.ds.customers',
            changes: [{ kind: 'drop_column', column: 'email' }],
          },
        });
      expectValidResponse(res);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(
        'change.dataset: "proj.ds.customers" is not the table of resource:default/orders, which is "proj.ds.orders" (its ripple.io/table annotation, or its name)',
      );
    });

    it('summarises migrations for the catalog, and answers 304 while nothing changed', async () => {
      const migration = await store.createMigration({
        datasetRef: 'resource:default/orders',
        change: { dataset: 'proj.ds.orders', changes: [] },
        title: 'Summary',
        owner: 'group:default/data-platform',
        createdBy: 'user:default/guest',
      });
      const key = {
        migrationId: migration.id,
        consumerRef: 'component:default/jaffle-dbt',
      };
      await store.transition({ migrationId: migration.id, to: 'analyzing' });
      await store.putConsumer({ ...key, discoveredBy: 'catalog' });
      const patch = await store.recordPatch({
        ...key,
        // A rewritten patch holds an edit; an empty one is never approved.
        diff: '--- a/models/daily.sql\n+++ b/models/daily.sql\n@@ -1 +1 @@\n-a\n+b\n',
        baseHash: 'sha256:x',
        status: 'rewritten',
        reasons: [],
      });
      await store.putConsumer({
        migrationId: migration.id,
        consumerRef: 'component:default/orders-export',
        discoveredBy: 'code',
      });
      await store.transition({ migrationId: migration.id, to: 'proposed' });

      const first = await get('/catalog/summary');
      expect(first.status).toBe(200);
      const etag = first.headers.etag;
      expect(etag).toMatch(/^W\/"ripple-\d+"$/);
      const summary = first.body as CatalogSummary;
      const byRef = (ref: string) =>
        summary.entities.find(e => e.entityRef === ref);
      expect(byRef('resource:default/orders')?.migrations).toContainEqual({
        id: migration.id,
        state: 'proposed',
        roles: ['dataset'],
      });
      expect(byRef('component:default/jaffle-dbt')).toEqual(
        expect.objectContaining({
          migrations: expect.arrayContaining([
            {
              id: migration.id,
              state: 'proposed',
              roles: ['consumer'],
              review: 'pending',
            },
          ]),
          readsDatasets: [],
        }),
      );
      expect(byRef('component:default/orders-export')?.readsDatasets).toEqual([
        'resource:default/orders',
      ]);

      const unchanged = await get('/catalog/summary', {
        'If-None-Match': etag,
      });
      expect(unchanged.status).toBe(304);

      await store.recordReview({
        ...key,
        patchId: patch.id,
        decision: 'approve',
        reviewer: 'user:default/analyst',
      });
      const changed = await get('/catalog/summary', { 'If-None-Match': etag });
      expect(changed.status).toBe(200);
      expect(changed.headers.etag).not.toBe(etag);
      expect(
        (changed.body as CatalogSummary).entities
          .find(e => e.entityRef === key.consumerRef)
          ?.migrations.find(m => m.id === migration.id)?.review,
      ).toBe('approve');

      await store.transition({ migrationId: migration.id, to: 'cancelled' });
      const closed = (await get('/catalog/summary')).body as CatalogSummary;
      expect(
        closed.entities.flatMap(e => e.migrations).map(m => m.id),
      ).not.toContain(migration.id);
    });
  },
);
