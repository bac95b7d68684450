import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  ConsumerPatch,
  EngineStatus,
  Migration,
} from '@ripple/backstage-plugin-ripple-common';
import { loadEngine } from '@ripple/engine';
import { Server } from 'node:http';
import request from 'supertest';
import { canaryEngineFactory } from '../__testUtils__/canaryEngine';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import {
  as,
  startRippleTestBackend,
  users,
} from '../__testUtils__/testBackend';

jest.setTimeout(300_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const ORDERS_EXPORT = 'component:default/orders-export';
const JAFFLE = 'component:default/jaffle-dbt';
const FRAUD = 'component:default/fraud-scoring';
const FINANCE = 'component:default/finance-reports';

async function call(
  test: request.Test,
  user: keyof typeof users = 'guest',
): Promise<request.Response> {
  const res = await test.set(as(user));
  expectValidResponse(res);
  return res;
}

async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what}: still ${JSON.stringify(value, null, 1)}`);
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}

const patchOf = async (server: Server, id: string, consumerRef: string) =>
  (
    await call(
      request(server).get(
        `/api/ripple/migrations/${id}/consumers/${encodeURIComponent(
          consumerRef,
        )}/patch`,
      ),
    )
  ).body as ConsumerPatch;

const status = async (server: Server) =>
  (await call(request(server).get('/api/ripple/engine/canary')))
    .body as EngineStatus;

async function approve(
  server: Server,
  id: string,
  consumerRef: string,
  user: keyof typeof users,
) {
  const { patch } = await patchOf(server, id, consumerRef);
  const res = await call(
    request(server)
      .post(
        `/api/ripple/migrations/${id}/consumers/${encodeURIComponent(
          consumerRef,
        )}/review`,
      )
      .send({ decision: 'approve', patchId: patch.id }),
    user,
  );
  expect(res.status).toBe(201);
}

describe.each(databases.eachSupportedId())(
  'the engine canary in a backend on %s',
  databaseId => {
    /**
     * A migration analysed by the released engine, two of its patches
     * approved; then the backend stopped. The databases are kept for the
     * next backend.
     */
    async function proposedByTheReleasedEngine() {
      const first = await startRippleTestBackend({
        databases,
        databaseId,
        agent: { intervalSeconds: 1 },
      });
      const { server } = first;
      const created = await call(
        request(server).post('/api/ripple/migrations').send({
          datasetRef: 'resource:default/orders',
          change,
          title: 'Rename amount',
        }),
      );
      const id = created.body.id as string;
      await call(request(server).post(`/api/ripple/migrations/${id}/analyze`));
      await until(
        'the analysis',
        async () =>
          (
            await call(request(server).get(`/api/ripple/migrations/${id}`))
          ).body as Migration,
        m => m.state === 'proposed',
      );
      // orders-export (Python) and jaffle-dbt (a dbt model) are approved by
      // their owners.
      await approve(server, id, ORDERS_EXPORT, 'guest');
      await approve(server, id, JAFFLE, 'analyst');
      const released = (await loadEngine()).version();
      for (const ref of [ORDERS_EXPORT, JAFFLE, FRAUD, FINANCE]) {
        expect((await patchOf(server, id, ref)).patch).toMatchObject({
          version: 1,
          engineVersion: released,
        });
      }
      expect(await status(server)).toEqual({
        engineVersion: released,
        outdatedPatches: 0,
      });
      await first.stop();
      return { id, released, share: first.pluginDatabases };
    }

    /** A backend on the same databases running the canary build. */
    const withCanaryEngine = (
      share: Awaited<ReturnType<typeof proposedByTheReleasedEngine>>['share'],
    ) =>
      startRippleTestBackend({
        databases,
        databaseId,
        share,
        agent: { intervalSeconds: 1 },
        features: [canaryEngineFactory],
        config: {
          ripple: {
            agent: { refreshMinutes: 0.05, engineCanary: { consumers: 3 } },
          },
        },
      });

    it('samples the new version, waits for an administrator across a restart, and re-proposes the rest, keeping approvals of unchanged patches', async () => {
      const { id, released, share } = await proposedByTheReleasedEngine();
      const canaryVersion = `${released}+canary`;
      const second = await withCanaryEngine(share);

      const sampled = await until(
        'the sample',
        () => status(second.server),
        s => s.canary?.state === 'awaiting_decision',
      );
      expect(sampled).toMatchObject({
        engineVersion: canaryVersion,
        outdatedPatches: 4,
        canary: {
          engineVersion: canaryVersion,
          previousVersions: [released],
          state: 'awaiting_decision',
        },
      });
      // The first three consumers by ref; orders-export is the rest. The
      // canary build quotes the output name a renamed column keeps: in
      // finance-reports' INSERT and fraud-scoring's Scala, BigQuery's
      // backticks. jaffle-dbt's model keeps its name through its expanded
      // `select *`, another construct: unchanged.
      const outcomes = sampled.canary!.consumers.map(c => [
        c.consumerRef,
        c.outcome,
      ]);
      expect(outcomes).toEqual([
        [FINANCE, 'changed'],
        [FRAUD, 'changed'],
        [JAFFLE, 'unchanged'],
      ]);
      expect(sampled.canary!.counts).toEqual({
        unchanged: 1,
        changed: 2,
        newly_rewritten: 0,
        newly_for_a_person: 0,
      });
      const finance = sampled.canary!.consumers[0];
      expect(finance.current.diff).toContain('amount_usd AS amount,');
      expect(finance.proposed.diff).toContain('amount_usd AS `amount`,');
      // Nothing is re-proposed before the decision.
      expect((await patchOf(second.server, id, JAFFLE)).patch).toMatchObject({
        version: 1,
        engineVersion: released,
        stale: false,
      });

      // The state is in the database: another backend takes it over.
      await second.stop();
      const third = await withCanaryEngine(share);
      const { server, auditEvents } = third;
      expect((await status(server)).canary?.state).toBe('awaiting_decision');

      // Only an administrator decides: the dataset's owner may not.
      const denied = await call(
        request(server)
          .post('/api/ripple/engine/canary/decision')
          .send({ engineVersion: canaryVersion, decision: 'accept' }),
        'guest',
      );
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toContain('ripple.engine.accept');
      // The version decided on must be the one running.
      const wrong = await call(
        request(server)
          .post('/api/ripple/engine/canary/decision')
          .send({ engineVersion: released, decision: 'accept' }),
        'admin',
      );
      expect(wrong.status).toBe(409);
      const accepted = await call(
        request(server).post('/api/ripple/engine/canary/decision').send({
          engineVersion: canaryVersion,
          decision: 'accept',
          comment: 'Quoted names are fine',
        }),
        'admin',
      );
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject({
        state: 'accepted',
        decidedBy: users.admin.ref,
        comment: 'Quoted names are fine',
      });
      expect(
        auditEvents
          .filter(e => e.eventId === 'engine-canary-decision')
          .map(e => [e.meta?.decision, e.outcome]),
      ).toEqual([
        ['accept', 'failure'],
        ['accept', 'failure'],
        ['accept', 'success'],
      ]);

      await until(
        'the re-proposal',
        () => status(server),
        s => s.outdatedPatches === 0,
      );
      // Unchanged: the same patch, its approval kept, the new version recorded.
      const kept = await patchOf(server, id, JAFFLE);
      expect(kept.patch).toMatchObject({
        version: 1,
        engineVersion: canaryVersion,
        stale: false,
      });
      expect(kept.reviews.map(r => [r.patchId, r.decision])).toEqual([
        [kept.patch.id, 'approve'],
      ]);
      const consumers = (
        await call(
          request(server).get(`/api/ripple/migrations/${id}/consumers`),
        )
      ).body.items as {
        consumerRef: string;
        decision?: { decision: string };
        patch?: { version: number; engineVersion?: string };
      }[];
      // The list's patch summary names the engine too.
      expect(
        consumers.find(c => c.consumerRef === JAFFLE)?.patch,
      ).toMatchObject({ version: 1, engineVersion: canaryVersion });
      expect(
        consumers.find(c => c.consumerRef === JAFFLE)?.decision?.decision,
      ).toBe('approve');
      // Changed: the approved patch is stale, a new version awaits a review.
      const replaced = await patchOf(server, id, ORDERS_EXPORT);
      expect(replaced.patch).toMatchObject({
        version: 2,
        engineVersion: canaryVersion,
        stale: false,
      });
      expect(replaced.patch.diff).toContain('amount_usd AS `amount`');
      expect(
        consumers.find(c => c.consumerRef === ORDERS_EXPORT)?.decision,
      ).toBeUndefined();
      const events = (
        await call(request(server).get(`/api/ripple/migrations/${id}/events`))
      ).body.items as { type: string; consumerRef?: string; message: string }[];
      expect(
        events
          .filter(e => e.type === 'patch-stale')
          .map(e => [e.consumerRef, e.message]),
      ).toEqual(
        [FINANCE, FRAUD, ORDERS_EXPORT].map(ref => [
          ref,
          `Patch version 1 of ${ref} is stale: the accepted engine version proposes another patch`,
        ]),
      );
      expect((await patchOf(server, id, FRAUD)).patch).toMatchObject({
        version: 2,
        engineVersion: canaryVersion,
      });
      expect((await patchOf(server, id, FINANCE)).patch).toMatchObject({
        version: 2,
        engineVersion: canaryVersion,
      });
      // Decided once.
      const again = await call(
        request(server)
          .post('/api/ripple/engine/canary/decision')
          .send({ engineVersion: canaryVersion, decision: 'refuse' }),
        'admin',
      );
      expect(again.status).toBe(409);
      await third.stop();
    });

    it('keeps the old proposals when an administrator refuses the new version', async () => {
      const { id, released, share } = await proposedByTheReleasedEngine();
      const canaryVersion = `${released}+canary`;
      const second = await withCanaryEngine(share);
      const { server } = second;
      await until(
        'the sample',
        () => status(server),
        s => s.canary?.state === 'awaiting_decision',
      );
      const refused = await call(
        request(server)
          .post('/api/ripple/engine/canary/decision')
          .send({ engineVersion: canaryVersion, decision: 'refuse' }),
        'admin',
      );
      expect(refused.status).toBe(200);
      expect(refused.body.state).toBe('refused');
      // Several refreshes later (every 3 s), nothing was re-proposed.
      await new Promise(resolve => setTimeout(resolve, 8_000));
      const after = await status(server);
      expect(after).toMatchObject({
        outdatedPatches: 4,
        canary: { state: 'refused', decidedBy: users.admin.ref },
      });
      for (const ref of [ORDERS_EXPORT, JAFFLE]) {
        const { patch, reviews } = await patchOf(server, id, ref);
        expect(patch).toMatchObject({
          version: 1,
          engineVersion: released,
          stale: false,
        });
        expect(reviews.map(r => r.decision)).toEqual(['approve']);
      }
      await second.stop();
    });
  },
);
