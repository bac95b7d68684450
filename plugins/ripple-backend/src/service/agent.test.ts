import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  Consumer,
  Migration,
} from '@ripple/backstage-plugin-ripple-common';
import { Server } from 'node:http';
import request from 'supertest';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

/** Sends a request as the guest and checks the response against the spec. */
async function call(test: request.Test): Promise<request.Response> {
  const res = await test.set(as('guest'));
  expectValidResponse(res);
  return res;
}

async function createAndAnalyze(server: Server): Promise<Migration> {
  const created = await call(
    request(server).post('/api/ripple/migrations').send({
      datasetRef: 'resource:default/orders',
      change,
      title: 'Rename amount',
    }),
  );
  expect(created.status).toBe(201);
  const analyzing = await call(
    request(server).post(`/api/ripple/migrations/${created.body.id}/analyze`),
  );
  expect(analyzing.status).toBe(202);
  return analyzing.body;
}

/** Polls the migration until the agent has moved it out of analyzing. */
async function waitForAnalysis(server: Server, id: string): Promise<Migration> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await call(request(server).get(`/api/ripple/migrations/${id}`));
    if (res.body.state !== 'analyzing') {
      return res.body;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Migration ${id} is still analyzing: ${JSON.stringify(res.body)}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}

async function consumers(server: Server, id: string): Promise<Consumer[]> {
  const res = await call(
    request(server).get(`/api/ripple/migrations/${id}/consumers`),
  );
  expect(res.status).toBe(200);
  return res.body.items;
}

// The example catalog's consumers of proj.ds.orders, as the agent finds them
// with the real catalog, scheduler, UrlReader and engine.
const expectedConsumers = [
  ['component:default/finance-reports', 'rewritten'],
  ['component:default/fraud-scoring', 'rewritten'],
  // Through dbt's source('shop', 'orders'), mapped by its sources.yml.
  ['component:default/jaffle-dbt', 'rewritten'],
  ['component:default/orders-export', 'rewritten'],
  // A dataset built from orders, with no code of its own.
  ['resource:default/daily-revenue', undefined],
];

