import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import type {
  ConsumerPreview,
  DatasetCode,
  Migration,
  MigrationEvent,
} from '@ripple/backstage-plugin-ripple-common';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Server } from 'node:http';
import request from 'supertest';
import type { Knex } from 'knex';
import { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import {
  as,
  AuditRecord,
  startRippleTestBackend,
  users,
} from '../__testUtils__/testBackend';

// What a catalog entry or a request may no longer do (issue 15): the API's
// side of items 2, 4, 5, 6, 7, 14 and 16.

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const orders = 'resource:default/orders';
const ordersExport = 'component:default/orders-export';
const jaffleDbt = 'component:default/jaffle-dbt';
const badDeclared = 'component:default/bad-dialect-declared';
const badUndeclared = 'component:default/bad-dialect-undeclared';
const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const READS_ORDERS = 'SELECT id, amount FROM `proj.ds.orders`\n';

/** Entities with a `ripple.io/dialect` the engine does not know, and datasets with bad annotations. */
async function hostileCatalog(root: string): Promise<string[]> {
  const docs: string[] = [];
  for (const [name, declared] of [
    ['bad-dialect-declared', true],
    ['bad-dialect-undeclared', false],
  ] as const) {
    const dir = path.join(root, name);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'query.sql'), READS_ORDERS);
    await fs.writeFile(
      path.join(dir, 'catalog-info.yaml'),
      `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
  annotations:
    ripple.io/dialect: klingon
spec:
  type: data-pipeline
  lifecycle: production
  owner: group:default/data-platform
${declared ? '  dependsOn: [resource:default/orders]\n' : ''}`,
    );
    docs.push(path.join(dir, 'catalog-info.yaml'));
  }
  const datasets = path.join(root, 'datasets.yaml');
  await fs.writeFile(
    datasets,
    `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: klingon-orders
  annotations:
    ripple.io/table: proj.ds.klingon_orders
    ripple.io/dialect: klingon
spec:
  type: dataset
  owner: group:default/data-platform
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: exfiltrating-orders
  annotations:
    ripple.io/table: proj.ds.exfiltrating_orders
    ripple.io/schema-file: http://169.254.169.254/latest/meta-data/iam
spec:
  type: dataset
  owner: group:default/data-platform
`,
  );
  return [...docs, datasets];
}

