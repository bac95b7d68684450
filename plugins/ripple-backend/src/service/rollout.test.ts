import { createBackendModule } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import type { Notification } from '@backstage/plugin-notifications-common';
import type {
  Consumer,
  MigrationEvent,
  Rollout,
} from '@ripple/backstage-plugin-ripple-common';
import {
  createGitBranchDeliveryMethod,
  HealthSignal,
  rippleDeliveryExtensionPoint,
  rippleHealthExtensionPoint,
} from '@ripple/backstage-plugin-ripple-node';
import { loadEngine } from '@ripple/engine';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { ConsumerRepository, git } from '../__testUtils__/gitRepositories';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import { waitForWholeRun } from '../__testUtils__/scheduledRuns';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';

jest.setTimeout(240_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const FILE = 'models/revenue.sql';
const CODE = 'SELECT o.id, o.amount\nFROM proj.ds.orders AS o\n';

/**
 * The fleet of the test: five consumers of one dataset, each in its own git
 * repository. `staging` is read by `reports`, so it goes first; the others
 * are ordered by criticality.
 */
const consumers: Record<string, { lifecycle: string; dependsOn?: string }> = {
  sandbox: { lifecycle: 'experimental' },
  adhoc: { lifecycle: 'development' },
  staging: { lifecycle: 'production' },
  billing: { lifecycle: 'production' },
  reports: { lifecycle: 'experimental', dependsOn: 'staging' },
};
const ref = (name: string) => `component:default/${name}`;

/** A table that moves, in PostgreSQL: the change with a compatibility view. */
const moveChange = {
  dataset: 'orders',
  dialect: 'postgres',
  changes: [{ kind: 'rename_table', to: 'orders_v2' }],
};
const WAREHOUSE_CODE = 'SELECT id, amount FROM orders\n';
/** Code reading the dataset of the late-consumer test. */
const LATE_CODE = 'SELECT o.id, o.amount\nFROM proj.ds.late_orders AS o\n';

/** Health signals a monitoring system reports, read through the `ripple.health` extension point. */
const monitor: HealthSignal[] = [];

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise(r => setTimeout(r, 250));
  }
}

