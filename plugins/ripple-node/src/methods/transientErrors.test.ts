import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { setupServer } from 'msw/node';
import net from 'node:net';
import path from 'node:path';
import { TestGitRepository } from '../testUtils';
import { parseRetryAfter, TransientDeliveryError } from '../transient';
import { FakeGitHub } from '../testUtils/FakeGitHub';
import {
  CONSUMER_FILES,
  deliveryRequest,
  enginePatch,
} from './__testUtils__/requests';
import { createGitBranchDeliveryMethod } from './git/gitBranchDeliveryMethod';
import { createGitHubPullRequestDeliveryMethod } from './github/githubPullRequestDeliveryMethod';

const BRANCH = 'ripple/3f2a9c1e/revenue-model';

/** The error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('transient and permanent delivery errors', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  let github: FakeGitHub;
  let diff: string;

  const method = (apiBaseUrl = 'https://api.github.com') =>
    createGitHubPullRequestDeliveryMethod({
      integrations: ScmIntegrations.fromConfig(
        new ConfigReader({
          integrations: {
            github: [{ host: 'github.com', token: 'ghp_ripple', apiBaseUrl }],
          },
        }),
      ),
    });
  const request = () =>
    deliveryRequest({
      annotations: {
        'backstage.io/source-location':
          'url:https://github.com/acme/revenue/tree/main/',
      },
      owners: ['user:default/alice'],
      diff,
    });

  beforeAll(async () => {
    ({ diff } = await enginePatch());
  });

  beforeEach(() => {
    github = new FakeGitHub('https://api.github.com', 'acme', 'revenue');
    github.seed('main', CONSUMER_FILES);
    server.use(...github.handlers());
  });

  it('GitHub answers 502, then 200: the first attempt is transient, the next one delivers once', async () => {
    github.failNext({ method: 'POST', path: /\/pulls$/, status: 502 });
    const github502 = await rejection(method().deliver(request()));
    expect(TransientDeliveryError.is(github502)).toBe(true);
    expect(github502.message).toMatch(/^GitHub answered 502: /);
    expect((github502 as TransientDeliveryError).retryAfter).toBeUndefined();
    // The branch was pushed before the 502; the retry keeps its commit.
    const commit = github.refs.get(BRANCH);
    expect(commit).toBeDefined();

    const delivery = await method().deliver(request());
    expect(delivery).toMatchObject({
      status: 'delivered',
      url: 'https://github.com/acme/revenue/pull/42',
      commit,
    });
    expect(github.pulls).toHaveLength(1);
  });

  it('a secondary rate limit with Retry-After: retried no sooner than GitHub asks', async () => {
    const { status, headers, body } = FakeGitHub.secondaryRateLimit(120);
    github.failNext({
      method: 'POST',
      path: /\/git\/trees$/,
      status,
      headers,
      body,
    });
    const before = Date.now();
    const limited = (await rejection(
      method().deliver(request()),
    )) as TransientDeliveryError;
    expect(TransientDeliveryError.is(limited)).toBe(true);
    expect(limited.message).toContain("GitHub's secondary rate limit");
    expect(limited.retryAfter!.getTime()).toBeGreaterThanOrEqual(
      before + 120_000,
    );
    expect(limited.retryAfter!.getTime()).toBeLessThanOrEqual(
      Date.now() + 120_000,
    );
    expect((await method().deliver(request())).status).toBe('delivered');
  });

  it('a secondary rate limit without Retry-After waits a minute, as GitHub asks', async () => {
    const { status, headers, body } = FakeGitHub.secondaryRateLimit(
      undefined,
      429,
    );
    github.failNext({
      method: 'GET',
      path: /\/git\/ref\//,
      status,
      headers,
      body,
    });
    const before = Date.now();
    const limited = (await rejection(
      method().checkReady(request(), {
        method: 'github-pull-request',
        status: 'pending',
      }),
    )) as TransientDeliveryError;
    expect(TransientDeliveryError.is(limited)).toBe(true);
    expect(limited.retryAfter!.getTime()).toBeGreaterThanOrEqual(
      before + 60_000,
    );
  });

  it('the primary rate limit: retried at x-ratelimit-reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 900;
    const { status, headers, body } = FakeGitHub.primaryRateLimit(reset);
    github.failNext({
      method: 'GET',
      path: /\/git\/ref\//,
      status,
      headers,
      body,
    });
    const limited = (await rejection(
      method().deliver(request()),
    )) as TransientDeliveryError;
    expect(TransientDeliveryError.is(limited)).toBe(true);
    expect(limited.retryAfter).toEqual(new Date(reset * 1000));
  });

  it('a dropped connection is transient; a 404, a 401 or a 422 is permanent', async () => {
    github.failNext({ method: 'GET', path: /\/git\/ref\//, status: 'network' });
    expect(
      TransientDeliveryError.is(await rejection(method().deliver(request()))),
    ).toBe(true);

    // (On a ref, a 404 means "no such branch": the tree is never missing.)
    for (const status of [401, 404, 422]) {
      github.failNext({
        method: 'POST',
        path: /\/git\/trees$/,
        status,
        body: { message: `answer ${status}` },
      });
      const error = await rejection(method().deliver(request()));
      expect({ status, transient: TransientDeliveryError.is(error) }).toEqual({
        status,
        transient: false,
      });
    }
    // A 403 that is no rate limit (no permission) is permanent too.
    github.failNext({
      method: 'POST',
      path: /\/git\/trees$/,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    expect(
      TransientDeliveryError.is(await rejection(method().deliver(request()))),
    ).toBe(false);
  });

  it('never sends the GitHub token to an http:// API', async () => {
    const clear = method('http://github.example.com/api/v3');
    const consumer = request();
    // The method takes the consumer, to say why it refuses it.
    expect(clear.supports(consumer.consumer)).toBe(true);
    expect(await clear.deliver(consumer)).toEqual({
      method: 'github-pull-request',
      status: 'failed',
      message: expect.stringContaining(
        'apiBaseUrl http://github.example.com/api/v3 is not an https:// URL; Ripple does not send the GitHub token over http://',
      ),
    });
    expect(
      await clear.checkReady(consumer, {
        method: 'github-pull-request',
        status: 'pending',
      }),
    ).toEqual({ ready: false, reason: expect.stringContaining('http://') });
    expect(github.requests).toEqual([]);
  });

  it('git: a remote that cannot be reached is transient; a missing base branch is permanent', async () => {
    const repo = await TestGitRepository.create(CONSUMER_FILES);
    // A port nobody listens on: connection refused.
    const closed = net.createServer();
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise(resolve => closed.close(resolve));
    try {
      const git = createGitBranchDeliveryMethod({
        workDir: path.join(repo.root, 'mirrors'),
      });
      const unreachable = deliveryRequest({
        annotations: {
          'ripple.io/git-repository': `https://127.0.0.1:${port}/remote.git`,
        },
        diff,
      });
      const error = await rejection(git.deliver(unreachable));
      expect(TransientDeliveryError.is(error)).toBe(true);
      expect(error.message).toMatch(
        /git ls-remote failed: .*Failed to connect/,
      );

      // A base branch the repository does not have is no passing trouble.
      const local = createGitBranchDeliveryMethod({
        localRoots: [repo.root],
        workDir: path.join(repo.root, 'mirrors'),
      });
      const permanent = await rejection(
        local.deliver(
          deliveryRequest({
            annotations: {
              'ripple.io/git-repository': repo.remote,
              'ripple.io/git-base-branch': 'no-such-branch',
            },
            diff,
          }),
        ),
      );
      expect(permanent.message).toContain('has no branch no-such-branch');
      expect(TransientDeliveryError.is(permanent)).toBe(false);
    } finally {
      await repo.remove();
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-06T08:00:00Z');
    expect(parseRetryAfter('30', now)).toEqual(new Date(now + 30_000));
    expect(parseRetryAfter('Sun, 06 Dec 2026 08:05:00 GMT', now)).toEqual(
      new Date('2026-12-06T08:05:00Z'),
    );
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