describe.each(databases.eachSupportedId())(
  'the agent in a backend on %s',
  databaseId => {
    it('analyses a migration in the background; its owner approves a real patch', async () => {
      const { server, stop } = await startRippleTestBackend({
        databases,
        databaseId,
        agent: { intervalSeconds: 1 },
      });
      const migration = await createAndAnalyze(server);

      const proposed = await waitForAnalysis(server, migration.id);
      expect(proposed.state).toBe('proposed');
      const found = await consumers(server, migration.id);
      expect(found.map(c => [c.consumerRef, c.patch?.status])).toEqual(
        expectedConsumers,
      );
      // The verdict is stored with the impact, and listed with it.
      expect(found.map(c => c.impact?.verdict)).toEqual([
        'breaking',
        'breaking',
        'breaking',
        'breaking',
        undefined,
      ]);

      const patch = await call(
        request(server).get(
          `/api/ripple/migrations/${
            migration.id
          }/consumers/${encodeURIComponent(
            'component:default/orders-export',
          )}/patch`,
        ),
      );
      expect(patch.body.patch.diff).toContain('+  o.amount_usd AS amount,\n');
      // The dbt model reads orders through a source and `select *`: the
      // source is mapped by sources.yml, the `*` expanded with the dataset's
      // schema file.
      const dbt = await call(
        request(server).get(
          `/api/ripple/migrations/${
            migration.id
          }/consumers/${encodeURIComponent(
            'component:default/jaffle-dbt',
          )}/patch`,
        ),
      );
      expect(dbt.body.patch.diff).toContain(
        "+    select id, cust, amount_usd AS amount, status, ts, legacy_flag from {{ source('shop', 'orders') }}\n",
      );
      const review = await call(
        request(server)
          .post(
            `/api/ripple/migrations/${
              migration.id
            }/consumers/${encodeURIComponent(
              'component:default/orders-export',
            )}/review`,
          )
          .send({ decision: 'approve', patchId: patch.body.patch.id }),
      );
      expect(review.status).toBe(201);
      await stop();
    });

    it('previews the same consumers and patches without saving anything', async () => {
      const { server, stop } = await startRippleTestBackend({
        databases,
        databaseId,
        agent: { intervalSeconds: 3600 },
      });
      const res = await call(
        request(server)
          .post('/api/ripple/preview')
          .send({ datasetRef: 'resource:default/orders', change }),
      );
      expect(res.status).toBe(200);
      expect(
        res.body.consumers.map(
          (c: { consumerRef: string; patch?: { status: string } }) => [
            c.consumerRef,
            c.patch?.status,
          ],
        ),
      ).toEqual(expectedConsumers);
      expect(res.body.consumers[3]).toMatchObject({
        discoveredBy: 'catalog',
        impact: { files: [{ path: 'export_orders.py', references: 2 }] },
        patch: {
          diff: expect.stringContaining('+  o.amount_usd AS amount,\n'),
        },
      });
      // The verdict, from the column lineage, with its reason's place.
      expect(res.body.consumers[0].impact).toMatchObject({
        verdict: 'breaking',
        reasons: [
          {
            kind: 'renamed_column',
            verdict: 'breaking',
            path: 'sql/monthly_close.sql',
            line: 12,
            column: 12,
          },
        ],
      });
      // Dropping a column only the dbt model reads breaks it alone.
      const drop = await call(
        request(server)
          .post('/api/ripple/preview')
          .send({
            datasetRef: 'resource:default/orders',
            change: {
              ...change,
              changes: [{ kind: 'drop_column', column: 'legacy_flag' }],
            },
          }),
      );
      expect(
        drop.body.consumers.map((c: Consumer) => [
          c.consumerRef,
          c.impact?.verdict,
          c.impact?.reasons?.map(r => `${r.kind} ${r.path}:${r.line}`),
        ]),
      ).toEqual([
        [
          'component:default/finance-reports',
          'unaffected',
          ['unchanged_columns sql/monthly_close.sql:13'],
        ],
        [
          'component:default/fraud-scoring',
          'unaffected',
          [
            'unchanged_columns src/main/scala/com/example/FraudScoring.scala:11',
          ],
        ],
        [
          'component:default/jaffle-dbt',
          'breaking',
          ['dropped_column models/stg_orders.sql:13'],
        ],
        [
          'component:default/orders-export',
          'unaffected',
          ['unchanged_columns export_orders.py:14'],
        ],
        // No code of its own: no verdict.
        ['resource:default/daily-revenue', undefined, undefined],
      ]);
      const list = await call(request(server).get('/api/ripple/migrations'));
      expect(list.body.totalCount).toBe(0);

      const bad = await call(
        request(server)
          .post('/api/ripple/preview')
          .send({
            datasetRef: 'resource:default/orders',
            change: { ...change, changes: [] },
          }),
      );
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toBe(
        'change.changes: must list at least one change',
      );
      await stop();
    });

    it('finishes after a restart an analysis asked for before it', async () => {
      // The first backend's agent ran at startup and will not run again. The
      // second runs on the same databases, Ripple's and the catalog's.
      const first = await startRippleTestBackend({
        databases,
        databaseId,
        agent: { intervalSeconds: 3600 },
      });
      const migration = await createAndAnalyze(first.server);
      await first.stop();

      const second = await startRippleTestBackend({
        databases,
        databaseId,
        share: first.pluginDatabases,
        agent: { intervalSeconds: 1 },
      });
      expect((await waitForAnalysis(second.server, migration.id)).state).toBe(
        'proposed',
      );
      expect(await consumers(second.server, migration.id)).toHaveLength(5);
      await second.stop();
    });

    it('analyses each consumer once with two backends on one database', async () => {
      const one = await startRippleTestBackend({
        databases,
        databaseId,
        agent: { intervalSeconds: 1 },
      });
      const two = await startRippleTestBackend({
        databases,
        databaseId,
        share: one.pluginDatabases,
        agent: { intervalSeconds: 1 },
      });
      const migrations = [
        await createAndAnalyze(one.server),
        await createAndAnalyze(two.server),
      ];
      for (const migration of migrations) {
        expect((await waitForAnalysis(one.server, migration.id)).state).toBe(
          'proposed',
        );
        const events = await call(
          request(two.server).get(
            `/api/ripple/migrations/${migration.id}/events?limit=500`,
          ),
        );
        const proposedPatches = events.body.items.filter(
          (e: { type: string }) => e.type === 'patch-proposed',
        );
        // Four consumers with code, one patch each: never analysed twice.
        expect(proposedPatches).toHaveLength(4);
        expect(
          events.body.items.filter(
            (e: { type: string }) => e.type === 'consumer-added',
          ),
        ).toHaveLength(5);
      }
      await one.stop();
      await two.stop();
    });
  },
);