describe.each(databases.eachSupportedId())(
  'hardening of the API on %s',
  databaseId => {
    let server: Server;
    let store: DatabaseMigrationStore;
    let knex: Knex;
    let auditEvents: AuditRecord[];
    let stop: () => Promise<void>;
    let root: string;

    beforeAll(async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-hardening-'));
      const locations = await hostileCatalog(root);
      ({ server, store, auditEvents, stop, knex } =
        await startRippleTestBackend({
          databases,
          databaseId,
          locations,
          readable: [root],
        }));
      // The test's own entities, processed after the example catalog.
      for (const name of ['bad-dialect-undeclared', 'exfiltrating-orders']) {
        const kind = name.endsWith('orders') ? 'resource' : 'component';
        for (;;) {
          const res = await request(server)
            .get(`/api/catalog/entities/by-name/${kind}/default/${name}`)
            .set(as('guest'));
          if (res.status === 200) break;
          await new Promise(r => setTimeout(r, 100));
        }
      }
    });

    afterAll(async () => {
      await stop();
      await fs.rm(root, { recursive: true, force: true });
    });

    async function call(test: request.Test): Promise<request.Response> {
      const res = await test;
      expectValidResponse(res);
      return res;
    }
    const api = {
      get: (url: string, user: keyof typeof users = 'guest') =>
        call(request(server).get(`/api/ripple${url}`).set(as(user))),
      post: (url: string, body?: object, user: keyof typeof users = 'guest') =>
        call(
          request(server)
            .post(`/api/ripple${url}`)
            .set(as(user))
            .send(body ?? {}),
        ),
    };
    const consumerPath = (id: string, consumerRef: string, rest = '') =>
      `/migrations/${id}/consumers/${encodeURIComponent(consumerRef)}${rest}`;

    async function createMigration(
      body: object = {},
      user: keyof typeof users = 'guest',
    ): Promise<Migration> {
      const res = await api.post(
        '/migrations',
        { datasetRef: orders, change, title: 'Rename amount', ...body },
        user,
      );
      expect(res.status).toBe(201);
      return res.body;
    }

    /** A migration in `proposed` with orders-export and jaffle-dbt and a patch each. */
    async function proposedMigration() {
      const migration = await createMigration();
      await api.post(`/migrations/${migration.id}/analyze`);
      const patches: Record<string, number> = {};
      for (const consumerRef of [ordersExport, jaffleDbt]) {
        await store.putConsumer({
          migrationId: migration.id,
          consumerRef,
          discoveredBy: 'catalog',
        });
        patches[consumerRef] = (
          await store.recordPatch({
            migrationId: migration.id,
            consumerRef,
            diff: '--- a/q.sql\n+++ b/q.sql\n@@ -1 +1 @@\n-SELECT amount\n+SELECT amount_usd AS amount\n',
            baseHash: `sha256:${consumerRef}`,
            status: 'rewritten',
            reasons: [],
          })
        ).id;
      }
      await store.transition({ migrationId: migration.id, to: 'proposed' });
      return { migration, patches };
    }

    describe('an entity with an unknown ripple.io/dialect (item 2)', () => {
      it('is reported on its own consumer: an error patch when declared, skipped when not; previews and code answer 200', async () => {
        const preview = await api.post('/preview', {
          datasetRef: orders,
          change,
        });
        expect(preview.status).toBe(200);
        const consumers: ConsumerPreview[] = preview.body.consumers;
        const declared = consumers.find(c => c.consumerRef === badDeclared)!;
        expect(declared).toMatchObject({
          discoveredBy: 'catalog',
          error: expect.stringContaining(
            `${badDeclared}: annotation ripple.io/dialect: `,
          ),
          patch: { status: 'error', diff: '' },
        });
        expect(declared.error).toMatch(/klingon/);
        expect(declared.patch!.reasons[0]).toEqual({
          path: '',
          kind: 'unusable_annotation',
          severity: 'error',
          message: declared.error,
        });
        expect(consumers.find(c => c.consumerRef === badUndeclared)).toEqual({
          consumerRef: badUndeclared,
          discoveredBy: 'code',
          error: expect.stringContaining(
            `${badUndeclared}: annotation ripple.io/dialect: `,
          ),
        });
        // The others are analysed as ever.
        expect(
          consumers.find(c => c.consumerRef === ordersExport)?.patch?.status,
        ).toBe('rewritten');

        const code = await api.get(
          `/datasets/${encodeURIComponent(orders)}/code`,
        );
        expect(code.status).toBe(200);
        const listed = (code.body as DatasetCode).consumers;
        expect(listed.find(c => c.consumerRef === badDeclared)).toMatchObject({
          files: [],
          error: expect.stringContaining('annotation ripple.io/dialect'),
          errorKind: 'unusable_annotation',
        });
        expect(
          listed.find(c => c.consumerRef === ordersExport)?.files.length,
        ).toBe(1);
      });

      it('on a dataset, refuses creating its migration with a 400 naming the entity and the annotation', async () => {
        const res = await api.post('/migrations', {
          datasetRef: 'resource:default/klingon-orders',
          change: { ...change, dataset: 'proj.ds.klingon_orders' },
          title: 't',
        });
        expect(res.status).toBe(400);
        expect(res.body.error.message).toMatch(
          /^resource:default\/klingon-orders: annotation ripple\.io\/dialect: .*klingon/,
        );
      });
    });

    describe('SQL in a change spec (item 4, the API)', () => {
      it('refuses a mapping that is not one expression, or a type that is not one type, naming the field', async () => {
        const replace = (expression: string) => ({
          ...change,
          changes: [
            {
              kind: 'replace_table',
              to: 'proj.core.orders',
              columns: { amount: expression },
            },
          ],
        });
        const injected = await api.post('/migrations', {
          datasetRef: orders,
          change: replace('1 FROM t; DROP TABLE x; SELECT 1'),
          title: 'Inject',
        });
        expect(injected.status).toBe(400);
        expect(injected.body.error.message).toMatch(
          /^change\.changes\[0\]\.columns\.amount: .*must be exactly one expression of bigquery SQL, but `FROM` at line 1, column 3 follows it$/,
        );
        // (A trailing comment is harmless: the engine writes the expression
        // from its parsed form, so it cannot hide what follows.)
        for (const expression of [
          '1) AS amount, (SELECT secret FROM vault',
          'amount_usd), (2',
        ]) {
          const res = await api.post('/preview', {
            datasetRef: orders,
            change: replace(expression),
          });
          expect(res.status).toBe(400);
          expect(res.body.error.message).toMatch(
            /^change\.changes\[0\]\.columns\.amount: /,
          );
        }
        const retyped = await api.post('/migrations', {
          datasetRef: orders,
          change: {
            ...change,
            changes: [
              {
                kind: 'change_type',
                column: 'id',
                to: 'STRING) AS id; DROP TABLE x; SELECT CAST(1 AS INT64',
              },
            ],
          },
          title: 'Inject a type',
        });
        expect(retyped.status).toBe(400);
        expect(retyped.body.error.message).toMatch(
          /^change\.changes\[0\]\.to: .*must be exactly one data type of bigquery SQL, but `\)` at line 1, column 7 follows it$/,
        );
        // Real mappings and types pass.
        await createMigration({
          change: {
            ...change,
            changes: [
              {
                kind: 'replace_table',
                to: 'proj.core.orders',
                columns: {
                  amount: 'amount_usd',
                  cust: 'customer.id',
                  ts: 'TIMESTAMP_MILLIS(ts_ms)',
                },
              },
            ],
          },
        });
        await createMigration({
          change: {
            ...change,
            changes: [{ kind: 'change_type', column: 'id', to: 'STRING' }],
          },
        });
      });
    });

    describe('permissions on the dataset (item 7)', () => {
      it("lets only the dataset's owners create, analyse, cancel and roll out its migrations; each denial audited", async () => {
        const { migration } = await proposedMigration();
        // analyst is in analytics, which owns daily-revenue, not orders.
        const create = await api.post(
          '/migrations',
          { datasetRef: orders, change, title: 't' },
          'analyst',
        );
        expect(create.status).toBe(403);
        expect(create.body.error.message).toBe(
          `You are not allowed to create migrations of ${orders} (ripple.migration.create)`,
        );
        for (const [action, permission] of [
          ['analyze', 'ripple.migration.create'],
          ['cancel', 'ripple.migration.cancel'],
          ['rollout/start', 'ripple.rollout.manage'],
          ['rollout/pause', 'ripple.rollout.manage'],
          ['compat-view/applied', 'ripple.rollout.manage'],
        ]) {
          const res = await api.post(
            `/migrations/${migration.id}/${action}`,
            {},
            'analyst',
          );
          expect(res.status).toBe(403);
          expect(res.body.error.message).toMatch(
            new RegExp(
              `^You are not allowed to .* ${orders} \\(${permission}\\)$`,
            ),
          );
        }
        expect((await api.get(`/migrations/${migration.id}`)).body.state).toBe(
          'proposed',
        );
        const denied = auditEvents.filter(
          e =>
            e.outcome === 'failure' &&
            e.error?.includes(orders) &&
            e.error?.startsWith('You are not allowed'),
        );
        expect(new Set(denied.map(e => e.eventId))).toEqual(
          new Set([
            'migration-create',
            'migration-analyze',
            'migration-cancel',
            'rollout-start',
            'rollout-pause',
            'rollout-compat-view-applied',
          ]),
        );
        // The analytics group owns daily-revenue: analyst may migrate it.
        const own = await api.post(
          '/migrations',
          {
            datasetRef: 'resource:default/daily-revenue',
            change: {
              dataset: 'proj.reporting.daily_revenue',
              changes: [{ kind: 'drop_column', column: 'orders' }],
            },
            title: 'Drop orders',
          },
          'analyst',
        );
        expect(own.status).toBe(201);
      });
    });

    describe('health signals (items 5 and 16)', () => {
      it("takes signals from services and the consumer's owners only, audits each, and refuses a time in the future", async () => {
        const { migration } = await proposedMigration();
        const health = consumerPath(migration.id, ordersExport, '/health');
        const denied = await api.post(
          health,
          { signals: { errorRate: 0.5 } },
          'analyst',
        );
        expect(denied.status).toBe(403);
        expect(denied.body.error.message).toBe(
          `You are not allowed to report the health of ${ordersExport} (ripple.health.report)`,
        );
        expect(
          (await api.post(health, { signals: { errorRate: 0 } })).status,
        ).toBe(200);
        const service = await call(
          request(server)
            .post(`/api/ripple${health}`)
            .set({ Authorization: mockCredentials.service.header() })
            .send({ signals: { errorRate: 0 } }),
        );
        expect(service.status).toBe(200);
        const future = new Date(Date.now() + 3600_000).toISOString();
        const ahead = await api.post(health, {
          signals: { errorRate: 0 },
          observedAt: future,
        });
        expect(ahead.status).toBe(400);
        expect(ahead.body.error.message).toMatch(
          new RegExp(
            `^observedAt: ${future.replace(/[.]/g, '\\.')} is in the future`,
          ),
        );
        const audited = auditEvents.filter(
          e =>
            e.eventId === 'health-report' &&
            e.meta?.migrationId === migration.id,
        );
        expect(audited.map(e => e.outcome)).toEqual([
          'failure',
          'success',
          'success',
          'failure',
        ]);
        expect(audited[0].meta).toMatchObject({
          consumerRef: ordersExport,
          source: `api:${users.analyst.ref}`,
          signals: { errorRate: 0.5 },
        });
      });

      it('records two identical signals sent at once once, answering both', async () => {
        const { migration } = await proposedMigration();
        const health = consumerPath(migration.id, jaffleDbt, '/health');
        const body = {
          signals: { errorRate: 0.01 },
          observedAt: new Date(Date.now() - 1000).toISOString(),
        };
        const answers = await Promise.all(
          [1, 2, 3, 4].map(() =>
            request(server)
              .post(`/api/ripple${health}`)
              .set(as('analyst'))
              .send(body),
          ),
        );
        expect(answers.map(a => a.status)).toEqual([200, 200, 200, 200]);
        const rows = await knex('health_signal').where({
          migration_id: migration.id,
        });
        expect(rows).toHaveLength(1);
      });
    });

    describe('what the catalog hides (item 6)', () => {
      it('shows a contractor only the consumers the catalog lets them read', async () => {
        const { migration, patches } = await proposedMigration();
        // The contractor reads every entity but the components analytics
        // does not own: jaffle-dbt, not orders-export.
        const list = await api.get(
          `/migrations/${migration.id}/consumers`,
          'contractor',
        );
        expect(list.status).toBe(200);
        expect(list.body.items.map((c: any) => c.consumerRef)).toEqual([
          jaffleDbt,
        ]);
        // The count and the pages are of what they may see: a hidden
        // consumer is neither counted nor leaves a page short.
        expect(list.body.totalCount).toBe(1);
        const second = await api.get(
          `/migrations/${migration.id}/consumers?limit=1&offset=1`,
          'contractor',
        );
        expect(second.body).toEqual({ items: [], totalCount: 1 });
        for (const rest of ['', '/patch', '/patch/download']) {
          const hidden = await request(server)
            .get(`/api/ripple${consumerPath(migration.id, ordersExport, rest)}`)
            .set(as('contractor'));
          expect(hidden.status).toBe(404);
          expect(hidden.text).not.toContain('amount_usd');
          const shown = await request(server)
            .get(`/api/ripple${consumerPath(migration.id, jaffleDbt, rest)}`)
            .set(as('contractor'));
          expect(shown.status).toBe(200);
        }
        const code = await api.get(
          `/datasets/${encodeURIComponent(orders)}/code`,
          'contractor',
        );
        expect(code.status).toBe(200);
        const refs = (code.body as DatasetCode).consumers.map(
          c => c.consumerRef,
        );
        expect(refs).toContain(jaffleDbt);
        expect(refs).not.toContain(ordersExport);
        const events = await api.get(
          `/migrations/${migration.id}/events?limit=500`,
          'contractor',
        );
        expect(
          (events.body.items as MigrationEvent[]).some(
            e => e.consumerRef === ordersExport,
          ),
        ).toBe(false);
        expect(
          (events.body.items as MigrationEvent[]).some(
            e => e.consumerRef === jaffleDbt,
          ),
        ).toBe(true);
        const rollout = await api.get(
          `/migrations/${migration.id}/rollout`,
          'contractor',
        );
        expect(rollout.body.waves.flatMap((w: any) => w.consumers)).toEqual([
          jaffleDbt,
        ]);
        const ofEntity = await api.get(
          '/entities/component/default/orders-export/migrations',
          'contractor',
        );
        expect(ofEntity.body).toEqual({ items: [], totalCount: 0 });
        const summary = await api.get('/catalog/summary', 'contractor');
        expect(
          summary.body.entities.map((e: any) => e.entityRef),
        ).not.toContain(ordersExport);
        // The owner still sees both.
        const all = (await api.get(`/migrations/${migration.id}/consumers`))
          .body;
        expect(all.items).toHaveLength(2);
        expect(all.totalCount).toBe(2);
        expect(patches[ordersExport]).toBeDefined();
      });

      it("hides a ref the catalog hides in Ripple's own texts: a pause's reason, an analysis's error", async () => {
        const { migration } = await proposedMigration();
        const reason = `${ordersExport} is unhealthy: error rate 0.5`;
        await store.addEvent({
          migrationId: migration.id,
          type: 'state-changed',
          message: `Rollout paused: ${reason}`,
          data: { reason },
        });
        const events = (
          await api.get(
            `/migrations/${migration.id}/events?limit=500`,
            'contractor',
          )
        ).body.items as MigrationEvent[];
        expect(events[events.length - 1]).toMatchObject({
          message:
            'Rollout paused: (an entity you may not see) is unhealthy: error rate 0.5',
          data: {
            reason: '(an entity you may not see) is unhealthy: error rate 0.5',
          },
        });
        // Entities the contractor reads stay named; the owner reads all.
        expect(
          (
            await api.get(`/migrations/${migration.id}/events?limit=500`)
          ).body.items.pop().message,
        ).toBe(`Rollout paused: ${reason}`);

        const analysing = await createMigration();
        await api.post(`/migrations/${analysing.id}/analyze`);
        await store.recordAnalysisFailure({
          migrationId: analysing.id,
          error: `Could not read the code of ${ordersExport} (owned by group:default/data-platform): timeout`,
          retryAt: new Date(Date.now() + 60_000),
        });
        const seen = await api.get(`/migrations/${analysing.id}`, 'contractor');
        expect(seen.body.analysis.error).toBe(
          'Could not read the code of (an entity you may not see) (owned by group:default/data-platform): timeout',
        );
        const listed = await api.get('/migrations?limit=500', 'contractor');
        expect(
          listed.body.items.find((m: Migration) => m.id === analysing.id)
            .analysis.error,
        ).toMatch(/^Could not read the code of \(an entity you may not see\)/);
      });

      it('reads a schema file only through a configured integration', async () => {
        const res = await api.get(
          `/datasets/${encodeURIComponent(
            'resource:default/exfiltrating-orders',
          )}`,
        );
        expect(res.status).toBe(400);
        expect(res.body.error.message).toBe(
          'resource:default/exfiltrating-orders: annotation ripple.io/schema-file: http://169.254.169.254/latest/meta-data/iam is read by no configured integration',
        );
      });
    });

    describe('body limits (item 14)', () => {
      it('accepts the 1 MiB of SQL the spec allows, and answers a larger body with a 413 that says why', async () => {
        const sql = `SELECT 1 AS x${' '.repeat(1024 * 1024 - 13)}`;
        expect(sql).toHaveLength(1024 * 1024);
        const ok = await api.post('/engine/tables', {
          sql,
          dialect: 'generic',
        });
        expect(ok.status).toBe(200);
        // Escaped: each character of the SQL 6 bytes of JSON.
        const escaped = await request(server)
          .post('/api/ripple/engine/tables')
          .set(as('guest'))
          .set('Content-Type', 'application/json')
          .send(
            `{"dialect":"generic","sql":"SELECT 1${'\\u0020'.repeat(
              1024 * 1024 - 8,
            )}"}`,
          );
        expect(escaped.status).toBe(200);
        const tooLarge = await api.post('/engine/tables', {
          sql: 'x'.repeat(9 * 1024 * 1024),
          dialect: 'generic',
        });
        expect(tooLarge.status).toBe(413);
        expect(tooLarge.body.error.message).toMatch(
          /^The request body is \d+ bytes; it may be at most 8388608 bytes \(8 MiB\)$/,
        );
      });
    });
  },
);
