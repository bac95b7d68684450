import {
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  Consumer,
  MigrationEvent,
  Rollout,
} from '@ripple/backstage-plugin-ripple-common';
import {
  createGitBranchDeliveryMethod,
  rippleDeliveryExtensionPoint,
} from '@ripple/backstage-plugin-ripple-node';
import { loadEngine } from '@ripple/engine';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { ConsumerRepository } from '../__testUtils__/gitRepositories';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import { waitForWholeRun } from '../__testUtils__/scheduledRuns';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';
import { rolloutClockServiceRef } from '../rollout/timing/clock';

jest.setTimeout(240_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const change = {
  dataset: 'proj.ds.timing_orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const FILE = 'models/revenue.sql';
const CODE = 'SELECT o.id, o.amount\nFROM proj.ds.timing_orders AS o\n';
const ref = (name: string) => `component:default/${name}`;

/**
 * The consumers of the tests: `plain` and `scheduled` (its pipeline runs
 * at 03:30 UTC) for the windows; `up` and `down` (it reads up's output,
 * `dependsOn`) and `cyc-a` and `cyc-b` (they read each other) for
 * upstream first.
 */
const fleet: Record<string, { annotations?: string; dependsOn?: string }> = {
  plain: {},
  scheduled: { annotations: "ripple.io/schedule: '30 3 * * *'" },
  up: {},
  down: { dependsOn: 'up' },
  'cyc-a': { dependsOn: 'cyc-b' },
  'cyc-b': { dependsOn: 'cyc-a' },
};

/** The clock the rollout judges windows by, moved by the tests. */
const clock = { at: new Date('2029-12-30T12:00:00Z') };

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 200));
  }
}

