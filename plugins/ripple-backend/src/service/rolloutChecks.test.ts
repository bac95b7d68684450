import { TestDatabases } from '@backstage/backend-test-utils';
import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import { FakeGitHub } from '@ripple/backstage-plugin-ripple-node/testUtils';
import { setupServer } from 'msw/node';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  GITHUB_CODE,
  GITHUB_CONSUMER as CONSUMER,
  GITHUB_FILE,
  proposedMigration,
  writeGitHubCatalog,
} from '../__testUtils__/githubRollout';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';
import request from 'supertest';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

/**
 * The checks of a delivered pull request (its CI) are a health signal of
 * their own: a failed check run marks the consumer unhealthy with the
 * check's name and link, pauses the rollout once, and holds the wave until
 * the checks pass again; every change of the gate's decision is on the
 * timeline.
 */
describe.each(databases.eachSupportedId())(
  'the checks of a delivered patch (%p)',
  databaseId => {
    const server = setupServer();
    const github = new FakeGitHub('https://api.github.com', 'acme', 'revenue');
    let root: string;
    let catalogFile: string;

    beforeAll(async () => {
      github.seed('main', { [GITHUB_FILE]: GITHUB_CODE });
      server.use(...github.handlers());
      server.listen({ onUnhandledRequest: 'bypass' });
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-checks-'));
      catalogFile = await writeGitHubCatalog(root);
    });

    afterAll(async () => {
      server.close();
      await fs.rm(root, { recursive: true, force: true });
    });

    it('pauses on a failed check, names it, holds the wave until it passes, and records each gate decision', async () => {
      const backend = await startRippleTestBackend({
        databases,
        databaseId,
        rollout: { intervalSeconds: 1 },
        locations: [catalogFile],
        config: {
          integrations: {
            github: [{ host: 'github.com', token: 'ghp_ripple' }],
          },
          // Every step reads each delivery back.
          ripple: { rollout: { syncMinutes: 0 } },
        },
      });
      const { call, until, id, delivery } = await proposedMigration(
        backend,
        'Rename amount',
      );
      const RUN = 'https://github.com/acme/revenue/runs/7';
      github.checkRuns = [
        {
          status: 'completed',
          conclusion: 'failure',
          name: 'dbt build',
          html_url: RUN,
        },
      ];
      const started = await call('post', `/migrations/${id}/rollout/start`, {
        plan: {
          waves: [{ name: 'all', percent: 100 }],
          soakMinutes: 0,
          autoAdvance: false,
          autoApprove: true,
          health: { requireSignals: false },
        },
      });
      expect(started.status).toBe(200);

      const paused = await until('the pause', async () => {
        const rollout = (await call('get', `/migrations/${id}/rollout`)).body;
        return rollout.state === 'paused' ? rollout : undefined;
      });
      const breach = `check "dbt build" failed (${RUN})`;
      expect(paused.pausedReason).toBe(`${CONSUMER} is unhealthy: ${breach}`);
      expect(await delivery()).toMatchObject({
        status: 'delivered',
        checks: 'failing',
        failedChecks: [{ name: 'dbt build', url: RUN }],
      });
      const [consumer] = (await call('get', `/migrations/${id}/consumers`)).body
        .items;
      expect(consumer).toMatchObject({
        health: 'unhealthy',
        healthSource: 'checks',
      });
      expect(consumer.healthReason).toBe(breach);

      // Resumed with the check still failing: the wave is held by it, and
      // the same failure does not pause the rollout again.
      expect(
        (await call('post', `/migrations/${id}/rollout/resume`, {})).status,
      ).toBe(200);
      const held = await until('the gate holding', async () => {
        const rollout = (await call('get', `/migrations/${id}/rollout`)).body;
        return rollout.gateReason ? rollout : undefined;
      });
      expect(held.state).toBe('rolling_out');
      expect(held.gateReason).toContain(
        `the checks of ${CONSUMER} fail (dbt build)`,
      );
      // A step decided so, and put it on the timeline.
      await until('the decision on the timeline', async () => {
        const items: MigrationEvent[] = (
          await call('get', `/migrations/${id}/events?limit=100`)
        ).body.items;
        return items.find(
          e =>
            e.type === 'gate-changed' &&
            e.message.includes(`the checks of ${CONSUMER} fail`),
        );
      });

      // The check passes again: the consumer recovers, and the wave waits
      // for the pull request's merge (it soaks from when it runs the patch).
      github.checkRuns = [
        { status: 'completed', conclusion: 'success', name: 'dbt build' },
      ];
      const recovered = await until('the recovery', async () => {
        const [c] = (await call('get', `/migrations/${id}/consumers`)).body
          .items;
        return c.health === 'healthy' ? c : undefined;
      });
      expect(recovered.delivery.failedChecks).toBeUndefined();
      expect(recovered.waitingForMerge).toMatchObject({ overdue: false });
      await until('the gate waiting for the merge', async () => {
        const rollout = (await call('get', `/migrations/${id}/rollout`)).body;
        return rollout.gateReason?.startsWith(
          `waiting for merges: ${CONSUMER} (delivered `,
        )
          ? rollout
          : undefined;
      });

      // Its owners merged it in a way the method cannot see: they say so.
      // Someone else may not.
      const mergedPath = `/api/ripple/migrations/${id}/consumers/${encodeURIComponent(
        CONSUMER,
      )}/merged`;
      const refused = await request(backend.server)
        .post(mergedPath)
        .set(as('analyst'));
      expect(refused.status).toBe(403);
      const merged = await call(
        'post',
        `/migrations/${id}/consumers/${encodeURIComponent(CONSUMER)}/merged`,
        {},
      );
      expect(merged.status).toBe(200);
      expect(merged.body.delivery).toMatchObject({
        status: 'merged',
        message: 'Marked merged by user:default/guest',
      });
      expect(merged.body.waitingForMerge).toBeUndefined();
      // Again: the same answer.
      expect(
        (
          await call(
            'post',
            `/migrations/${id}/consumers/${encodeURIComponent(
              CONSUMER,
            )}/merged`,
            {},
          )
        ).status,
      ).toBe(200);
      await until('the gate opening', async () => {
        const rollout = (await call('get', `/migrations/${id}/rollout`)).body;
        return rollout.gateReason === undefined ? rollout : undefined;
      });

      const events: MigrationEvent[] = await until(
        'the open gate',
        async () => {
          const items: MigrationEvent[] = (
            await call('get', `/migrations/${id}/events?limit=100`)
          ).body.items;
          return items.some(e => e.type === 'gate-changed' && e.data?.ready)
            ? items
            : undefined;
        },
      );
      // Oldest first.
      events.sort((a, b) => a.id - b.id);
      const checks = events.filter(
        e => e.type === 'health-breach' || e.type === 'health-recovered',
      );
      expect(checks.map(e => [e.type, (e.data as any).source])).toEqual([
        ['health-breach', 'checks'],
        ['health-recovered', 'checks'],
      ]);
      const gates = events.filter(e => e.type === 'gate-changed');
      // A decision is recorded when it changes (open right after the
      // delivery, before its checks were read; held by the checks; open
      // again), the last one with the signal it judged by.
      const holding = gates.findIndex(e =>
        e.message.includes(`the checks of ${CONSUMER} fail`),
      );
      expect(holding).toBeGreaterThanOrEqual(0);
      const open = gates.findIndex(
        (e, i) => i > holding && (e.data as any).ready,
      );
      expect(open).toBeGreaterThan(holding);
      gates.slice(1).forEach((e, i) => {
        expect(e.message).not.toBe(gates[i].message);
      });
      expect((gates[open].data as any).signals[CONSUMER]).toMatchObject({
        source: 'checks',
        failedChecks: 0,
      });
      await backend.stop();
    });
  },
);
