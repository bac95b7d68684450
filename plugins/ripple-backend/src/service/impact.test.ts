import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { Server } from 'node:http';
import request from 'supertest';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import {
  as,
  AuditRecord,
  startRippleTestBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const orders = 'resource:default/orders';
const rename = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

describe.each(databases.eachSupportedId())(
  'POST /impact (ripple check) on %s',
  databaseId => {
    let server: Server;
    let auditEvents: AuditRecord[];

    beforeAll(async () => {
      ({ server, auditEvents } = await startRippleTestBackend({
        databases,
        databaseId,
        config: { app: { baseUrl: 'https://portal.example.com' } },
      }));
    });

    async function post(
      path: string,
      body: object,
      auth: Record<string, string> = as('guest'),
    ): Promise<request.Response> {
      const res = await request(server)
        .post(`/api/ripple${path}`)
        .set(auth)
        .send(body);
      expectValidResponse(res);
      return res;
    }

    it('finds the dataset by its table and answers each consumer with its verdict, reasons and owner, creating nothing', async () => {
      const res = await post('/impact', { change: rename });
      expect(res.status).toBe(200);
      expect(res.body.datasetRef).toBe(orders);
      const byRef = Object.fromEntries(
        res.body.consumers.map((c: { consumerRef: string }) => [
          c.consumerRef,
          c,
        ]),
      );
      expect(byRef['component:default/orders-export']).toMatchObject({
        owner: 'group:default/data-platform',
        discoveredBy: 'catalog',
        verdict: 'breaking',
      });
      const reason = byRef['component:default/orders-export'].reasons[0];
      expect(reason).toMatchObject({
        kind: 'renamed_column',
        verdict: 'breaking',
        path: expect.any(String),
        line: expect.any(Number),
      });
      expect(byRef['component:default/jaffle-dbt'].owner).toBe(
        'group:default/analytics',
      );
      expect(res.body.migrations).toEqual([]);
      const url = new URL(res.body.newMigrationUrl);
      expect(`${url.origin}${url.pathname}`).toBe(
        'https://portal.example.com/catalog/default/resource/orders/ripple',
      );
      expect(url.searchParams.get('newMigration')).toBe('true');
      expect(JSON.parse(url.searchParams.get('change')!)).toEqual(rename);
      const listed = await request(server)
        .get('/api/ripple/migrations')
        .set(as('guest'));
      expect(listed.body.totalCount).toBe(0);
      expect(auditEvents).toContainEqual({
        eventId: 'migration-impact',
        meta: { table: 'proj.ds.orders' },
        outcome: 'success',
      });
    });

    it('links the open migrations that cover the change, not others', async () => {
      const create = async (change: object, title: string) => {
        const res = await post('/migrations', {
          datasetRef: orders,
          change,
          title,
        });
        expect(res.status).toBe(201);
        return res.body.id as string;
      };
      // Covers it: the rename, and more.
      const covering = await create(
        {
          ...rename,
          changes: [
            { kind: 'rename_column', column: 'AMOUNT', to: 'amount_usd' },
            { kind: 'drop_column', column: 'status' },
          ],
        },
        'Rename amount, drop status',
      );
      // Another rename of the column: not this change.
      await create(
        {
          ...rename,
          changes: [{ kind: 'rename_column', column: 'amount', to: 'total' }],
        },
        'Rename amount to total',
      );
      // The same change, cancelled: no longer open.
      const cancelled = await create(rename, 'Cancelled rename');
      expect(
        (await post(`/migrations/${cancelled}/cancel`, { reason: 'no' }))
          .status,
      ).toBe(200);

      const res = await post('/impact', { change: rename });
      expect(res.status).toBe(200);
      expect(res.body.migrations).toEqual([
        {
          id: covering,
          title: 'Rename amount, drop status',
          state: 'draft',
          url: `https://portal.example.com/ripple/migrations/${covering}`,
        },
      ]);
    });

    it('takes a service token (ripple check in CI), a less qualified table and a datasetRef', async () => {
      const service = { Authorization: mockCredentials.service.header() };
      const res = await post(
        '/impact',
        { change: { ...rename, dataset: 'ds.orders' } },
        service,
      );
      expect(res.status).toBe(200);
      expect(res.body.datasetRef).toBe(orders);
      const named = await post('/impact', {
        change: rename,
        datasetRef: 'resource:orders',
      });
      expect(named.status).toBe(200);
      expect(named.body.datasetRef).toBe(orders);
    });

    it('answers without a dataset when no dataset has the table', async () => {
      const res = await post('/impact', {
        change: { ...rename, dataset: 'proj.ds.nothing_like_it' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ consumers: [], migrations: [] });
    });

    it('answers 400 naming the field on bad input', async () => {
      const noChanges = await post('/impact', {
        change: { dataset: 'proj.ds.orders' },
      });
      expect(noChanges.status).toBe(400);
      expect(noChanges.body.error.message).toMatch(/changes/);
      const badColumn = await post('/impact', {
        change: {
          ...rename,
          changes: [
            {
              kind: 'change_type',
              column: 'amount',
              to: 'NUMERIC) AS amount; DROP TABLE x; SELECT CAST(1 AS INT64',
            },
          ],
        },
      });
      expect(badColumn.status).toBe(400);
      expect(badColumn.body.error.message).toMatch(/^change\.changes\[0\]\.to/);
      const badRef = await post('/impact', {
        change: rename,
        datasetRef: 'component:default/orders-export',
      });
      expect(badRef.status).toBe(400);
      expect(badRef.body.error.message).toMatch(
        /^datasetRef: .* is not a dataset/,
      );
      const unknown = await post('/impact', { change: rename, title: 'x' });
      expect(unknown.status).toBe(400);
    });

    it('answers 403 to whom the policy denies ripple.migration.create, and 401 without credentials', async () => {
      const denied = await post('/impact', { change: rename }, as('mallory'));
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toContain('ripple.migration.create');
      expect(auditEvents).toContainEqual(
        expect.objectContaining({
          eventId: 'migration-impact',
          outcome: 'failure',
        }),
      );
      const anonymous = await request(server)
        .post('/api/ripple/impact')
        .set({ Authorization: mockCredentials.none.header() })
        .send({ change: rename });
      expect(anonymous.status).toBe(401);
    });
  },
);