describe.each(databases.eachSupportedId())('the rollout on %s', databaseId => {
  let root: string;
  let catalogFile: string;
  const repos: Record<string, ConsumerRepository> = {};

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-rollout-'));
    const docs: string[] = [
      `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: rollout-orders
  annotations:
    ripple.io/table: proj.ds.orders
spec:
  type: dataset
  owner: group:default/data-platform`,
    ];
    for (const [name, entity] of Object.entries(consumers)) {
      repos[name] = await ConsumerRepository.create(root, name, {
        [FILE]: CODE,
        'README.md': `# ${name}\n`,
      });
      docs.push(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
  annotations:
    ripple.io/delivery: git-branch
    ripple.io/git-repository: ${repos[name].bare}
spec:
  type: pipeline
  lifecycle: ${entity.lifecycle}
  owner: group:default/data-platform
  dependsOn:
    - resource:default/rollout-orders${
      entity.dependsOn ? `\n    - component:default/${entity.dependsOn}` : ''
    }`);
    }
    // A job of the warehouse the compatibility view is applied to.
    repos.warehouse = await ConsumerRepository.create(root, 'warehouse', {
      [FILE]: WAREHOUSE_CODE,
    });
    docs.push(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: warehouse-job
  annotations:
    ripple.io/delivery: git-branch
    ripple.io/git-repository: ${repos.warehouse.bare}
spec:
  type: pipeline
  lifecycle: production
  owner: group:default/data-platform`);
    // A dataset whose consumers the real agent finds by their code: `early-a`
    // and `early-b` read it from the start; `late` and `later` only after the
    // rollout started.
    docs.push(`apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: late-orders
  annotations:
    ripple.io/table: proj.ds.late_orders
spec:
  type: dataset
  owner: group:default/data-platform`);
    for (const name of ['early-a', 'early-b', 'late', 'later']) {
      repos[name] = await ConsumerRepository.create(root, name, {
        [FILE]: name.startsWith('early') ? LATE_CODE : 'SELECT 1 AS id\n',
      });
      docs.push(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
  annotations:
    backstage.io/source-location: url:file://${repos[name].clone}/
    ripple.io/delivery: git-branch
    ripple.io/git-repository: ${repos[name].bare}
spec:
  type: pipeline
  lifecycle: ${name === 'early-a' ? 'experimental' : 'production'}
  owner: group:default/data-platform`);
    }
    catalogFile = path.join(root, 'catalog.yaml');
    await fs.writeFile(catalogFile, docs.join('\n---\n'));
  });

  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const modules = () => [
    // The real notifications backend: Ripple notifies owners only when it runs.
    notificationsPlugin,
    createBackendModule({
      pluginId: 'ripple',
      moduleId: 'test-delivery',
      register(reg) {
        reg.registerInit({
          deps: { delivery: rippleDeliveryExtensionPoint },
          async init({ delivery }) {
            delivery.addDeliveryMethod(
              createGitBranchDeliveryMethod({ localRoots: [root] }),
            );
          },
        });
      },
    }),
    createBackendModule({
      pluginId: 'ripple',
      moduleId: 'test-health',
      register(reg) {
        reg.registerInit({
          deps: { health: rippleHealthExtensionPoint },
          async init({ health }) {
            health.addHealthProvider({
              id: 'test-monitor',
              async read(refs, since) {
                return monitor.filter(
                  s =>
                    refs.includes(s.consumerRef) &&
                    new Date(s.observedAt) >= since,
                );
              },
            });
          },
        });
      },
    }),
  ];

  async function start(share?: Map<string, any>, config?: Record<string, any>) {
    const backend = await startRippleTestBackend({
      databases,
      databaseId,
      share,
      rollout: { intervalSeconds: 1 },
      features: modules(),
      locations: [catalogFile],
      // Deliveries are read back on every run, so merges show at once.
      config: {
        // The notifications backend needs it; the links in notifications start with it.
        app: { baseUrl: 'http://localhost:3000' },
        ripple: {
          rollout: { syncMinutes: 0 },
          // The on-call rotation hears of every breach too.
          health: { onCall: { recipients: ['user:default/analyst'] } },
          ...config,
        },
      },
    });
    await until('the test catalog', async () => {
      const res = await request(backend.server)
        .get(`/api/catalog/entities/by-name/component/default/reports`)
        .set(as('guest'));
      return res.status === 200 && res.body.relations?.length > 1;
    });
    return backend;
  }

  it('rolls out in waves, pauses on a breach by itself, survives a restart, rolls back one consumer and all, and resumes', async () => {
    let backend = await start();
    /** A request to Ripple as the guest, its response checked against the spec. */
    const call = async (method: 'get' | 'post', url: string, body?: object) => {
      const req = request(backend.server)
        [method](`/api/ripple${url}`)
        .set(as('guest'));
      const res = await (body === undefined ? req : req.send(body));
      expectValidResponse(res);
      return res;
    };
    /** Until a whole scheduled step has run since the call. */
    const wholeStep = () =>
      waitForWholeRun(backend.server, {
        taskId: 'ripple-rollout',
        headers: as('guest'),
      });
    const engine = await loadEngine();

    // A proposed migration whose consumers have the engine's real patches
    // (the agent's part is tested elsewhere; here the store records it).
    const created = await call('post', '/migrations', {
      datasetRef: 'resource:default/rollout-orders',
      change,
      title: 'Rename amount',
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const { store } = backend;
    await store.transition({ migrationId: id, to: 'analyzing' });
    const rewrite = engine.rewrite(FILE, CODE, change as any);
    expect(rewrite.status).toBe('rewritten');
    const patches: Record<string, number> = {};
    for (const name of Object.keys(consumers)) {
      await store.putConsumer({
        migrationId: id,
        consumerRef: ref(name),
        discoveredBy: 'catalog',
      });
      patches[name] = (
        await store.recordPatch({
          migrationId: id,
          consumerRef: ref(name),
          diff: rewrite.patch!,
          baseHash: 'sha256:code',
          status: 'rewritten',
          reasons: [],
        })
      ).id;
    }
    await store.transition({ migrationId: id, to: 'proposed' });

    const approve = async (name: string) => {
      const res = await call(
        'post',
        `/migrations/${id}/consumers/${encodeURIComponent(ref(name))}/review`,
        { decision: 'approve', patchId: patches[name] },
      );
      expect(res.status).toBe(201);
    };
    // Every consumer but reports is approved; reports waits.
    for (const name of ['sandbox', 'adhoc', 'staging', 'billing']) {
      await approve(name);
    }

    const rollout = async (): Promise<Rollout> =>
      (await call('get', `/migrations/${id}/rollout`)).body;
    const consumerList = async (): Promise<Record<string, Consumer>> => {
      const res = await call('get', `/migrations/${id}/consumers`);
      expect(res.status).toBe(200);
      return Object.fromEntries(
        res.body.items.map((c: Consumer) => [
          c.consumerRef.replace('component:default/', ''),
          c,
        ]),
      );
    };
    const events = async (): Promise<MigrationEvent[]> =>
      (await call('get', `/migrations/${id}/events?limit=500`)).body.items;
    const status = async (name: string) =>
      (await consumerList())[name]?.delivery?.status;
    const branch = `ripple/${id.split('-')[0]}`;

    // Before the start: the default plan it would follow (canary, 10%
    // dropped for five consumers, 50%, 100%), dependencies first, then the
    // least critical first.
    const planned = await rollout();
    expect(planned.state).toBe('not_started');
    expect(planned.waves.map(w => [w.name, w.consumers])).toEqual([
      ['canary', [ref('sandbox')]],
      ['50%', [ref('adhoc'), ref('billing')]],
      ['100%', [ref('staging'), ref('reports')]],
    ]);

    const plan = {
      waves: [
        { name: 'canary', count: 1 },
        { name: 'half', percent: 60 },
        { name: 'all', percent: 100 },
      ],
      soakMinutes: 0,
      health: { maxErrorRate: 0.05 },
    };
    const started = await call('post', `/migrations/${id}/rollout/start`, {
      plan,
    });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({
      state: 'rolling_out',
      currentWave: 0,
      plan: { soakMinutes: 0, autoAdvance: true, autoApprove: false },
      waves: [
        { index: 0, name: 'canary', state: 'active' },
        { index: 1, name: 'half', state: 'pending' },
        { index: 2, name: 'all', state: 'pending' },
      ],
    });
    // Starting again changes nothing.
    const again = await call('post', `/migrations/${id}/rollout/start`, {});
    expect(again.status).toBe(200);
    expect(again.body.waves).toEqual(started.body.waves);

    // The canary is delivered as a branch with the patched code.
    await until(
      'the canary delivered',
      async () => (await status('sandbox')) === 'delivered',
    );
    const canary = (await consumerList()).sandbox;
    expect(canary).toMatchObject({
      wave: 0,
      health: 'unknown',
      delivery: {
        method: 'git-branch',
        status: 'delivered',
        branch: `${branch}/sandbox`,
      },
    });
    expect(await repos.sandbox.show(`${branch}/sandbox`, FILE)).toBe(
      rewrite.content,
    );
    expect(await status('adhoc')).toBeUndefined();

    // Delivered, the canary does not advance: it runs the patch only once
    // merged, and its wave soaks from then.
    await wholeStep();
    expect((await rollout()).currentWave).toBe(0);
    expect((await rollout()).gateReason).toMatch(
      new RegExp(
        `^waiting for merges: ${ref('sandbox')} \\(delivered \\d+ min ago\\)$`,
      ),
    );
    expect((await consumerList()).sandbox.waitingForMerge).toMatchObject({
      overdue: false,
    });
    // Each step read the branch back (syncMinutes: 0) and found nothing new,
    // so nothing was written: the delivery is as it was when delivered.
    expect((await consumerList()).sandbox.delivery).toEqual(canary.delivery);
    await repos.sandbox.merge(`${branch}/sandbox`);
    await until(
      'sandbox merged',
      async () => (await status('sandbox')) === 'merged',
    );
    // Merged, without a signal the canary does not advance
    // (requireSignals); a healthy one through the API lets it.
    await wholeStep();
    expect((await rollout()).currentWave).toBe(0);
    const signal = await call(
      'post',
      `/migrations/${id}/consumers/${encodeURIComponent(
        ref('sandbox'),
      )}/health`,
      { signals: { errorRate: 0.01, rowCount: 1000 } },
    );
    expect(signal.status).toBe(200);
    expect(signal.body).toEqual({
      consumerRef: ref('sandbox'),
      health: 'healthy',
      breaches: [],
      paused: false,
      judged: true,
    });
    // The second wave (60% of the five, with the canary) is delivered.
    await until('the second wave delivered', async () => {
      const list = await consumerList();
      return ['adhoc', 'billing'].every(
        n => list[n].delivery?.status === 'delivered',
      );
    });
    expect((await rollout()).waves.map(w => w.state)).toEqual([
      'completed',
      'active',
      'pending',
    ]);
    expect(await status('staging')).toBeUndefined();

    // A breach reported by the monitor pauses the rollout by itself.
    monitor.push({
      consumerRef: ref('billing'),
      errorRate: 0.4,
      observedAt: new Date().toISOString(),
    });
    await until(
      'the automatic pause',
      async () => (await rollout()).state === 'paused',
    );
    const paused = await rollout();
    expect(paused.pausedReason).toBe(
      `${ref('billing')} is unhealthy: errorRate 0.4 is above 0.05`,
    );
    expect((await consumerList()).billing).toMatchObject({
      health: 'unhealthy',
      healthReason: 'errorRate 0.4 is above 0.05',
    });
    expect(await events()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'health-breach',
          consumerRef: ref('billing'),
          message: `Health gate breached by ${ref(
            'billing',
          )} (test-monitor): errorRate 0.4 is above 0.05`,
        }),
        expect.objectContaining({
          type: 'state-changed',
          message: `Rollout paused: ${ref(
            'billing',
          )} is unhealthy: errorRate 0.4 is above 0.05`,
          data: expect.objectContaining({ from: 'rolling_out', to: 'paused' }),
        }),
      ]),
    );
    expect(
      (await call('get', `/migrations/${id}`)).body.progress,
    ).toMatchObject({ delivered: 3, unhealthy: 1 });

    // The owners of billing are notified through the notifications backend:
    // guest is in data-platform, which owns billing; analyst owns nothing of
    // this fleet and hears nothing.
    const inbox = async (
      user: 'guest' | 'analyst',
      topic: string = 'ripple-rollout',
    ) => {
      const res = await request(backend.server)
        .get('/api/notifications/notifications')
        .query({ topic })
        .set(as(user));
      expect(res.status).toBe(200);
      return res.body.notifications as Notification[];
    };
    const [notification] = await until('the owners notified', async () => {
      const received = await inbox('guest');
      return received.length > 0 && received;
    });
    expect(notification.payload).toMatchObject({
      title: `Ripple: ${ref('billing')} is unhealthy after "Rename amount"`,
      description: 'errorRate 0.4 is above 0.05. The rollout is paused.',
      link: `http://localhost:3000/ripple/migrations/${id}`,
      severity: 'high',
      topic: 'ripple-rollout',
      scope: `ripple:${id}:${ref('billing')}:health`,
    });
    expect(await inbox('guest')).toHaveLength(1);
    expect(await inbox('analyst')).toEqual([]);
    // The on-call rotation is alerted on its own topic, as critical.
    const [alert] = await until('the on-call alert', async () => {
      const received = await inbox('analyst', 'ripple-on-call');
      return received.length > 0 && received;
    });
    expect(alert.payload).toMatchObject({
      title: notification.payload.title,
      description: notification.payload.description,
      severity: 'critical',
      topic: 'ripple-on-call',
      scope: `ripple:${id}:${ref('billing')}:health:on-call`,
    });
    expect(await inbox('guest', 'ripple-on-call')).toEqual([]);

    // A restart in the middle: a new backend on the same database finds
    // everything where it was.
    const before = {
      rollout: await rollout(),
      consumers: await consumerList(),
    };
    await backend.stop();
    backend = await start(backend.pluginDatabases);
    expect(await rollout()).toEqual(before.rollout);
    expect(await consumerList()).toEqual(before.consumers);

    // The owners of adhoc merge their branch; the backend sees it.
    await repos.adhoc.merge(`${branch}/adhoc`);
    await until(
      'adhoc merged',
      async () => (await status('adhoc')) === 'merged',
    );

    // Rolling back the unhealthy consumer alone: its branch is withdrawn.
    const one = await call('post', `/migrations/${id}/rollout/rollback`, {
      consumerRef: ref('billing'),
      reason: 'error rate',
    });
    expect(one.status).toBe(200);
    expect(one.body.state).toBe('paused');
    expect(await status('billing')).toBe('reverted');
    expect(await repos.billing.branches()).toEqual(['main']);
    // Idempotent.
    const oneAgain = await call('post', `/migrations/${id}/rollout/rollback`, {
      consumerRef: ref('billing'),
    });
    expect(oneAgain.status).toBe(200);
    expect(await status('billing')).toBe('reverted');

    // Resumed, with healthy signals the rollout goes on to the last wave,
    // where staging is delivered and reports waits for its approval.
    const resumed = await call('post', `/migrations/${id}/rollout/resume`, {});
    expect(resumed.body.state).toBe('rolling_out');
    monitor.push({
      consumerRef: ref('adhoc'),
      errorRate: 0,
      observedAt: new Date().toISOString(),
    });
    await until(
      'the last wave',
      async () => (await rollout()).currentWave === 2,
    );
    await until(
      'staging delivered',
      async () => (await status('staging')) === 'delivered',
    );
    await wholeStep();
    expect(await status('reports')).toBe('pending');
    await approve('reports');
    // Upstream first (docs/rollout.md, "Timing"): reports reads staging's
    // output, so it waits for staging to be merged and healthy.
    await wholeStep();
    expect(await status('reports')).toBe('pending');
    expect((await rollout()).waiting).toEqual([
      {
        consumerRef: ref('reports'),
        reason: `waiting for ${ref(
          'staging',
        )} upstream to be merged and healthy`,
      },
    ]);
    await repos.staging.merge(`${branch}/staging`);
    await until(
      'staging merged',
      async () => (await status('staging')) === 'merged',
    );
    monitor.push({
      consumerRef: ref('staging'),
      errorRate: 0,
      observedAt: new Date().toISOString(),
    });
    await until(
      'reports delivered',
      async () => (await status('reports')) === 'delivered',
    );

    // Rolling everything back: branches withdrawn, adhoc's and sandbox's merges reverted
    // by a commit, the migration resumable.
    const all = await call('post', `/migrations/${id}/rollout/rollback`, {
      reason: 'test',
    });
    expect(all.status).toBe(200);
    expect(all.body.state).toBe('rolled_back');
    const list = await consumerList();
    for (const name of Object.keys(consumers)) {
      expect([name, list[name].delivery?.status]).toEqual([name, 'reverted']);
    }
    for (const name of ['adhoc', 'sandbox', 'staging']) {
      expect((await repos[name].log())[0]).toBe(
        'Revert "Rename amount (Ripple)"',
      );
      expect(await repos[name].show('main', FILE)).toBe(CODE);
    }
    expect(await repos.reports.branches()).toEqual(['main']);
    expect((await call('get', `/migrations/${id}`)).body.progress).toEqual({
      total: 5,
      approved: 5,
      rejected: 0,
      awaitingDecision: 0,
      needsReview: 0, // awaitingDecision's old name, until 0.3
      delivered: 0,
      merged: 0,
      failed: 0,
      // billing stays red, with why, until it is delivered again.
      unhealthy: 1,
    });
    // Resuming a rolled-back rollout starts from the canary again.
    const restarted = await call(
      'post',
      `/migrations/${id}/rollout/resume`,
      {},
    );
    expect(restarted.body).toMatchObject({
      state: 'rolling_out',
      currentWave: 0,
    });
    await until(
      'the canary delivered again',
      async () => (await status('sandbox')) === 'delivered',
    );

    // Every action was audited.
    expect(
      backend.auditEvents
        .filter(e => e.eventId.startsWith('rollout-'))
        .map(e => [e.eventId, e.outcome]),
    ).toEqual([
      ['rollout-rollback', 'success'],
      ['rollout-rollback', 'success'],
      ['rollout-resume', 'success'],
      ['rollout-rollback', 'success'],
      ['rollout-resume', 'success'],
    ]);
    await backend.stop();
  });

  /** A proposed migration with the engine's patches for the named consumers. */
  async function proposed(
    backend: Awaited<ReturnType<typeof start>>,
    spec: object,
    files: Record<string, string>,
  ) {
    const engine = await loadEngine();
    const created = await request(backend.server)
      .post('/api/ripple/migrations')
      .set(as('guest'))
      .send({
        datasetRef: 'resource:default/rollout-orders',
        change: spec,
        title: 'Move orders',
      });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await backend.store.transition({ migrationId: id, to: 'analyzing' });
    const patches: Record<string, number> = {};
    for (const [consumerRef, code] of Object.entries(files)) {
      await backend.store.putConsumer({
        migrationId: id,
        consumerRef,
        discoveredBy: 'catalog',
      });
      const rewrite = engine.rewrite(FILE, code, spec as any);
      expect(rewrite.status).toBe('rewritten');
      patches[consumerRef] = (
        await backend.store.recordPatch({
          migrationId: id,
          consumerRef,
          diff: rewrite.patch!,
          baseHash: 'sha256:code',
          status: 'rewritten',
          reasons: [],
        })
      ).id;
    }
    await backend.store.transition({ migrationId: id, to: 'proposed' });
    return { id, patches };
  }

  it('records an auto-approval as a review by the policy that allowed it, audited and counted as approved', async () => {
    const backend = await start();
    const call = async (method: 'get' | 'post', url: string, body?: object) => {
      const req = request(backend.server)
        [method](`/api/ripple${url}`)
        .set(as('guest'));
      const res = await (body === undefined ? req : req.send(body));
      expectValidResponse(res);
      return res;
    };
    const { id, patches } = await proposed(backend, change, {
      [ref('sandbox')]: CODE,
      [ref('adhoc')]: CODE,
      [ref('billing')]: CODE,
    });
    // A person's decision is never overridden by the policy.
    const rejected = await call(
      'post',
      `/migrations/${id}/consumers/${encodeURIComponent(
        ref('billing'),
      )}/review`,
      { decision: 'reject', patchId: patches[ref('billing')] },
    );
    expect(rejected.status).toBe(201);
    const started = await call('post', `/migrations/${id}/rollout/start`, {
      plan: {
        waves: [{ name: 'all', percent: 100 }],
        soakMinutes: 0,
        autoApprove: true,
      },
    });
    expect(started.status).toBe(200);

    // Approved at the start, before any delivery: progress counts them.
    const migration = (await call('get', `/migrations/${id}`)).body;
    expect(migration.progress).toMatchObject({
      total: 3,
      approved: 2,
      rejected: 1,
      awaitingDecision: 0,
      needsReview: 0, // awaitingDecision's old name, until 0.3
    });
    const reviews = async (name: string) =>
      (
        await call(
          'get',
          `/migrations/${id}/consumers/${encodeURIComponent(ref(name))}/patch`,
        )
      ).body.reviews;
    expect(await reviews('sandbox')).toEqual([
      expect.objectContaining({
        decision: 'approve',
        patchId: patches[ref('sandbox')],
        reviewer: 'policy:ripple/auto-approval-plan',
        comment:
          'the rollout plan user:default/guest started sets autoApprove, and the dataset is not critical',
      }),
    ]);
    expect(await reviews('billing')).toEqual([
      expect.objectContaining({
        decision: 'reject',
        reviewer: 'user:default/guest',
      }),
    ]);
    // The catalog module reads the same decisions (ripple.io/review-decision.<id>).
    const summary = await backend.store.catalogSummary();
    const decisionOf = (name: string) =>
      summary
        .find(e => e.entityRef === ref(name))
        ?.migrations.find(m => m.id === id)?.review;
    expect(decisionOf('sandbox')).toBe('approve');
    expect(decisionOf('adhoc')).toBe('approve');
    expect(decisionOf('billing')).toBe('reject');
    // Audited as a person's review is, one event per patch.
    const audits = backend.auditEvents.filter(
      e =>
        e.eventId === 'patch-review' &&
        e.meta?.reviewer === 'policy:ripple/auto-approval-plan',
    );
    expect(audits.map(a => [a.meta?.consumerRef, a.outcome]).sort()).toEqual([
      [ref('adhoc'), 'success'],
      [ref('sandbox'), 'success'],
    ]);
    const events: MigrationEvent[] = (
      await call('get', `/migrations/${id}/events?limit=500`)
    ).body.items;
    expect(
      events
        .filter(
          e =>
            e.type === 'review-recorded' &&
            e.actor === 'policy:ripple/auto-approval-plan',
        )
        .map(e => e.consumerRef)
        .sort(),
    ).toEqual([ref('adhoc'), ref('sandbox')]);

    // Both are delivered; the rejected one never is.
    await until('the approved delivered', async () => {
      const res = await call('get', `/migrations/${id}/consumers`);
      const status = Object.fromEntries(
        res.body.items.map((c: Consumer) => [
          c.consumerRef,
          c.delivery?.status,
        ]),
      );
      return (
        status[ref('sandbox')] === 'delivered' &&
        status[ref('adhoc')] === 'delivered' &&
        status
      );
    });

    // A new version of a patch during the rollout is approved again by the
    // scheduled step (its own review, the older one kept as history).
    const engine = await loadEngine();
    const newer = await backend.store.recordPatch({
      migrationId: id,
      consumerRef: ref('sandbox'),
      diff: engine.rewrite(FILE, `${CODE}-- v2\n`, change as any).patch!,
      baseHash: 'sha256:code-v2',
      status: 'rewritten',
      reasons: [],
    });
    const again = await until('the new version auto-approved', async () => {
      const all = await reviews('sandbox');
      return all.length === 2 && all;
    });
    expect(again[0]).toMatchObject({
      patchId: newer.id,
      decision: 'approve',
      reviewer: 'policy:ripple/auto-approval-plan',
    });
    await backend.stop();
  });

  it('takes in a consumer the agent finds after the start, once its patch is approved: the next wave not started, else a new last wave', async () => {
    // The real agent: it analyses the migration, and its refresh (every 3 s
    // here) looks for new consumers of the rolling-out migration.
    const backend = await startRippleTestBackend({
      databases,
      databaseId,
      rollout: { intervalSeconds: 1 },
      features: modules(),
      locations: [catalogFile],
      readable: [root],
      config: {
        app: { baseUrl: 'http://localhost:3000' },
        ripple: {
          agent: { intervalSeconds: 1, refreshMinutes: 0.05 },
          rollout: { syncMinutes: 0 },
        },
      },
    });
    const call = async (method: 'get' | 'post', url: string, body?: object) => {
      const req = request(backend.server)
        [method](`/api/ripple${url}`)
        .set(as('guest'));
      const res = await (body === undefined ? req : req.send(body));
      expectValidResponse(res);
      return res;
    };
    await until('the test catalog', async () => {
      const res = await request(backend.server)
        .get('/api/catalog/entities/by-name/component/default/later')
        .set(as('guest'));
      return res.status === 200;
    });
    const lateChange = { ...change, dataset: 'proj.ds.late_orders' };
    const created = await call('post', '/migrations', {
      datasetRef: 'resource:default/late-orders',
      change: lateChange,
      title: 'Rename amount of late orders',
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await call('post', `/migrations/${id}/analyze`, {});
    await until('the analysis', async () => {
      const res = await call('get', `/migrations/${id}`);
      return res.body.state === 'proposed';
    });
    const consumersNow = async (): Promise<Record<string, Consumer>> =>
      Object.fromEntries(
        (await call('get', `/migrations/${id}/consumers`)).body.items.map(
          (c: Consumer) => [c.consumerRef.replace('component:default/', ''), c],
        ),
      );
    expect(Object.keys(await consumersNow()).sort()).toEqual([
      'early-a',
      'early-b',
    ]);
    const approve = async (name: string) => {
      const consumer = (await consumersNow())[name];
      const res = await call(
        'post',
        `/migrations/${id}/consumers/${encodeURIComponent(ref(name))}/review`,
        { decision: 'approve', patchId: consumer.patch!.id },
      );
      expect(res.status).toBe(201);
    };
    await approve('early-a');
    await approve('early-b');
    const started = await call('post', `/migrations/${id}/rollout/start`, {
      plan: {
        waves: [
          { name: 'canary', count: 1 },
          { name: 'rest', percent: 100 },
        ],
        soakMinutes: 0,
      },
    });
    expect(started.status).toBe(200);
    const rollout = async (): Promise<Rollout> =>
      (await call('get', `/migrations/${id}/rollout`)).body;
    expect((await rollout()).waves.map(w => [w.name, w.consumers])).toEqual([
      ['canary', [ref('early-a')]],
      ['rest', [ref('early-b')]],
    ]);

    // `late` starts reading the dataset (committed to its repository, where
    // the agent reads it) while the canary soaks.
    const readDataset = async (name: string) => {
      const { clone } = repos[name];
      await fs.writeFile(path.join(clone, FILE), LATE_CODE);
      await git(clone, 'commit', '--quiet', '-am', 'Read late orders');
      await git(clone, 'push', '--quiet', 'origin', 'main');
    };
    await readDataset('late');
    const found = await until('late found by the agent', async () => {
      const consumer = (await consumersNow()).late;
      return consumer?.patch && consumer;
    });
    expect(found).toMatchObject({
      discoveredBy: 'code',
      patch: { status: 'rewritten' },
    });
    expect(found.decision).toBeUndefined();
    // Not approved: it does not join (the normal review path).
    await waitForWholeRun(backend.server, {
      taskId: 'ripple-rollout',
      headers: as('guest'),
    });
    expect((await rollout()).waves[1].consumers).toEqual([ref('early-b')]);
    await approve('late');
    // Approved: it joins the next wave not started.
    await until('late joined the rest wave', async () =>
      (await rollout()).waves[1].consumers.includes(ref('late')),
    );
    expect((await rollout()).waves.map(w => [w.name, w.consumers])).toEqual([
      ['canary', [ref('early-a')]],
      ['rest', [ref('early-b'), ref('late')]],
    ]);
    expect((await consumersNow()).late).toMatchObject({ wave: 1 });

    // Its owners merged the canary, and say so: it runs the patch.
    await until(
      'the canary delivered',
      async () =>
        (await consumersNow())['early-a'].delivery?.status === 'delivered',
    );
    const merged = await call(
      'post',
      `/migrations/${id}/consumers/${encodeURIComponent(
        ref('early-a'),
      )}/merged`,
      {},
    );
    expect(merged.status).toBe(200);
    // The canary soaks healthy: the rest wave, the newcomer with it, is delivered.
    await call(
      'post',
      `/migrations/${id}/consumers/${encodeURIComponent(
        ref('early-a'),
      )}/health`,
      { signals: { errorRate: 0 } },
    );
    await until('the rest wave delivered', async () => {
      const now = await consumersNow();
      return (
        now['early-b'].delivery?.status === 'delivered' &&
        now.late.delivery?.status === 'delivered'
      );
    });
    expect(await repos.late.show(`ripple/${id.split('-')[0]}/late`, FILE)).toBe(
      LATE_CODE.replace('o.amount', 'o.amount_usd AS amount'),
    );

    // Every wave has started: `later`, found now, joins a new last wave.
    await readDataset('later');
    await until(
      'later found by the agent',
      async () => (await consumersNow()).later?.patch,
    );
    await approve('later');
    await until(
      'later joined a new wave',
      async () => (await rollout()).waves.length === 3,
    );
    const waves = (await rollout()).waves;
    expect(waves[2]).toMatchObject({
      index: 2,
      name: 'late',
      consumers: [ref('later')],
      state: 'pending',
    });
    // The rest wave, merged, soaks healthy: the new last wave starts and
    // delivers.
    for (const name of ['early-b', 'late']) {
      const res = await call(
        'post',
        `/migrations/${id}/consumers/${encodeURIComponent(ref(name))}/merged`,
        {},
      );
      expect(res.status).toBe(200);
      await call(
        'post',
        `/migrations/${id}/consumers/${encodeURIComponent(ref(name))}/health`,
        { signals: { errorRate: 0 } },
      );
    }
    await until(
      'later delivered',
      async () => (await consumersNow()).later.delivery?.status === 'delivered',
    );

    // On the timeline, once each.
    const events: MigrationEvent[] = (
      await call('get', `/migrations/${id}/events?limit=500`)
    ).body.items;
    const joined = events.filter(e => e.type === 'consumer-joined');
    expect(joined.map(e => [e.consumerRef, e.data])).toEqual([
      [
        ref('late'),
        expect.objectContaining({ wave: 1, waveName: 'rest', newWave: false }),
      ],
      [
        ref('later'),
        expect.objectContaining({ wave: 2, waveName: 'late', newWave: true }),
      ],
    ]);
    expect(
      events
        .filter(e => e.type === 'consumer-added')
        .map(e => e.consumerRef)
        .sort(),
    ).toEqual([ref('early-a'), ref('early-b'), ref('late'), ref('later')]);
    await backend.stop();
  });

  it('answers every bad request with a 4xx that says what is wrong, and checks permissions', async () => {
    const backend = await start();
    const call = async (
      method: 'get' | 'post',
      url: string,
      body?: object,
      user: 'guest' | 'mallory' = 'guest',
    ) => {
      const req = request(backend.server)
        [method](`/api/ripple${url}`)
        .set(as(user));
      const res = await (body === undefined ? req : req.send(body));
      expectValidResponse(res);
      return {
        status: res.status,
        message: res.body?.error?.message ?? res.text,
      };
    };
    const { id, patches } = await proposed(backend, change, {
      [ref('sandbox')]: CODE,
    });
    const sandbox = encodeURIComponent(ref('sandbox'));

    expect(
      await call('post', `/migrations/${id}/rollout/start`, {
        plan: {
          waves: [
            { name: 'a', percent: 50 },
            { name: 'b', percent: 20 },
          ],
        },
      }),
    ).toEqual({
      status: 400,
      message:
        "plan.waves/1/percent: 20 must be above the previous wave's 50 and at most 100 (percentages are cumulative)",
    });
    expect(
      await call('post', `/migrations/${id}/rollout/start`, {
        plan: { soakMinutes: -1 },
      }),
    ).toMatchObject({
      status: 400,
      message: expect.stringContaining('soakMinutes must be >= 0'),
    });
    expect(
      await call('post', `/migrations/${id}/rollout/start`, {
        plan: { speed: 2 },
      }),
    ).toMatchObject({
      status: 400,
      // Named at any depth of the body.
      message: expect.stringContaining(
        'request/body/plan/speed: unknown field',
      ),
    });
    expect(
      await call('post', `/migrations/${id}/rollout/start`, { waves: [] }),
    ).toMatchObject({
      status: 400,
      message:
        'request/body/waves: unknown field (expected plan, overrideCompatView, confirmConsumers)',
    });
    expect(await call('post', `/migrations/${id}/rollout/advance`, {})).toEqual(
      {
        status: 409,
        message: `The rollout of migration ${id} has not started (it is proposed)`,
      },
    );
    expect(await call('get', `/migrations/nope/rollout`)).toEqual({
      status: 404,
      message: 'No migration nope',
    });
    expect(
      await call('post', `/migrations/${id}/consumers/${sandbox}/health`, {
        signals: {},
      }),
    ).toMatchObject({
      status: 400,
      message: expect.stringContaining(
        'request/body/signals must NOT have fewer than 1 properties',
      ),
    });
    expect(
      await call('post', `/migrations/${id}/consumers/${sandbox}/health`, {
        signals: { errorRate: 2 },
      }),
    ).toMatchObject({
      status: 400,
      message: expect.stringContaining('errorRate must be <= 1'),
    });
    expect(
      await call('post', `/migrations/${id}/consumers/${sandbox}/health`, {
        signals: { errorRate: 0.1 },
        observedAt: 'yesterday',
      }),
    ).toEqual({
      status: 400,
      message: 'observedAt: "yesterday" is not an ISO 8601 time',
    });
    expect(
      await call(
        'post',
        `/migrations/${id}/consumers/${encodeURIComponent(
          ref('nobody'),
        )}/health`,
        { signals: { errorRate: 0 } },
      ),
    ).toEqual({
      status: 404,
      message: `${ref('nobody')} is not a consumer in migration ${id}`,
    });
    expect(
      await call('post', `/migrations/${id}/consumers/not%20a%20ref/health`, {
        signals: { errorRate: 0 },
      }),
    ).toMatchObject({
      status: 400,
      message: expect.stringContaining(
        'consumerRef: "not a ref" is not an entity ref',
      ),
    });
    // The change keeps the table in place: no view, and no view to mark.
    const noView = await call(
      'post',
      `/migrations/${id}/compat-view/applied`,
      {},
    );
    expect(noView.status).toBe(409);
    expect(noView.message).toMatch(
      new RegExp(`^Migration ${id} has no compatibility view: `),
    );

    // A change with a compatibility view starts only once it is applied.
    const moved = await proposed(backend, moveChange, {
      [ref('warehouse-job')]: WAREHOUSE_CODE,
    });
    expect(
      await call('post', `/migrations/${moved.id}/rollout/start`, {}),
    ).toEqual({
      status: 409,
      message: `Apply the compatibility view of migration ${moved.id} first (GET /migrations/${moved.id}/compat-view gives its DDL), then mark it applied (POST /migrations/${moved.id}/compat-view/applied): consumers not yet patched read the dataset through it`,
    });
    expect(
      (await call('post', `/migrations/${moved.id}/compat-view/applied`, {}))
        .status,
    ).toBe(200);
    expect(
      (await call('post', `/migrations/${moved.id}/rollout/start`, {})).status,
    ).toBe(200);

    // Mallory may not manage rollouts; the denial is audited, nothing moves.
    expect(
      await call('post', `/migrations/${id}/rollout/start`, {}, 'mallory'),
    ).toEqual({
      status: 403,
      message:
        'You are not allowed to start the rollouts of resource:default/rollout-orders (ripple.rollout.manage)',
    });
    expect(
      backend.auditEvents.find(e => e.eventId === 'rollout-start'),
    ).toMatchObject({ outcome: 'failure' });
    expect((await call('get', `/migrations/${id}/rollout`)).status).toBe(200);

    // The patch as a download, for git apply.
    const download = await request(backend.server)
      .get(`/api/ripple/migrations/${id}/consumers/${sandbox}/patch/download`)
      .set(as('guest'));
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toMatch(/^text\/x-diff/);
    expect(download.text).toContain('+SELECT o.id, o.amount_usd');

    // Rolling back a consumer not in the rollout, or pausing a rollout that is not rolling out.
    await call('post', `/migrations/${id}/consumers/${sandbox}/review`, {
      decision: 'approve',
      patchId: patches[ref('sandbox')],
    });
    expect(
      (
        await call('post', `/migrations/${id}/rollout/start`, {
          plan: { soakMinutes: 60 },
        })
      ).status,
    ).toBe(200);
    expect(
      await call('post', `/migrations/${id}/rollout/rollback`, {
        consumerRef: ref('billing'),
      }),
    ).toEqual({
      status: 404,
      message: `${ref(
        'billing',
      )} is not in the rollout of migration ${id} (it has no patch to deliver)`,
    });
    expect(
      await call('post', `/migrations/${id}/rollout/advance`, { wave: 7 }),
    ).toEqual({
      status: 400,
      message: 'wave: the rollout has waves 0 to 0',
    });
    expect(
      (await call('post', `/migrations/${id}/rollout/rollback`, {})).status,
    ).toBe(200);
    expect(await call('post', `/migrations/${id}/rollout/pause`, {})).toEqual({
      status: 409,
      message: `Migration ${id} is rolled_back; it can become paused only from rolling_out`,
    });
    await backend.stop();
  });

  // The warehouse the view is applied to is a PostgreSQL database, whatever
  // Ripple's own database is.
  const onPostgres = databaseId === 'POSTGRES_15' ? it : it.skip;
  /** The compatibility view's lifecycle on a real warehouse. */
  async function compatViewLifecycle() {
    // The warehouse: a fresh PostgreSQL database where the table moved.
    const warehouse = await databases.init('POSTGRES_15');
    await warehouse.schema.createTable('orders_v2', t => {
      t.integer('id');
      t.decimal('amount');
    });
    await warehouse('orders_v2').insert([{ id: 1, amount: 10 }]);
    const {
      rows: [{ name }],
    } = await warehouse.raw('select current_database() as name');
    const connection = `${process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING}/${name}`;
    const backend = await start(undefined, { compatView: { connection } });
    const call = (method: 'get' | 'post', url: string, body?: object) => {
      const req = request(backend.server)
        [method](`/api/ripple${url}`)
        .set(as('guest'));
      return body === undefined ? req : req.send(body);
    };
    const consumerRef = ref('warehouse-job');
    const { id, patches } = await proposed(backend, moveChange, {
      [consumerRef]: WAREHOUSE_CODE,
    });

    const pending = await call('get', `/migrations/${id}/compat-view`);
    expectValidResponse(pending);
    expect(pending.body).toEqual({
      state: 'pending',
      ddl: expect.stringContaining('CREATE OR REPLACE VIEW orders AS'),
      cleanupOffered: false,
      required: true,
    });

    await call(
      'post',
      `/migrations/${id}/consumers/${encodeURIComponent(consumerRef)}/review`,
      { decision: 'approve', patchId: patches[consumerRef] },
    );
    const started = await call('post', `/migrations/${id}/rollout/start`, {
      plan: { soakMinutes: 0 },
    });
    expect(started.status).toBe(200);
    // Old readers of `orders` read the new table through the view.
    expect(await warehouse('orders').select('id')).toEqual([{ id: 1 }]);
    const applied = await call('get', `/migrations/${id}/compat-view`);
    expectValidResponse(applied);
    expect(applied.body).toEqual({
      state: 'applied',
      ddl: pending.body.ddl,
      appliedBy: 'user:default/guest',
      appliedAt: expect.any(String),
      cleanupOffered: false,
      required: true,
      reason: 'kept: 1 consumer(s) not merged yet',
    });

    // The owners merge; a healthy signal; the cleanup is offered.
    await until('delivered', async () => {
      const list = await call('get', `/migrations/${id}/consumers`);
      return list.body.items[0].delivery?.status === 'delivered';
    });
    await repos.warehouse.merge(`ripple/${id.split('-')[0]}/warehouse-job`);
    // Seen merged, it runs the patch: the signal counts from then.
    await until('merged', async () => {
      const list = await call('get', `/migrations/${id}/consumers`);
      return list.body.items[0].delivery?.status === 'merged';
    });
    await call(
      'post',
      `/migrations/${id}/consumers/${encodeURIComponent(consumerRef)}/health`,
      { signals: { errorRate: 0 } },
    );
    const offered = await until('the cleanup offered', async () => {
      const res = await call('get', `/migrations/${id}/compat-view`);
      return res.body.cleanupOffered && res;
    });
    expectValidResponse(offered);
    expect(offered.body.cleanupDdl).toBe('DROP VIEW IF EXISTS orders;');
    await warehouse.raw(offered.body.cleanupDdl);
    expect(await warehouse.schema.hasTable('orders')).toBe(false);
    await until('completed', async () => {
      const res = await call('get', `/migrations/${id}`);
      return res.body.state === 'completed';
    });
    await backend.stop();
  }
  onPostgres(
    'applies the compatibility view through the configured connection, keeps it until every consumer is merged, then offers its cleanup',
    compatViewLifecycle,
  );
});
