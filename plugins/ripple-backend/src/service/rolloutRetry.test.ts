import { TestDatabases } from '@backstage/backend-test-utils';
import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import { FakeGitHub } from '@ripple/backstage-plugin-ripple-node/testUtils';
import { setupServer } from 'msw/node';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  GITHUB_CODE as CODE,
  GITHUB_CONSUMER as CONSUMER,
  GITHUB_FILE as FILE,
  proposedMigration,
  writeGitHubCatalog,
} from '../__testUtils__/githubRollout';
import { startRippleTestBackend } from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('transient delivery failures in a rollout', () => {
  const server = setupServer();
  const github = new FakeGitHub('https://api.github.com', 'acme', 'revenue');
  /** When each request reached the fake GitHub. */
  const times: number[] = [];
  let root: string;
  let catalogFile: string;

  beforeAll(async () => {
    github.seed('main', { [FILE]: CODE });
    server.use(...github.handlers());
    server.events.on('request:start', ({ request: req }) => {
      if (req.url.startsWith('https://api.github.com/')) times.push(Date.now());
    });
    // The backend's own requests (the catalog, supertest) go through.
    server.listen({ onUnhandledRequest: 'bypass' });
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-retry-'));
    catalogFile = path.join(root, 'catalog.yaml');
    catalogFile = await writeGitHubCatalog(root);
  });

  /** A backend delivering to the fake GitHub, with a 2 s retry backoff. */
  const startBackend = (syncMinutes: number) =>
    startRippleTestBackend({
      databases,
      databaseId: 'SQLITE_3',
      rollout: { intervalSeconds: 1 },
      locations: [catalogFile],
      config: {
        integrations: {
          github: [{ host: 'github.com', token: 'ghp_ripple' }],
        },
        ripple: {
          rollout: {
            syncMinutes,
            retry: { firstDelaySeconds: 2, maxDelaySeconds: 2 },
          },
          // The consumer index reads the consumer's code on GitHub at
          // startup; its checks every few seconds (the tests' default)
          // would mix its requests with the deliveries' these tests time.
          index: { refreshMinutes: 60 },
        },
      },
    });

  afterAll(async () => {
    server.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('keeps the consumer pending until its next attempt, honouring Retry-After, then delivers once', async () => {
    const backend = await startBackend(60);
    const { call, until, id, delivery } = await proposedMigration(
      backend,
      'Rename amount',
    );

    // The first attempt's pull request meets a 502 (after its branch was
    // pushed); the second one's first read meets a secondary rate limit.
    github.failNext({ method: 'POST', path: /\/pulls$/, status: 502 });

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

    const first = await until('the first transient failure', async () => {
      const d = await delivery();
      return d?.message?.includes('attempt 1') ? d : undefined;
    });
    expect(first).toMatchObject({
      status: 'pending',
      method: 'github-pull-request',
      message: expect.stringMatching(
        /^GitHub answered 502: .*\(attempt 1; trying again at /,
      ),
    });
    // (Queued now: the first attempt reads the same paths. The next attempt
    // is 2 s away.)
    github.failNext({
      method: 'GET',
      path: /\/git\/ref\//,
      ...FakeGitHub.secondaryRateLimit(5),
    });

    const second = await until('the rate limit', async () => {
      const d = await delivery();
      return d?.message?.includes('attempt 2') ? d : undefined;
    });
    expect(second).toMatchObject({
      status: 'pending',
      message: expect.stringContaining("GitHub's secondary rate limit"),
    });
    const limitedAt = times[times.length - 1];
    const nextAttemptAt = Date.parse(
      /trying again at (\S+)\)$/.exec(second.message)![1],
    );
    // Retry-After (5 s) wins over the backoff (2 s).
    expect(nextAttemptAt - limitedAt).toBeGreaterThanOrEqual(4_900);

    const done = await until('the delivery', async () => {
      const d = await delivery();
      return d?.status === 'delivered' ? d : undefined;
    });
    expect(done.url).toBe('https://github.com/acme/revenue/pull/42');
    expect(github.pulls).toHaveLength(1);
    // Nothing was sent to GitHub between the rate limit and the time it
    // gave (the scheduled step ran every second meanwhile).
    const next = times.find(t => t > limitedAt)!;
    expect(next).toBeGreaterThanOrEqual(nextAttemptAt);

    const events: MigrationEvent[] = (
      await call('get', `/migrations/${id}/events?limit=100`)
    ).body.items;
    expect(
      events
        .filter(e => e.consumerRef === CONSUMER)
        .map(e => e.type)
        .filter(t => t !== 'review-recorded'),
    ).toEqual([
      'consumer-added',
      'patch-proposed',
      'delivery-updated',
      'delivery-updated',
      'patch-delivered',
    ]);
    await backend.stop();
  });

  it('keeps a delivered consumer delivered when its sync or revert fails transiently, and tries again after the backoff or Retry-After', async () => {
    // Every step reads each delivery back.
    const backend = await startBackend(0);
    /** The requests that reached the fake GitHub: when, and what. */
    const requests: { at: number; call: string }[] = [];
    server.events.on('request:start', ({ request: req }) => {
      if (req.url.startsWith('https://api.github.com/')) {
        requests.push({
          at: Date.now(),
          call: `${req.method} ${new URL(req.url).pathname}`,
        });
      }
    });
    const { call, until, id, delivery } = await proposedMigration(
      backend,
      'Rename amount again',
    );
    /** The delivery as stored, with the rollout's retry. */
    const stored = async () => {
      const row = await backend
        .knex('rollout_consumer')
        .where({ migration_id: id })
        .first();
      return row?.delivery ? JSON.parse(row.delivery) : undefined;
    };
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
    const delivered = await until('the delivery', async () => {
      const d = await delivery();
      return d?.status === 'delivered' ? d : undefined;
    });
    const pull = new URL(delivered.url).pathname.split('/').pop();
    const pullPath = `/repos/acme/revenue/pulls/${pull}`;

    // The sync: a 502, then (checks passing meanwhile) a 200.
    github.failNext({ method: 'GET', path: /\/pulls\/\d+$/, status: 502 });
    const afterSync = await until('the transient sync failure', async () => {
      const state = await stored();
      return state?.retry ? state : undefined;
    });
    expect(afterSync).toMatchObject({
      status: 'delivered',
      retry: { attempts: 1 },
    });
    const failedAt = requests.filter(r => r.call === `GET ${pullPath}`).pop()!
      .at;
    expect((await delivery()).status).toBe('delivered');
    github.statuses = [{ context: 'ci', state: 'success' }];
    const synced = await until('the sync after the backoff', async () => {
      const d = await delivery();
      return d?.checks === 'passing' ? d : undefined;
    });
    expect(synced.status).toBe('delivered');
    expect((await stored()).retry).toBeUndefined();
    // Not read back before its next attempt (the step ran every second).
    const next = requests.find(
      r => r.call === `GET ${pullPath}` && r.at > failedAt,
    )!;
    expect(next.at).toBeGreaterThanOrEqual(
      Date.parse(afterSync.retry.nextAttemptAt),
    );

    // The revert: closing the pull request meets a secondary rate limit.
    github.failNext({
      method: 'PATCH',
      path: /\/pulls\/\d+$/,
      ...FakeGitHub.secondaryRateLimit(5),
    });
    const rolledBack = await call(
      'post',
      `/migrations/${id}/rollout/rollback`,
      {
        reason: 'retry test',
      },
    );
    expect(rolledBack.status).toBe(200);
    const limited = await until('the transient revert failure', async () => {
      const state = await stored();
      return state?.retry ? state : undefined;
    });
    const limitedAt = requests
      .filter(r => r.call === `PATCH ${pullPath}`)
      .pop()!.at;
    // Still delivered, not failed; tried again at the time GitHub gave.
    expect(limited.status).toBe('delivered');
    expect((await delivery()).status).toBe('delivered');
    const retryAt = Date.parse(limited.retry.nextAttemptAt);
    expect(retryAt - limitedAt).toBeGreaterThanOrEqual(4_900);
    const reverted = await until('the revert', async () => {
      const d = await delivery();
      return d?.status === 'reverted' ? d : undefined;
    });
    expect(reverted.method).toBe('github-pull-request');
    // Nothing was sent to GitHub between the rate limit and its time.
    expect(requests.filter(r => r.at > limitedAt && r.at < retryAt)).toEqual(
      [],
    );
    expect(requests.filter(r => r.call === `PATCH ${pullPath}`)).toHaveLength(
      2,
    );
    const events: MigrationEvent[] = (
      await call('get', `/migrations/${id}/events?limit=100`)
    ).body.items;
    const types = events
      .filter(e => e.consumerRef === CONSUMER)
      .map(e => e.type);
    expect(types).not.toContain('delivery-failed');
    expect(types.slice(-2)).toEqual(['delivery-updated', 'patch-reverted']);
    expect(
      events.find(e => e.message.includes('revert of the delivery'))?.message,
    ).toMatch(
      /failed transiently, retried later: GitHub's secondary rate limit/,
    );
    await backend.stop();
  });
});
