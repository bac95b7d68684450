import { TestDatabases } from '@backstage/backend-test-utils';
import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import request from 'supertest';
import { approvedPatch } from '../rollout/approvedPatch';
import { DatabaseRolloutStore } from '../database/DatabaseRolloutStore';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';

// The rollout's side of issue 15: the compatibility view's gate (item 9),
// what is delivered (item 10), and a start refused leaving nothing marked
// (item 16).

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const consumer = 'component:default/moved-reader';

describe.each(databases.eachSupportedId())(
  'the rollout hardened on %s',
  databaseId => {
    let root: string;
    let backend: Awaited<ReturnType<typeof startRippleTestBackend>>;
    let warehouse: string;

    beforeAll(async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-gate-'));
      // The warehouse the configured connection applies views to: SQLite,
      // with ANSI DDL (`CREATE VIEW`).
      warehouse = path.join(root, 'warehouse.sqlite');
      const catalog = path.join(root, 'catalog.yaml');
      await fs.writeFile(
        catalog,
        `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: typed-orders
  annotations:
    ripple.io/table: orders
    ripple.io/dialect: postgres
    ripple.io/schema: '{id: INTEGER, amount: NUMERIC, legacy: BOOLEAN}'
spec:
  type: dataset
  owner: group:default/data-platform
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: untyped-orders
  annotations:
    ripple.io/table: orders
spec:
  type: dataset
  owner: group:default/data-platform
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: moved-reader
spec:
  type: pipeline
  lifecycle: production
  owner: group:default/data-platform
`,
      );
      backend = await startRippleTestBackend({
        databases,
        databaseId,
        locations: [catalog],
        config: {
          ripple: {
            compatView: {
              client: 'better-sqlite3',
              connection: { filename: warehouse },
            },
          },
        },
      });
      for (;;) {
        const res = await request(backend.server)
          .get('/api/catalog/entities/by-name/component/default/moved-reader')
          .set(as('guest'));
        if (res.status === 200) break;
        await new Promise(r => setTimeout(r, 100));
      }
    });

    afterAll(async () => {
      await backend.stop();
      await fs.rm(root, { recursive: true, force: true });
    });

    const call = async (method: 'get' | 'post', url: string, body?: object) => {
      const req = request(backend.server)
        [method](`/api/ripple${url}`)
        .set(as('guest'));
      const res = await (body === undefined ? req : req.send(body));
      expectValidResponse(res);
      return res;
    };

    /** A proposed migration whose one consumer has an approved patch (or one of `status`). */
    async function proposed(
      datasetRef: string,
      change: object,
      status: 'rewritten' | 'unaffected' = 'rewritten',
    ) {
      const created = await call('post', '/migrations', {
        datasetRef,
        change,
        title: 'Move orders',
      });
      expect(created.status).toBe(201);
      const id: string = created.body.id;
      const { store } = backend;
      await store.transition({ migrationId: id, to: 'analyzing' });
      await store.putConsumer({
        migrationId: id,
        consumerRef: consumer,
        discoveredBy: 'catalog',
      });
      const patch = await store.recordPatch({
        migrationId: id,
        consumerRef: consumer,
        diff: status === 'rewritten' ? '--- a/q.sql\n+++ b/q.sql\n' : '',
        baseHash: 'sha256:v1',
        status,
        reasons: [],
      });
      await store.transition({ migrationId: id, to: 'proposed' });
      if (status === 'rewritten') {
        const review = await call(
          'post',
          `/migrations/${id}/consumers/${encodeURIComponent(consumer)}/review`,
          { decision: 'approve', patchId: patch.id },
        );
        expect(review.status).toBe(201);
      }
      return { id, patch };
    }

    it("builds the view from the dataset's schema and dialect (item 9)", async () => {
      const { id } = await proposed('resource:default/typed-orders', {
        dataset: 'orders',
        changes: [
          { kind: 'rename_table', to: 'orders_v2' },
          { kind: 'drop_column', column: 'legacy' },
        ],
      });
      const view = await call('get', `/migrations/${id}/compat-view`);
      expect(view.body).toMatchObject({ state: 'pending', required: true });
      // The dropped column is kept as a typed NULL, in PostgreSQL's spelling.
      expect(view.body.ddl).toMatch(/CREATE OR REPLACE VIEW orders AS/);
      expect(view.body.ddl).toMatch(/NULL AS BOOLEAN\)? AS legacy/);
    });

    it('refuses a rollout whose view cannot be built, with a 409 saying why, unless a person overrides it with a reason, recorded and audited (item 9)', async () => {
      // Without a schema, a rename in PostgreSQL (no `* EXCEPT`) cannot be
      // left out of `*`: the engine refuses the view.
      const { id } = await proposed('resource:default/untyped-orders', {
        dataset: 'orders',
        dialect: 'postgres',
        changes: [
          { kind: 'rename_table', to: 'orders_v2' },
          { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        ],
      });
      const view = await call('get', `/migrations/${id}/compat-view`);
      expect(view.body).toMatchObject({
        state: 'unavailable',
        required: true,
        reason: expect.any(String),
      });
      const refused = await call('post', `/migrations/${id}/rollout/start`, {});
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toBe(
        `Migration ${id} moves the table, but its compatibility view cannot be built: ${view.body.reason}. Consumers not yet patched would break when the table moves; to start anyway, give overrideCompatView with the reason`,
      );
      expect((await call('get', `/migrations/${id}`)).body.state).toBe(
        'proposed',
      );

      const reason = 'the old name has no readers left outside this migration';
      const started = await call('post', `/migrations/${id}/rollout/start`, {
        overrideCompatView: reason,
      });
      expect(started.status).toBe(200);
      const after = await call('get', `/migrations/${id}/compat-view`);
      expect(after.body).toMatchObject({
        state: 'unavailable',
        overriddenBy: 'user:default/guest',
        overrideReason: reason,
        overriddenAt: expect.any(String),
      });
      const events: MigrationEvent[] = (
        await call('get', `/migrations/${id}/events?limit=500`)
      ).body.items;
      expect(
        events.find(e => e.type === 'compat-view-overridden'),
      ).toMatchObject({
        actor: 'user:default/guest',
        data: { by: 'user:default/guest', reason },
      });
      expect(
        backend.auditEvents.filter(
          e => e.eventId === 'rollout-start' && e.meta?.migrationId === id,
        ),
      ).toEqual([
        expect.objectContaining({ outcome: 'failure' }),
        expect.objectContaining({
          outcome: 'success',
          meta: expect.objectContaining({ overrideCompatView: reason }),
        }),
      ]);
    });

    it('marks no view applied when the start is then refused, and applies and marks it with the start (item 16)', async () => {
      const move = {
        dataset: 'orders',
        dialect: 'ansi',
        changes: [{ kind: 'rename_table', to: 'orders_v2' }],
      };
      // Nothing to deliver: the start is refused, and the view neither run
      // nor marked.
      const empty = await proposed(
        'resource:default/untyped-orders',
        move,
        'unaffected',
      );
      const refused = await call(
        'post',
        `/migrations/${empty.id}/rollout/start`,
        {},
      );
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toBe(
        `Migration ${empty.id} has no consumer with a patch to deliver`,
      );
      expect(
        (await call('get', `/migrations/${empty.id}/compat-view`)).body.state,
      ).toBe('pending');
      const db = knexFactory({
        client: 'better-sqlite3',
        connection: { filename: warehouse },
        useNullAsDefault: true,
      });
      try {
        const views = () =>
          db('sqlite_master').where({ type: 'view' }).pluck('name');
        expect(await views()).toEqual([]);

        const { id } = await proposed('resource:default/untyped-orders', move);
        const started = await call('post', `/migrations/${id}/rollout/start`, {
          plan: { soakMinutes: 60 },
        });
        expect(started.status).toBe(200);
        expect(await views()).toEqual(['orders']);
        expect(
          (await call('get', `/migrations/${id}/compat-view`)).body,
        ).toMatchObject({ state: 'applied', appliedBy: 'user:default/guest' });
      } finally {
        await db.destroy();
      }
    });

    it('marks a view applied once when eight people mark it at once (item 16)', async () => {
      const { id } = await proposed('resource:default/untyped-orders', {
        dataset: 'orders',
        dialect: 'ansi',
        changes: [{ kind: 'rename_table', to: 'orders_v3' }],
      });
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          request(backend.server)
            .post(`/api/ripple/migrations/${id}/compat-view/applied`)
            .set(as('guest'))
            .send({}),
        ),
      );
      expect(new Set(answers.map(a => a.status))).toEqual(new Set([200]));
      const events: MigrationEvent[] = (
        await call('get', `/migrations/${id}/events?limit=500`)
      ).body.items;
      expect(events.filter(e => e.type === 'compat-view-applied')).toHaveLength(
        1,
      );
    });

    it('delivers only the version that was approved, while it is current (item 10)', async () => {
      const { id, patch: v1 } = await proposed(
        'resource:default/typed-orders',
        {
          dataset: 'orders',
          changes: [{ kind: 'drop_column', column: 'legacy' }],
        },
      );
      const { store, knex } = backend;
      const rollouts = new DatabaseRolloutStore(knex);
      expect(
        (await approvedPatch(store, rollouts, id, consumer, v1.id))?.id,
      ).toBe(v1.id);
      // A refresh makes a new version: neither is delivered, v1 since it is
      // superseded, v2 since nobody approved it.
      await store.markPatchStale({
        migrationId: id,
        consumerRef: consumer,
        patchId: v1.id,
      });
      const v2 = await store.recordPatch({
        migrationId: id,
        consumerRef: consumer,
        diff: '--- a/q.sql\n+++ b/q.sql\n@@ v2\n',
        baseHash: 'sha256:v2',
        status: 'rewritten',
        reasons: [],
      });
      expect(await approvedPatch(store, rollouts, id, consumer, v1.id)).toBe(
        undefined,
      );
      expect(await approvedPatch(store, rollouts, id, consumer, v2.id)).toBe(
        undefined,
      );
      await store.recordReview({
        migrationId: id,
        consumerRef: consumer,
        patchId: v2.id,
        decision: 'approve',
        reviewer: 'user:default/guest',
      });
      expect(
        (await approvedPatch(store, rollouts, id, consumer, v2.id))?.diff,
      ).toBe('--- a/q.sql\n+++ b/q.sql\n@@ v2\n');
    });

    it('judges a signal only when newer than the last one judged for the consumer (item 5)', async () => {
      const { id } = await proposed('resource:default/typed-orders', {
        dataset: 'orders',
        changes: [{ kind: 'drop_column', column: 'legacy' }],
      });
      const rollouts = new DatabaseRolloutStore(backend.knex);
      await rollouts.start({
        migrationId: id,
        from: 'proposed',
        plan: (await call('get', `/migrations/${id}/rollout`)).body.plan,
        critical: false,
        waves: [{ name: 'canary', consumers: [consumer] }],
        actor: 'user:default/guest',
      });
      await rollouts.recordDelivery({
        migrationId: id,
        consumerRef: consumer,
        delivery: { method: 'download', status: 'delivered' },
      });
      const now = Date.now();
      const signal = (minutesAgo: number, errorRate: number) => ({
        migrationId: id,
        consumerRef: consumer,
        source: 'api:user:default/guest',
        signals: { errorRate },
        observedAt: new Date(now - minutesAgo * 60_000),
        health:
          errorRate > 0.05
            ? { health: 'unhealthy' as const, reason: 'error rate' }
            : { health: 'healthy' as const },
        pause: errorRate > 0.05 ? 'error rate' : undefined,
      });
      expect(await rollouts.recordHealth(signal(1, 0.5))).toEqual({
        recorded: true,
        judged: true,
        paused: true,
      });
      // Older than the breach: kept as history, but it cannot clear it.
      expect(await rollouts.recordHealth(signal(2, 0))).toEqual({
        recorded: true,
        judged: false,
        paused: false,
      });
      // The same signal again: not even recorded twice.
      expect(await rollouts.recordHealth(signal(2, 0))).toMatchObject({
        recorded: false,
      });
      const [state] = await rollouts.listConsumers(id, [consumer]);
      expect(state).toMatchObject({
        health: 'unhealthy',
        healthReason: 'error rate',
      });
      expect(await rollouts.recordHealth(signal(0, 0))).toMatchObject({
        judged: true,
      });
      const [after] = await rollouts.listConsumers(id, [consumer]);
      expect(after.health).toBe('healthy');
    });
  },
);
