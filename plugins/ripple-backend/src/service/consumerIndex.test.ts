import { TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import type { ScmCounts } from '../__testUtils__/countingReaders';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import {
  as,
  refreshConsumerIndex,
  startRippleTestBackend,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

describe.each(databases.eachSupportedId())(
  'the consumer index in a backend on %s',
  databaseId => {
    it('is where previews, dataset code and impact read consumers: no repository read inside a request', async () => {
      const scmCounts: ScmCounts = { requests: 0, notModified: 0, files: [] };
      const { server, stop, auditEvents } = await startRippleTestBackend({
        databases,
        databaseId,
        scmCounts,
      });
      try {
        const status = await request(server)
          .get('/api/ripple/index')
          .set(as('guest'));
        expectValidResponse(status);
        // The example catalog's Components and Resources with code.
        expect(status.body).toMatchObject({
          ready: true,
          due: 0,
          failing: 0,
          otherEngine: 0,
        });
        expect(status.body.entities).toBeGreaterThanOrEqual(4);
        expect(status.body.indexed).toBe(status.body.entities);

        scmCounts.requests = 0;
        scmCounts.files = [];
        const preview = await request(server)
          .post('/api/ripple/preview')
          .set(as('guest'))
          .send({ datasetRef: 'resource:default/orders', change });
        expectValidResponse(preview);
        expect(preview.status).toBe(200);
        expect(
          preview.body.consumers.map(
            (c: { consumerRef: string }) => c.consumerRef,
          ),
        ).toEqual([
          'component:default/finance-reports',
          'component:default/fraud-scoring',
          'component:default/jaffle-dbt',
          'component:default/orders-export',
          'resource:default/daily-revenue',
        ]);
        const code = await request(server)
          .get(
            `/api/ripple/datasets/${encodeURIComponent(
              'resource:default/orders',
            )}/code`,
          )
          .set(as('guest'));
        expect(code.status).toBe(200);
        expect(
          code.body.consumers.find(
            (c: { consumerRef: string }) =>
              c.consumerRef === 'component:default/orders-export',
          ).files,
        ).toEqual([
          expect.objectContaining({
            path: 'export_orders.py',
            content: expect.stringContaining('amount'),
          }),
        ]);
        const impact = await request(server)
          .post('/api/ripple/impact')
          .set(as('guest'))
          .send({ change });
        expect(impact.status).toBe(200);
        expect(impact.body.consumers).toHaveLength(5);
        // No consumer's code is read; only the dataset's own schema file
        // (ripple.io/schema-file: 5 reads over the 3 requests).
        expect(scmCounts.requests).toBe(0);
        expect(scmCounts.files!.length).toBeGreaterThan(0);
        expect(
          scmCounts.files!.every(url => url.endsWith('/orders.schema.yaml')),
        ).toBe(true);

        // A refresh asks each location once whether it changed.
        await refreshConsumerIndex(server);
        expect(scmCounts.requests).toBe(status.body.entities);
        expect(scmCounts.notModified).toBe(status.body.entities);
      } finally {
        await stop();
      }
      // Asked for by an administrator, audited.
      expect(
        auditEvents.filter(e => e.eventId === 'index-refresh'),
      ).not.toHaveLength(0);
    });

    it('lets only administrators ask for a refresh', async () => {
      const { server, stop } = await startRippleTestBackend({
        databases,
        databaseId,
      });
      try {
        const refused = await request(server)
          .post('/api/ripple/index/refresh')
          .set(as('guest'));
        expectValidResponse(refused);
        expect(refused.status).toBe(403);
        expect(refused.body.error.message).toContain('ripple.index.refresh');
        const asked = await request(server)
          .post('/api/ripple/index/refresh')
          .set(as('admin'));
        expectValidResponse(asked);
        expect(asked.status).toBe(202);
        expect(Date.parse(asked.body.refreshRequestedAt)).toBeGreaterThan(
          Date.now() - 60_000,
        );
      } finally {
        await stop();
      }
    });
  },
);
