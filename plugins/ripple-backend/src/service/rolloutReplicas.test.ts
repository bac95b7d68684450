import { createBackendModule } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import {
  Delivery,
  rippleDeliveryExtensionPoint,
} from '@ripple/backstage-plugin-ripple-node';
import { loadEngine } from '@ripple/engine';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { waitForWholeRun } from '../__testUtils__/scheduledRuns';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';

jest.setTimeout(240_000);

// Two replicas share one database: PostgreSQL, as in production.
// (The catalog's own database is SQLite, as in the other tests.)
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const change = {
  dataset: 'proj.ds.replica_orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const FILE = 'models/revenue.sql';
const CODE = 'SELECT o.id, o.amount\nFROM proj.ds.replica_orders AS o\n';
const NAMES = Array.from({ length: 8 }, (_, i) => `replica-consumer-${i}`);
const ref = (name: string) => `component:default/${name}`;

/** Every call of the delivery method, from either replica. */
const calls: { op: 'deliver' | 'revert'; consumerRef: string }[] = [];

/**
 * A delivery method that counts what it is asked to do and takes a while
 * doing it, so that the two replicas' steps and actions overlap.
 */
const countingDelivery = createBackendModule({
  pluginId: 'ripple',
  moduleId: 'counting-delivery',
  register(reg) {
    reg.registerInit({
      deps: { delivery: rippleDeliveryExtensionPoint },
      async init({ delivery }) {
        const slow = () => new Promise(r => setTimeout(r, 100));
        delivery.addDeliveryMethod({
          id: 'counting',
          supports: () => true,
          async deliver(req): Promise<Delivery> {
            calls.push({ op: 'deliver', consumerRef: req.consumer.ref });
            await slow();
            return { method: 'counting', status: 'delivered' };
          },
          async sync(_req, d) {
            return d;
          },
          async revert(req, d): Promise<Delivery> {
            calls.push({ op: 'revert', consumerRef: req.consumer.ref });
            await slow();
            return { ...d, status: 'reverted' };
          },
          async checkReady() {
            return { ready: true };
          },
        });
      },
    });
  },
});

describe('two backend replicas on one PostgreSQL database', () => {
  let root: string;
  let catalogFile: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-replicas-'));
    const docs = [
      `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: replica-orders
  annotations:
    ripple.io/table: proj.ds.replica_orders
spec:
  type: dataset
  owner: group:default/data-platform`,
      ...NAMES.map(
        name => `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
  annotations:
    ripple.io/delivery: counting
spec:
  type: pipeline
  lifecycle: production
  owner: group:default/data-platform
  dependsOn: [resource:default/replica-orders]`,
      ),
    ];
    catalogFile = path.join(root, 'catalog.yaml');
    await fs.writeFile(catalogFile, docs.join('\n---\n'));
  });

  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('deliver and revert each consumer once, advance each wave once and record each transition once, whatever both do at the same time', async () => {
    const options = {
      databases,
      databaseId: 'POSTGRES_15' as const,
      rollout: { intervalSeconds: 1 },
      features: [countingDelivery],
      locations: [catalogFile],
      config: { ripple: { rollout: { syncMinutes: 0 } } },
    };
    const a = await startRippleTestBackend(options);
    const b = await startRippleTestBackend({
      ...options,
      share: a.pluginDatabases,
    });
    const replicas = [a, b];
    const call = (
      replica: typeof a,
      method: 'get' | 'post',
      url: string,
      body?: object,
    ) => {
      const req = request(replica.server)
        [method](`/api/ripple${url}`)
        .set(as('guest'));
      return body === undefined ? req : req.send(body);
    };
    /** The same action on both replicas at once; both must answer 200. */
    const both = async (url: string, body: object) => {
      const responses = await Promise.all(
        replicas.map(r => call(r, 'post', url, body)),
      );
      expect(responses.map(r => [r.status, r.body?.error?.message])).toEqual([
        [200, undefined],
        [200, undefined],
      ]);
      return responses;
    };
    for (const replica of replicas) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const res = await request(replica.server)
          .get(`/api/catalog/entities/by-name/component/default/${NAMES[7]}`)
          .set(as('guest'));
        if (res.status === 200) break;
        if (Date.now() > deadline) throw new Error('catalog not loaded');
        await new Promise(r => setTimeout(r, 250));
      }
    }

    // A proposed migration with a real patch per consumer (the agent's part
    // is tested elsewhere).
    const engine = await loadEngine();
    const created = await call(a, 'post', '/migrations', {
      datasetRef: 'resource:default/replica-orders',
      change,
      title: 'Rename amount',
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await a.store.transition({ migrationId: id, to: 'analyzing' });
    const rewrite = engine.rewrite(FILE, CODE, change as any);
    for (const name of NAMES) {
      await a.store.putConsumer({
        migrationId: id,
        consumerRef: ref(name),
        discoveredBy: 'catalog',
      });
      await a.store.recordPatch({
        migrationId: id,
        consumerRef: ref(name),
        diff: rewrite.patch!,
        baseHash: 'sha256:code',
        status: 'rewritten',
        reasons: [],
      });
    }
    await a.store.transition({ migrationId: id, to: 'proposed' });
    const rollout = async () =>
      (await call(a, 'get', `/migrations/${id}/rollout`)).body;
    const until = async (what: string, check: () => Promise<boolean>) => {
      const deadline = Date.now() + 60_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`Timed out: ${what}`);
        await new Promise(r => setTimeout(r, 200));
      }
    };

    // Both start it at once (auto-approving: both replicas' steps race to
    // record the approvals too), without signals to wait for.
    await both(`/migrations/${id}/rollout/start`, {
      plan: {
        waves: [
          { name: 'canary', count: 1 },
          { name: 'half', percent: 50 },
          { name: 'all', percent: 100 },
        ],
        soakMinutes: 0,
        autoAdvance: false,
        autoApprove: true,
        health: { requireSignals: false },
      },
    });
    await until('the canary delivered', async () =>
      calls.some(c => c.op === 'deliver'),
    );
    // Both advance from the canary at once, twice over.
    await both(`/migrations/${id}/rollout/advance`, { wave: 0 });
    await both(`/migrations/${id}/rollout/advance`, { wave: 0 });
    expect((await rollout()).currentWave).toBe(1);
    // Both pause, both resume, while the half wave is being delivered.
    await both(`/migrations/${id}/rollout/pause`, { reason: 'look' });
    await both(`/migrations/${id}/rollout/resume`, {});
    await until('the half wave delivered', async () => {
      const res = await call(a, 'get', `/migrations/${id}/consumers`);
      return (
        res.body.items.filter(
          (c: any) => c.wave <= 1 && c.delivery?.status === 'delivered',
        ).length === 4
      );
    });
    await both(`/migrations/${id}/rollout/advance`, { wave: 1 });
    await until('every consumer delivered', async () => {
      const res = await call(a, 'get', `/migrations/${id}/consumers`);
      return res.body.items.every(
        (c: any) => c.delivery?.status === 'delivered',
      );
    });
    // Both roll everything back at once.
    await both(`/migrations/${id}/rollout/rollback`, { reason: 'bad' });
    await until('every delivery reverted', async () => {
      const res = await call(a, 'get', `/migrations/${id}/consumers`);
      return res.body.items.every(
        (c: any) => c.delivery?.status === 'reverted',
      );
    });
    // The schedulers keep running: after a whole run of the task (on
    // whichever replica), nothing more has happened.
    await waitForWholeRun(a.server, {
      taskId: 'ripple-rollout',
      headers: as('guest'),
    });

    const count = (op: 'deliver' | 'revert') =>
      NAMES.map(
        name =>
          calls.filter(c => c.op === op && c.consumerRef === ref(name)).length,
      );
    expect(count('deliver')).toEqual(NAMES.map(() => 1));
    expect(count('revert')).toEqual(NAMES.map(() => 1));

    const events: MigrationEvent[] = (
      await call(a, 'get', `/migrations/${id}/events?limit=500`)
    ).body.items;
    const of = (type: string) => events.filter(e => e.type === type);
    expect(of('rollout-started')).toHaveLength(1);
    expect(of('wave-started').map(e => e.data?.wave)).toEqual([0, 1, 2]);
    expect(of('wave-completed').map(e => e.data?.wave)).toEqual([0, 1]);
    expect(
      of('state-changed').map(e => `${e.data?.from}>${e.data?.to}`),
    ).toEqual([
      'draft>analyzing',
      'analyzing>proposed',
      'proposed>rolling_out',
      'rolling_out>paused',
      'paused>rolling_out',
      'rolling_out>rolled_back',
    ]);
    const perConsumer = (type: string) =>
      NAMES.map(
        name => of(type).filter(e => e.consumerRef === ref(name)).length,
      );
    expect(perConsumer('review-recorded')).toEqual(NAMES.map(() => 1));
    expect(perConsumer('patch-delivered')).toEqual(NAMES.map(() => 1));
    expect(perConsumer('patch-reverted')).toEqual(NAMES.map(() => 1));
    await b.stop();
    await a.stop();
  });
});
