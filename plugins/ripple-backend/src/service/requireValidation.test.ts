import { makeDuckDbFile, writeFolders } from '../__testUtils__/warehouseFiles';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import type { Notification } from '@backstage/plugin-notifications-common';
import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  Consumer,
  MigrationEvent,
  Review,
  Rollout,
  Validation,
} from '@ripple/backstage-plugin-ripple-common';
import fs from 'node:fs/promises';
import { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import { waitForWholeRun } from '../__testUtils__/scheduledRuns';
import {
  as,
  type AuditRecord,
  startRippleTestBackend,
} from '../__testUtils__/testBackend';
import type { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';
import { DatabaseValidationStore } from '../database/DatabaseValidationStore';

// Issue 19: a rollout plan with `requireValidation` makes a passed (or
// skipped-with-reason) validation a condition of a patch's approval, of its
// auto-approval, and of its wave's advance. A real backend on both
// databases, the real agent and validation task on a DuckDB warehouse made
// here, the rollout task every second, delivering by download.

jest.setTimeout(240_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const COLUMNS = `[{name: id, type: INTEGER}, {name: amount, type: INTEGER}, {name: status, type: VARCHAR}]`;
const ref = (name: string) => `component:default/${name}`;
const datasetRef = (name: string) => `resource:default/${name}`;
const REQUIREMENT =
  'the rollout plan requires a passed validation (or one skipped with its reason)';

function dataset(name: string, warehouse?: string): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: ${name}
  annotations:
    ripple.io/table: shop.orders
    ripple.io/dialect: duckdb
    ripple.io/schema: "${COLUMNS}"${
    warehouse ? `\n    ripple.io/warehouse: ${warehouse}` : ''
  }
spec:
  type: dataset
  owner: group:default/data-platform
`;
}

function component(name: string, dependsOn: string): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: data-pipeline
  lifecycle: production
  owner: group:default/data-platform
  dependsOn: [${datasetRef(dependsOn)}]
`;
}

const AUDIT = "SELECT id, amount FROM shop.orders WHERE status = 'paid';\n";
const REPORT =
  'SELECT status, sum(amount) AS total FROM shop.orders GROUP BY status;\n';
// A bind parameter: the validation skips it, with the reason.
const PARAM = 'SELECT id, amount FROM shop.orders WHERE id = :id;\n';

/** Each folder: its catalog file and the consumer's code. */
const FOLDERS: Record<string, Record<string, string>> = {
  // Approvals: one consumer passes, one is skipped, one is made to fail.
  'checked-orders': { 'catalog-info.yaml': dataset('checked-orders', 'test') },
  'checked-audit': {
    'catalog-info.yaml': component('checked-audit', 'checked-orders'),
    'audit.sql': AUDIT,
  },
  'checked-report': {
    'catalog-info.yaml': component('checked-report', 'checked-orders'),
    'report.sql': REPORT,
  },
  'checked-param': {
    'catalog-info.yaml': component('checked-param', 'checked-orders'),
    'param.sql': PARAM,
  },
  // A dataset that names no warehouse: never validated.
  'bare-orders': { 'catalog-info.yaml': dataset('bare-orders') },
  'bare-report': {
    'catalog-info.yaml': component('bare-report', 'bare-orders'),
    'report.sql': REPORT,
  },
  // The wave gate: audit (the canary) fails, then passes.
  'wave-orders': { 'catalog-info.yaml': dataset('wave-orders', 'test') },
  'wave-audit': {
    'catalog-info.yaml': component('wave-audit', 'wave-orders'),
    'audit.sql': AUDIT,
  },
  'wave-report': {
    'catalog-info.yaml': component('wave-report', 'wave-orders'),
    'report.sql': REPORT,
  },
  // Auto-approval: a fails, then passes; b passes.
  'auto-orders': { 'catalog-info.yaml': dataset('auto-orders', 'test') },
  'auto-a': {
    'catalog-info.yaml': component('auto-a', 'auto-orders'),
    'audit.sql': AUDIT,
  },
  'auto-b': {
    'catalog-info.yaml': component('auto-b', 'auto-orders'),
    'report.sql': REPORT,
  },
};

describe.each(databases.eachSupportedId())(
  'a rollout plan that requires validation on %s',
  databaseId => {
    let server: Server;
    let stop: () => Promise<void>;
    let store: DatabaseMigrationStore;
    let validations: DatabaseValidationStore;
    let auditEvents: AuditRecord[];
    let root: string;

    beforeAll(async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-require-'));
      const file = path.join(root, 'warehouse.duckdb');
      await makeDuckDbFile(
        file,
        `CREATE SCHEMA shop;
        CREATE TABLE shop.orders (id INTEGER, amount INTEGER, status VARCHAR);
        INSERT INTO shop.orders VALUES (1, 10, 'paid'), (2, 4, 'open'), (3, 7, 'paid'), (4, 1, 'open');`,
      );

      const locations = await writeFolders(root, FOLDERS);
      let knex;
      ({ server, stop, store, auditEvents, knex } =
        await startRippleTestBackend({
          databases,
          databaseId,
          locations,
          readable: [root],
          agent: { intervalSeconds: 1 },
          rollout: { intervalSeconds: 1 },
          // The real notifications backend: a validation's pause tells the owners.
          features: [notificationsPlugin],
          config: {
            // The notifications backend needs it; the links start with it.
            app: { baseUrl: 'http://localhost:3000' },
            ripple: {
              agent: { searchCode: false },
              warehouses: { test: { type: 'duckdb', path: file } },
              validation: { intervalSeconds: 1 },
              // The default of every plan, and of reviews before a start.
              rollout: { requireValidation: true, syncMinutes: 0 },
            },
          },
        }));
      validations = new DatabaseValidationStore(knex);
      for (const folder of Object.keys(FOLDERS)) {
        const kind = folder.endsWith('-orders') ? 'resource' : 'component';
        for (;;) {
          const res = await request(server)
            .get(`/api/catalog/entities/by-name/${kind}/default/${folder}`)
            .set(as('guest'));
          if (res.status === 200 && res.body.relations?.length) break;
          await new Promise(r => setTimeout(r, 100));
        }
      }
    });

    afterAll(async () => {
      await stop();
      await fs.rm(root, { recursive: true, force: true });
    });

    async function call(
      method: 'get' | 'post',
      url: string,
      body?: object,
    ): Promise<request.Response> {
      const req = request(server)[method](`/api/ripple${url}`).set(as('guest'));
      const res = await (body === undefined ? req : req.send(body));
      expectValidResponse(res);
      return res;
    }

    const consumerUrl = (id: string, consumerRef: string) =>
      `/migrations/${id}/consumers/${encodeURIComponent(consumerRef)}`;

    /** A migration of the dataset, analysed by the real agent. */
    async function analysed(name: string): Promise<string> {
      const created = await call('post', '/migrations', {
        datasetRef: datasetRef(name),
        change: {
          dataset: 'shop.orders',
          dialect: 'duckdb',
          changes: [
            { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
          ],
        },
        title: `Rename amount of ${name}`,
      });
      expect(created.status).toBe(201);
      const id: string = created.body.id;
      await call('post', `/migrations/${id}/analyze`);
      await until(
        'the analysis',
        async () =>
          (await call('get', `/migrations/${id}`)).body.state === 'proposed',
      );
      return id;
    }

    /** The consumer's latest validation once finished, newer than `after`. */
    async function finished(
      id: string,
      consumerRef: string,
      after = 0,
    ): Promise<Validation> {
      return until(`the validation of ${consumerRef}`, async () => {
        const validation: Validation | undefined = (
          await call('get', consumerUrl(id, consumerRef))
        ).body.validation;
        return (
          validation &&
          validation.id > after &&
          validation.finishedAt &&
          validation
        );
      });
    }

    async function review(
      id: string,
      consumerRef: string,
      decision: 'approve' | 'reject',
      patchId?: number,
    ): Promise<request.Response> {
      const current = (
        await call('get', `${consumerUrl(id, consumerRef)}/patch`)
      ).body;
      const latest = (current.reviews as Review[]).find(
        r => r.patchId === current.patch.id,
      );
      return call('post', `${consumerUrl(id, consumerRef)}/review`, {
        decision,
        patchId: patchId ?? current.patch.id,
        ...(latest ? { previousReviewId: latest.id } : {}),
      });
    }

    /** A new version of the consumer's patch: `edit` of its current diff, from the same code. */
    async function newVersion(
      id: string,
      consumerRef: string,
      edit: (diff: string) => string,
    ) {
      const current = (await store.getCurrentPatch(id, consumerRef))!;
      return store.recordPatch({
        migrationId: id,
        consumerRef,
        diff: edit(current.diff),
        baseHash: current.baseHash,
        status: current.status,
        reasons: current.reasons,
      });
    }
    // Reads the open orders instead of the paid ones: the rows differ.
    const wrong = (diff: string) => diff.replace(/^(\+.*)'paid'/m, "$1'open'");
    const right = (diff: string) => diff.replace(/^(\+.*)'open'/m, "$1'paid'");

    const rollout = async (id: string): Promise<Rollout> =>
      (await call('get', `/migrations/${id}/rollout`)).body;

    const consumers = async (id: string): Promise<Record<string, Consumer>> =>
      Object.fromEntries(
        (await call('get', `/migrations/${id}/consumers`)).body.items.map(
          (c: Consumer) => [c.consumerRef, c],
        ),
      );

    /**
     * Waits for the rollout to complete, its owners marking each delivered
     * download merged as they apply it: a wave soaks from when its
     * consumers run the patch.
     */
    const completed = (id: string) =>
      until('the rollout completed', async () => {
        for (const c of Object.values(await consumers(id))) {
          if (c.delivery?.status === 'delivered') {
            await call(
              'post',
              `/migrations/${id}/consumers/${encodeURIComponent(
                c.consumerRef,
              )}/merged`,
              {},
            );
          }
        }
        const r = await rollout(id);
        return r.state === 'completed' && r;
      });

    const events = async (id: string): Promise<MigrationEvent[]> =>
      (await call('get', `/migrations/${id}/events?limit=500`)).body.items;

    const wholeRollouts = async (runs = 1) => {
      for (let i = 0; i < runs; i++) {
        await waitForWholeRun(server, {
          taskId: 'ripple-rollout',
          headers: as('guest'),
        });
      }
    };

    it('refuses an approval unless the validation passed or was skipped with its reason; rejections go through', async () => {
      const id = await analysed('checked-orders');
      // Before the start, reviews follow the config's default, which the
      // plan it would start with shows.
      expect((await rollout(id)).plan.requireValidation).toBe(true);

      expect(await finished(id, ref('checked-report'))).toMatchObject({
        status: 'passed',
      });
      const skipped = await finished(id, ref('checked-param'));
      expect(skipped.status).toBe('skipped');
      expect(skipped.reason).toMatch(
        /^every statement was skipped: param\.sql:1: .*:id/,
      );
      expect((await finished(id, ref('checked-audit'))).status).toBe('passed');

      // Passed, and skipped with its reason: approved.
      expect((await review(id, ref('checked-report'), 'approve')).status).toBe(
        201,
      );
      expect((await review(id, ref('checked-param'), 'approve')).status).toBe(
        201,
      );

      // A version made wrong fails its validation: its approval is refused
      // with the consumer, the status and why.
      const first = await finished(id, ref('checked-audit'));
      const bad = await newVersion(id, ref('checked-audit'), wrong);
      const failed = await finished(id, ref('checked-audit'), first.id);
      expect(failed).toMatchObject({ patchId: bad.id, status: 'failed' });
      const refused = await review(id, ref('checked-audit'), 'approve');
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toBe(
        `Patch version ${bad.version} of ${ref(
          'checked-audit',
        )} cannot be approved: ${REQUIREMENT}, and its validation on warehouse test failed: audit.sql:1: 2 rows before the patch, 2 after, columns whose values differ: id, amount, 4 differing rows in the sample. It can still be rejected.`,
      );
      // Audited as a refused review is.
      expect(auditEvents).toContainEqual(
        expect.objectContaining({
          eventId: 'patch-review',
          outcome: 'failure',
          error: refused.body.error.message,
          meta: expect.objectContaining({
            migrationId: id,
            consumerRef: ref('checked-audit'),
            patchId: bad.id,
            decision: 'approve',
          }),
        }),
      );
      // Nothing recorded: no review, no event.
      const patch = (
        await call('get', `${consumerUrl(id, ref('checked-audit'))}/patch`)
      ).body;
      expect(
        (patch.reviews as Review[]).filter(r => r.patchId === bad.id),
      ).toEqual([]);
      // A rejection is still allowed.
      const rejected = await review(id, ref('checked-audit'), 'reject');
      expect(rejected.status).toBe(201);
      expect(rejected.body).toMatchObject({
        decision: 'reject',
        patchId: bad.id,
      });
    });

    it('refuses an approval of a patch never validated, or whose validation is pending; and a start, when the dataset names no warehouse', async () => {
      const id = await analysed('bare-orders');
      const consumerRef = ref('bare-report');
      const current = (await store.getCurrentPatch(id, consumerRef))!;
      // Its dataset names no warehouse: the task never validates it.
      await waitForWholeRun(server, {
        taskId: 'ripple-validation',
        headers: as('guest'),
      });
      const never = await review(id, consumerRef, 'approve');
      expect(never.status).toBe(409);
      expect(never.body.error.message).toBe(
        `Patch version ${current.version} of ${consumerRef} cannot be approved: ${REQUIREMENT}, and it has not been validated yet (the validation task runs each patch version with an edit once its dataset names a warehouse: annotation ripple.io/warehouse). It can still be rejected.`,
      );
      // A validation asked for (here in the store: the API refuses to ask
      // for one of a dataset without a warehouse), not run yet.
      const pending = await validations.request({
        migrationId: id,
        consumerRef,
        patchId: current.id,
        warehouse: 'test',
        requestedBy: 'user:default/guest',
      });
      expect(pending.status).toBe('pending');
      const waiting = await review(id, consumerRef, 'approve');
      expect(waiting.status).toBe(409);
      expect(waiting.body.error.message).toContain(
        `${consumerRef} cannot be approved: ${REQUIREMENT}, and its validation on warehouse test is pending (asked for, not started yet)`,
      );

      // A plan that requires validation cannot start: it could deliver
      // nothing.
      const start = await call('post', `/migrations/${id}/rollout/start`, {});
      expect(start.status).toBe(409);
      expect(start.body.error.message).toBe(
        `The rollout plan requires validation, but ${datasetRef(
          'bare-orders',
        )} names no warehouse (annotation ripple.io/warehouse), so its consumers' patches are never validated: name its warehouse, or start with requireValidation false`,
      );
      const wrongType = await call('post', `/migrations/${id}/rollout/start`, {
        plan: { requireValidation: 'yes' },
      });
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.error.message).toContain(
        'request/body/plan/requireValidation must be boolean',
      );
      expect((await call('get', `/migrations/${id}`)).body.state).toBe(
        'proposed',
      );
    });

    it('holds a wave while a validation in it failed, pausing once with the reason, and advances once the new version passes', async () => {
      const id = await analysed('wave-orders');
      const audit = ref('wave-audit');
      const report = ref('wave-report');
      const first = await finished(id, audit);
      expect(first.status).toBe('passed');
      expect((await finished(id, report)).status).toBe('passed');
      expect((await review(id, audit, 'approve')).status).toBe(201);
      expect((await review(id, report, 'approve')).status).toBe(201);
      // A new version made wrong fails its validation; it is approved all
      // the same, as when the config did not require validation yet (in the
      // store: the API refuses it now).
      const bad = await newVersion(id, audit, wrong);
      const failed = await finished(id, audit, first.id);
      expect(failed).toMatchObject({ patchId: bad.id, status: 'failed' });
      await store.recordReview({
        migrationId: id,
        consumerRef: audit,
        patchId: bad.id,
        decision: 'approve',
        reviewer: 'user:default/guest',
      });

      const started = await call('post', `/migrations/${id}/rollout/start`, {
        plan: {
          waves: [
            { name: 'canary', count: 1 },
            { name: 'rest', percent: 100 },
          ],
          soakMinutes: 0,
          health: { requireSignals: false },
        },
      });
      expect(started.status).toBe(200);
      // From the config's default.
      expect(started.body.plan.requireValidation).toBe(true);
      expect(started.body.waves[0].consumers).toEqual([audit]);

      // The failed validation in the active wave pauses the rollout, as a
      // health breach does, saying who and why.
      const why = `its validation on warehouse test failed: audit.sql:1: 2 rows before the patch, 2 after, columns whose values differ: id, amount, 4 differing rows in the sample`;
      const paused = await until('the pause', async () => {
        const r = await rollout(id);
        return r.state === 'paused' && r;
      });
      expect(paused.pausedReason).toBe(`${REQUIREMENT}: ${audit}: ${why}`);
      // The owners hear of it (guest owns the migration), once.
      const inbox = async () => {
        const res = await request(server)
          .get('/api/notifications/notifications')
          .query({ topic: 'ripple-rollout' })
          .set(as('guest'));
        expect(res.status).toBe(200);
        return res.body.notifications as Notification[];
      };
      const [notification] = await until('the owners notified', async () => {
        const received = (await inbox()).filter(n =>
          n.payload.scope?.endsWith(':validation'),
        );
        return received.length > 0 && received;
      });
      expect(notification.payload).toMatchObject({
        title: expect.stringContaining(`the patch of ${audit} did not pass`),
        description: `${why}. The rollout is paused: its plan requires a passed validation.`,
        link: expect.stringContaining(`/ripple/migrations/`),
        scope: expect.stringMatching(new RegExp(`:${audit}:validation$`)),
      });
      expect(paused.currentWave).toBe(0);
      expect(await events(id)).toContainEqual(
        expect.objectContaining({
          type: 'state-changed',
          message: `Rollout paused: ${REQUIREMENT}: ${audit}: ${why}`,
          data: expect.objectContaining({ from: 'rolling_out', to: 'paused' }),
        }),
      );
      expect((await consumers(id))[audit].delivery?.status).toBe('pending');

      // Approved, but not delivered: the plan requires its validation too.
      // Resumed, the same failed validation holds the wave without pausing
      // it again; the gate's reason says why.
      expect(
        (await call('post', `/migrations/${id}/rollout/resume`, {})).status,
      ).toBe(200);
      await wholeRollouts(2);
      const held = await rollout(id);
      expect(held).toMatchObject({ state: 'rolling_out', currentWave: 0 });
      expect(held.gateReason).toBe(`${REQUIREMENT}: ${audit}: ${why}`);
      expect((await consumers(id))[audit].delivery?.status).toBe('pending');

      // A new version that passes: the wave then waits for its approval.
      const good = await newVersion(id, audit, right);
      const passed = await finished(id, audit, failed.id);
      expect(passed).toMatchObject({ patchId: good.id, status: 'passed' });
      const waiting = await until(
        'the gate waiting for the approval',
        async () => {
          const r = await rollout(id);
          return (
            r.gateReason?.startsWith("waiting for the wave's deliveries") && r
          );
        },
      );
      expect(waiting.gateReason).toBe(
        `waiting for the wave's deliveries: ${audit} (not approved yet)`,
      );
      expect((await review(id, audit, 'approve')).status).toBe(201);

      // Delivered, merged, soaked (0 minutes), and on to the next wave and
      // the end.
      const done = await completed(id);
      expect(done.gateReason).toBeUndefined();
      const delivered = await consumers(id);
      expect(delivered[audit].delivery).toMatchObject({
        status: 'merged',
        patchId: good.id,
      });
      expect(delivered[report].delivery?.status).toBe('merged');
      // Paused once, by the failed validation.
      expect(
        (await events(id)).filter(
          e => e.type === 'state-changed' && e.data?.to === 'paused',
        ),
      ).toHaveLength(1);
    });

    it('auto-approves a patch only once its validation passed', async () => {
      const id = await analysed('auto-orders');
      const a = ref('auto-a');
      const b = ref('auto-b');
      const first = await finished(id, a);
      expect((await finished(id, b)).status).toBe('passed');
      const bad = await newVersion(id, a, wrong);
      const failed = await finished(id, a, first.id);
      expect(failed).toMatchObject({ patchId: bad.id, status: 'failed' });

      const started = await call('post', `/migrations/${id}/rollout/start`, {
        plan: {
          waves: [{ name: 'all', percent: 100 }],
          soakMinutes: 0,
          autoApprove: true,
          requireValidation: true,
          health: { requireSignals: false },
        },
      });
      expect(started.status).toBe(200);
      const reviewsOf = async (consumerRef: string): Promise<Review[]> =>
        (await call('get', `${consumerUrl(id, consumerRef)}/patch`)).body
          .reviews;
      const comment =
        'the rollout plan user:default/guest started sets autoApprove, and the dataset is not critical, and the validation of the patch version passed (or was skipped with its reason), which the plan requires';
      // b passed: approved at the start. a failed: not approved, and the
      // rollout pauses on it.
      expect(await reviewsOf(b)).toEqual([
        expect.objectContaining({
          decision: 'approve',
          reviewer: 'policy:ripple/auto-approval-plan',
          comment,
        }),
      ]);
      await until(
        'the pause',
        async () => (await rollout(id)).state === 'paused',
      );
      await wholeRollouts();
      expect(await reviewsOf(a)).toEqual([]);
      expect((await consumers(id))[a].decision).toBeUndefined();

      // Once a new version passes, a step auto-approves it (even while
      // paused), and resumed, the rollout delivers it and completes.
      const good = await newVersion(id, a, right);
      await finished(id, a, failed.id);
      const approved = await until('the auto-approval', async () => {
        const all = await reviewsOf(a);
        return all.length === 1 && all;
      });
      expect(approved[0]).toMatchObject({
        patchId: good.id,
        decision: 'approve',
        reviewer: 'policy:ripple/auto-approval-plan',
        comment,
      });
      expect(auditEvents).toContainEqual(
        expect.objectContaining({
          eventId: 'patch-review',
          outcome: 'success',
          meta: expect.objectContaining({ consumerRef: a, patchId: good.id }),
        }),
      );
      expect(
        (await call('post', `/migrations/${id}/rollout/resume`, {})).status,
      ).toBe(200);
      await completed(id);
      expect((await consumers(id))[a].delivery).toMatchObject({
        status: 'merged',
        patchId: good.id,
      });
    });
  },
);

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false | null | '' | 0>,
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