describe.each(databases.eachSupportedId())(
  'rollout timing on %s',
  databaseId => {
    let root: string;
    let catalogFile: string;
    const repos: Record<string, ConsumerRepository> = {};

    beforeAll(async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-timing-'));
      const docs = [
        `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: timing-orders
  annotations:
    ripple.io/table: proj.ds.timing_orders
spec:
  type: dataset
  owner: group:default/data-platform`,
      ];
      for (const [name, entity] of Object.entries(fleet)) {
        repos[name] = await ConsumerRepository.create(root, name, {
          [FILE]: CODE,
        });
        docs.push(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
  annotations:
    backstage.io/source-location: url:file://${repos[name].clone}/
    ripple.io/delivery: git-branch
    ripple.io/git-repository: ${repos[name].bare}${
          entity.annotations ? `\n    ${entity.annotations}` : ''
        }
spec:
  type: pipeline
  lifecycle: production
  owner: group:default/data-platform
  dependsOn:
    - resource:default/timing-orders${
      entity.dependsOn ? `\n    - component:default/${entity.dependsOn}` : ''
    }`);
      }
      catalogFile = path.join(root, 'catalog.yaml');
      await fs.writeFile(catalogFile, docs.join('\n---\n'));
    });

    afterAll(async () => {
      await fs.rm(root, { recursive: true, force: true });
    });

    async function start(
      config: Record<string, unknown> = {},
      agent?: { intervalSeconds: number; refreshMinutes: number },
    ) {
      const backend = await startRippleTestBackend({
        databases,
        databaseId,
        rollout: { intervalSeconds: 1 },
        ...(agent ? { agent } : {}),
        locations: [catalogFile],
        readable: [root],
        features: [
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
          createServiceFactory({
            service: rolloutClockServiceRef,
            deps: {},
            factory: () => ({ now: () => clock.at }),
          }),
        ],
        config: {
          ripple: {
            ...(agent ? { agent } : {}),
            rollout: {
              syncMinutes: 0,
              scheduleMarginMinutes: 45,
              freezes: [
                {
                  from: '2030-01-01',
                  to: '2030-01-01',
                  reason: 'year-end freeze',
                },
              ],
              ...config,
            },
          },
        },
      });
      await until('the test catalog', async () => {
        const res = await request(backend.server)
          .get('/api/catalog/entities/by-name/component/default/cyc-b')
          .set(as('guest'));
        return res.status === 200 && res.body.relations?.length > 2;
      });
      const call = async (
        method: 'get' | 'post',
        url: string,
        body?: object,
        user: Parameters<typeof as>[0] = 'guest',
      ) => {
        const req = request(backend.server)
          [method](`/api/ripple${url}`)
          .set(as(user));
        const res = await (body === undefined ? req : req.send(body));
        expectValidResponse(res);
        return res;
      };
      const wholeStep = (taskId = 'ripple-rollout') =>
        waitForWholeRun(backend.server, { taskId, headers: as('guest') });
      return { backend, call, wholeStep };
    }

    type Started = Awaited<ReturnType<typeof start>>;

    /** A proposed migration of these consumers, with the engine's real patches. */
    async function proposed(
      { backend, call }: Started,
      names: string[],
      onCreated?: (id: string) => Promise<void>,
    ) {
      const engine = await loadEngine();
      const created = await call('post', '/migrations', {
        datasetRef: 'resource:default/timing-orders',
        change,
        title: `Rename amount for ${names.join(', ')}`,
      });
      expect(created.status).toBe(201);
      const id: string = created.body.id;
      await onCreated?.(id);
      const { store } = backend;
      await store.transition({ migrationId: id, to: 'analyzing' });
      const rewrite = engine.rewrite(FILE, CODE, change as any);
      for (const name of names) {
        await store.putConsumer({
          migrationId: id,
          consumerRef: ref(name),
          discoveredBy: 'catalog',
        });
        await store.recordPatch({
          migrationId: id,
          consumerRef: ref(name),
          diff: rewrite.patch!,
          baseHash: 'sha256:code',
          status: 'rewritten',
          reasons: [],
        });
      }
      await store.transition({ migrationId: id, to: 'proposed' });
      const consumers = async (): Promise<Record<string, Consumer>> =>
        Object.fromEntries(
          (await call('get', `/migrations/${id}/consumers`)).body.items.map(
            (c: Consumer) => [
              c.consumerRef.replace('component:default/', ''),
              c,
            ],
          ),
        );
      const status = async (name: string) =>
        (await consumers())[name]?.delivery?.status;
      const rollout = async (): Promise<Rollout> =>
        (await call('get', `/migrations/${id}/rollout`)).body;
      const events = async (): Promise<MigrationEvent[]> =>
        (await call('get', `/migrations/${id}/events?limit=500`)).body.items;
      return { id, consumers, status, rollout, events };
    }

    /** One wave, auto-approved, no soak: only timing holds a delivery. */
    const plan = (extra: object = {}) => ({
      waves: [{ name: 'all', percent: 100 }],
      soakMinutes: 0,
      autoAdvance: false,
      autoApprove: true,
      health: { requireSignals: false },
      ...extra,
    });

    it('waits outside the window, delivers inside it, holds a consumer within its schedule margin, and stops for a freeze', async () => {
      const started = await start();
      const { call, wholeStep, backend } = started;
      const m = await proposed(started, ['plain', 'scheduled']);

      // A bad window is refused, naming the field.
      const bad = await call('post', `/migrations/${m.id}/rollout/start`, {
        plan: plan({
          windows: [
            {
              cron: '0 2 * * *',
              durationMinutes: 120,
              timeZone: 'Mars/Olympus',
            },
          ],
        }),
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toBe(
        'plan.windows/0/timeZone: "Mars/Olympus" is not a time zone (an IANA name such as Europe/Stockholm or UTC)',
      );

      // Sunday 12:00 UTC; the window is every night 02:00 to 04:00 UTC.
      clock.at = new Date('2029-12-30T12:00:00Z');
      const res = await call('post', `/migrations/${m.id}/rollout/start`, {
        plan: plan({ windows: [{ cron: '0 2 * * *', durationMinutes: 120 }] }),
      });
      expect(res.status).toBe(200);
      expect(res.body.plan.windows).toEqual([
        { cron: '0 2 * * *', durationMinutes: 120, timeZone: 'UTC' },
      ]);
      await wholeStep();
      await wholeStep();
      expect(await m.status('plain')).toBe('pending');
      expect(await m.status('scheduled')).toBe('pending');
      const waiting = await m.rollout();
      expect(waiting.waiting).toEqual([
        {
          consumerRef: ref('plain'),
          reason:
            "waiting for the window at 2029-12-31T02:00:00.000Z (outside the plan's delivery windows)",
          until: '2029-12-31T02:00:00.000Z',
        },
        {
          consumerRef: ref('scheduled'),
          reason:
            "waiting for the window at 2029-12-31T02:00:00.000Z (outside the plan's delivery windows)",
          until: '2029-12-31T02:00:00.000Z',
        },
      ]);
      expect(waiting.gateReason).toContain(
        `${ref('plain')} (waiting for the window at 2029-12-31T02:00:00.000Z`,
      );
      expect(
        (await repos.plain.branches()).filter(b =>
          b.startsWith(`ripple/${m.id.split('-')[0]}`),
        ),
      ).toEqual([]);

      // Monday 03:00 UTC: inside the window. `scheduled` runs at 03:30, within
      // the 45-minute margin: it waits until just after its run.
      clock.at = new Date('2029-12-31T03:00:00Z');
      await until('the delivery in the window', async () =>
        (await m.status('plain')) === 'delivered' ? true : undefined,
      );
      await wholeStep();
      expect(await m.status('scheduled')).toBe('pending');
      expect((await m.rollout()).waiting).toEqual([
        {
          consumerRef: ref('scheduled'),
          reason:
            'waiting for the window at 2029-12-31T03:31:00.000Z (the pipeline of component:default/scheduled runs at 2029-12-31T03:30:00.000Z (ripple.io/schedule; nothing is delivered within 45 minutes before a run))',
          until: '2029-12-31T03:31:00.000Z',
        },
      ]);

      // Tuesday 03:32 UTC: in the window, past the run, but frozen all day.
      clock.at = new Date('2030-01-01T03:32:00Z');
      await wholeStep();
      await wholeStep();
      expect(await m.status('scheduled')).toBe('pending');
      expect((await m.rollout()).waiting).toEqual([
        {
          consumerRef: ref('scheduled'),
          reason:
            'waiting for the window at 2030-01-02T02:00:00.000Z (frozen until 2030-01-02T00:00:00.000Z: year-end freeze)',
          until: '2030-01-02T02:00:00.000Z',
        },
      ]);

      // Wednesday 02:10 UTC: the freeze is over, the window open, the run far.
      clock.at = new Date('2030-01-02T02:10:00Z');
      await until('the delivery after the freeze', async () =>
        (await m.status('scheduled')) === 'delivered' ? true : undefined,
      );
      expect((await m.rollout()).waiting).toBeUndefined();
      await backend.stop();
    });

    it('delivers a downstream consumer only after its upstream one in the same wave is merged and healthy, and warns of a cycle once', async () => {
      clock.at = new Date('2029-12-30T12:00:00Z');
      const started = await start();
      const { call, wholeStep, backend } = started;
      const m = await proposed(started, ['up', 'down', 'cyc-a', 'cyc-b']);
      const res = await call('post', `/migrations/${m.id}/rollout/start`, {
        plan: plan(),
      });
      expect(res.status).toBe(200);
      // One wave: both pairs in it.
      expect(res.body.waves).toHaveLength(1);
      await until('the upstream delivery', async () =>
        (await m.status('up')) === 'delivered' ? true : undefined,
      );
      await wholeStep();
      await wholeStep();
      expect(await m.status('down')).toBe('pending');
      const rollout = await m.rollout();
      expect(rollout.waiting).toContainEqual({
        consumerRef: ref('down'),
        reason: `waiting for ${ref('up')} upstream to be merged and healthy`,
      });

      // The cycle: the wave order puts one first; the other waits for it.
      const order = rollout.waves[0].consumers.filter(c =>
        c.startsWith(ref('cyc-')),
      );
      const [firstRef, secondRef] = order;
      const name = (r: string) => r.replace('component:default/', '');
      expect(await m.status(name(firstRef))).toBe('delivered');
      expect(await m.status(name(secondRef))).toBe('pending');
      expect(rollout.waiting).toContainEqual({
        consumerRef: secondRef,
        reason: `waiting for ${firstRef} upstream to be merged and healthy`,
      });
      const warnings = (await m.events()).filter(
        e => e.type === 'timing-warning',
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0].message).toBe(
        `Consumers read each other's output in a cycle (${firstRef}, ${secondRef}): the wave order breaks it, ${firstRef} does not wait for ${secondRef}`,
      );

      // Merged, but not healthy yet: still waiting.
      const upRef = encodeURIComponent(ref('up'));
      expect(
        (
          await call(
            'post',
            `/migrations/${m.id}/consumers/${upRef}/merged`,
            {},
          )
        ).status,
      ).toBe(200);
      await wholeStep();
      await wholeStep();
      expect(await m.status('down')).toBe('pending');
      // Healthy: now delivered.
      const signal = await call(
        'post',
        `/migrations/${m.id}/consumers/${upRef}/health`,
        { signals: { errorRate: 0, failedRuns: 0 } },
      );
      expect(signal.status).toBe(200);
      await until('the downstream delivery', async () =>
        (await m.status('down')) === 'delivered' ? true : undefined,
      );
      // The cycle is warned once, however many steps found it.
      expect(
        (await m.events()).filter(e => e.type === 'timing-warning'),
      ).toHaveLength(1);
      await backend.stop();
    });

    it("stops the rollout's steps and the agent's proposals with the kill switch, audited, until resumed", async () => {
      clock.at = new Date('2029-12-30T12:00:00Z');
      // The real agent, its refresh every 3 s.
      const started = await start(
        {},
        { intervalSeconds: 1, refreshMinutes: 0.05 },
      );
      const { call, wholeStep, backend } = started;
      let stopped: request.Response | undefined;
      const m = await proposed(started, ['plain'], async id => {
        // Only those who manage the rollout may throw it.
        expect(
          (
            await call(
              'post',
              `/migrations/${id}/automation/stop`,
              {},
              'mallory',
            )
          ).status,
        ).toBe(403);
        stopped = await call('post', `/migrations/${id}/automation/stop`, {
          reason: 'the warehouse is on fire',
        });
        // Twice is once.
        expect(
          (await call('post', `/migrations/${id}/automation/stop`, {})).status,
        ).toBe(200);
      });
      expect(stopped!.status).toBe(200);
      expect(stopped!.body.stopped).toMatchObject({
        by: 'user:default/guest',
        reason: 'the warehouse is on fire',
      });

      const res = await call('post', `/migrations/${m.id}/rollout/start`, {
        plan: plan(),
      });
      expect(res.status).toBe(200);
      await wholeStep();
      await wholeStep();
      // The agent's refresh would replace the patch (its recorded code hash
      // is not the code's): while stopped it proposes nothing.
      await wholeStep('ripple-refresh');
      await wholeStep('ripple-refresh');
      // Nothing approved by policy, nothing delivered, no new patch.
      const [consumer] = Object.values(await m.consumers());
      expect(consumer.decision).toBeUndefined();
      expect(consumer.delivery?.status).toBe('pending');
      expect(consumer.patch!.version).toBe(1);
      expect((await m.rollout()).gateReason).toMatch(
        /^automation stopped by user:default\/guest \(the kill switch\)/,
      );
      // No branch of this migration's.
      const ours = async () =>
        (await repos.plain.branches()).filter(b =>
          b.startsWith(`ripple/${m.id.split('-')[0]}`),
        );
      expect(await ours()).toEqual([]);

      const resumed = await call(
        'post',
        `/migrations/${m.id}/automation/resume`,
      );
      expect(resumed.status).toBe(200);
      expect(resumed.body.stopped).toBeUndefined();
      // The refresh proposes again, the policy approves, the step delivers.
      await until('the new patch version', async () =>
        (await m.consumers()).plain.patch!.version === 2 ? true : undefined,
      );
      await until('the delivery once resumed', async () =>
        (await m.status('plain')) === 'delivered' ? true : undefined,
      );

      const events = (await m.events()).map(e => e.type);
      expect(events.filter(t => t === 'automation-stopped')).toHaveLength(1);
      expect(events.filter(t => t === 'automation-resumed')).toHaveLength(1);
      expect(
        backend.auditEvents
          .filter(e => e.eventId.startsWith('rollout-automation'))
          .map(e => [e.eventId, e.outcome]),
      ).toEqual([
        ['rollout-automation-stop', 'failure'],
        ['rollout-automation-stop', 'success'],
        ['rollout-automation-stop', 'success'],
        ['rollout-automation-resume', 'success'],
      ]);
      await backend.stop();
    });

    it('asks for a confirmation with the number above confirmAbove', async () => {
      clock.at = new Date('2029-12-30T12:00:00Z');
      const started = await start({ confirmAbove: 1 });
      const { call, backend } = started;
      const m = await proposed(started, ['plain', 'up']);
      const before = await m.rollout();
      expect(before.confirmation).toEqual({ consumers: 2, above: 1 });
      const refused = await call('post', `/migrations/${m.id}/rollout/start`, {
        plan: plan(),
      });
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toBe(
        `The rollout of migration ${m.id} would reach 2 consumers, more than ripple.rollout.confirmAbove (1): start it with confirmConsumers: 2 to confirm`,
      );
      const wrong = await call('post', `/migrations/${m.id}/rollout/start`, {
        plan: plan(),
        confirmConsumers: 1,
      });
      expect(wrong.status).toBe(409);
      expect(wrong.body.error.message).toContain('(confirmConsumers was 1)');
      const ok = await call('post', `/migrations/${m.id}/rollout/start`, {
        plan: plan(),
        confirmConsumers: 2,
      });
      expect(ok.status).toBe(200);
      expect(ok.body.state).toBe('rolling_out');
      await backend.stop();
    });
  },
);
