import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockServices } from '@backstage/backend-test-utils';
import { FakeGitHub } from '@ripple/backstage-plugin-ripple-node/testUtils';
import { setupServer } from 'msw/node';
import {
  RateLimitedUrlReader,
  ScmRateLimitError,
} from './RateLimitedUrlReader';

// The real GithubUrlReader of @backstage/backend-defaults, pointed at fake
// GitHub APIs (msw) for github.com and a GitHub Enterprise host, wrapped by
// Ripple's reader. `readTree` asks GitHub for the branch's combined status
// (its sha and archive URL), then downloads the tarball: two requests.
const FILE = 'models/revenue.sql';
const CODE = 'SELECT o.id, o.amount\nFROM proj.ds.orders AS o\n';
const GITHUB_URL = 'https://github.com/acme/revenue/tree/main/';
const GHE_URL = 'https://ghe.acme.test/acme/revenue/tree/main/';

describe('RateLimitedUrlReader', () => {
  const server = setupServer();
  let github: FakeGitHub;
  let ghe: FakeGitHub;
  const readers: RateLimitedUrlReader[] = [];

  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());
  beforeEach(() => {
    github = new FakeGitHub('https://api.github.com', 'acme', 'revenue');
    ghe = new FakeGitHub('https://ghe.acme.test/api/v3', 'acme', 'revenue');
    github.seed('main', { [FILE]: CODE });
    ghe.seed('main', { [FILE]: CODE });
    server.resetHandlers(...github.handlers(), ...ghe.handlers());
  });
  // Each reader observes every answer of the process until it is closed.
  afterEach(() => readers.splice(0).forEach(reader => reader.close()));

  function rateLimitedReader(scm: object = {}) {
    const config = mockServices.rootConfig({
      data: {
        integrations: {
          github: [
            { host: 'github.com', token: 'ghp_ripple' },
            {
              host: 'ghe.acme.test',
              apiBaseUrl: 'https://ghe.acme.test/api/v3',
              token: 'ghp_enterprise',
            },
          ],
        },
        ripple: { scm },
      },
    });
    const logger = mockServices.logger.mock();
    const reader = RateLimitedUrlReader.fromConfig(
      config,
      UrlReaders.default({ config, logger }),
      { logger },
    );
    readers.push(reader);
    return reader;
  }

  async function codeOf(tree: { files(): Promise<any[]> }) {
    const files = await tree.files();
    return Object.fromEntries(
      await Promise.all(
        files.map(async f => [f.path, (await f.content()).toString('utf8')]),
      ),
    );
  }

  /** Resolves once the fake answered a request with `status`. */
  async function answered(fake: FakeGitHub, status: number) {
    while (!fake.timeline.some(t => t.status === status)) {
      await new Promise(r => setTimeout(r, 5));
    }
    return fake.timeline.find(t => t.status === status)!;
  }

  it('waits until the primary rate limit resets (x-ratelimit-reset), then reads', async () => {
    const reader = rateLimitedReader();
    const reset = Math.ceil(Date.now() / 1000) + 1;
    github.failNext({
      method: 'GET',
      path: /\/status$/,
      ...FakeGitHub.primaryRateLimit(reset),
    });

    const tree = await reader.readTree(GITHUB_URL);

    expect(await codeOf(tree)).toEqual({ [FILE]: CODE });
    const [refused, status, tarball] = github.timeline;
    expect(github.timeline.map(t => `${t.status} ${t.path}`)).toEqual([
      `403 /repos/acme/revenue/commits/main/status`,
      `200 /repos/acme/revenue/commits/main/status`,
      expect.stringMatching(/^200 \/repos\/acme\/revenue\/tarball\/[0-9a-f]+$/),
    ]);
    // No request before the reset, and the read went on right after it.
    expect(status.start).toBeGreaterThanOrEqual(reset * 1000);
    expect(status.start - reset * 1000).toBeLessThan(1000);
    expect(tarball.start).toBeGreaterThanOrEqual(status.end);
    expect(refused.start).toBeLessThan(reset * 1000);
  });

  it('holds every read to the limited host until retry-after passes, and not the reads to another host', async () => {
    const reader = rateLimitedReader();
    github.failNext({
      method: 'GET',
      path: /\/status$/,
      ...FakeGitHub.secondaryRateLimit(2, 429),
    });
    const first = reader.readTree(GITHUB_URL);
    const refused = await answered(github, 429);
    while (!reader.limitOf('github.com')) {
      await new Promise(r => setTimeout(r, 5));
    }

    // Started while github.com is limited: one to it, one to the
    // Enterprise host.
    const second = reader.readTree(GITHUB_URL);
    const other = await reader.readTree(GHE_URL);
    const otherDone = Date.now();

    expect(await codeOf(other)).toEqual({ [FILE]: CODE });
    expect(otherDone).toBeLessThan(refused.start + 2000);
    for (const tree of await Promise.all([first, second])) {
      expect(await codeOf(tree)).toEqual({ [FILE]: CODE });
    }
    // After the refusal, no request reached github.com before retry-after
    // had passed: the second read spent none on the limit.
    const after = github.timeline.filter(t => t !== refused);
    expect(after).toHaveLength(4);
    for (const request of after) {
      expect(request.start).toBeGreaterThanOrEqual(refused.start + 2000);
    }
    expect(ghe.timeline.map(t => t.status)).toEqual([200, 200]);
  });

  it('keeps at most the configured reads in flight per host', async () => {
    const reader = rateLimitedReader({
      concurrency: 5,
      hosts: [{ host: 'github.com', concurrency: 3 }],
    });
    github.latencyMs = 50;
    ghe.latencyMs = 50;

    const trees = await Promise.all([
      ...Array.from({ length: 12 }, () => reader.readTree(GITHUB_URL)),
      ...Array.from({ length: 12 }, () => reader.readTree(GHE_URL)),
    ]);

    expect(trees).toHaveLength(24);
    expect(github.timeline).toHaveLength(24);
    expect(github.maxInFlight).toBe(3);
    expect(ghe.timeline).toHaveLength(24);
    expect(ghe.maxInFlight).toBe(5);
  });

  it('fails at once on a 403 that is not a rate limit (a permission error)', async () => {
    const reader = rateLimitedReader();
    github.failNext({
      method: 'GET',
      path: /\/status$/,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    const started = Date.now();

    await expect(reader.readTree(GITHUB_URL)).rejects.toThrow(/403 Forbidden/);

    expect(Date.now() - started).toBeLessThan(1000);
    expect(github.timeline.map(t => t.status)).toEqual([403]);
    // The host is not held: the next read goes at once.
    await reader.readTree(GITHUB_URL);
    expect(github.timeline.map(t => t.status)).toEqual([403, 200, 200]);
  });

  it('fails with an error naming the host and the reset when the reset is past the max wait', async () => {
    const reader = rateLimitedReader({ maxWaitSeconds: 1 });
    const reset = Math.ceil(Date.now() / 1000) + 60;
    github.failNext({
      method: 'GET',
      path: /\/status$/,
      ...FakeGitHub.primaryRateLimit(reset),
    });
    const started = Date.now();

    const error = await reader.readTree(GITHUB_URL).catch(e => e);

    expect(error).toBeInstanceOf(ScmRateLimitError);
    const iso = new Date(reset * 1000).toISOString();
    expect(error.message).toMatch(
      new RegExp(
        `^github\\.com is rate limited until ${iso} \\(in (\\d+) s\\), longer than a read waits \\(ripple\\.scm\\.maxWaitSeconds: 1\\); caused by Error: .*, 403 Forbidden \\(rate limit exceeded\\)$`,
      ),
    );
    const seconds = Number(/\(in (\d+) s\)/.exec(error.message)![1]);
    expect(seconds).toBeGreaterThanOrEqual(59);
    expect(seconds).toBeLessThanOrEqual(61);
    expect(error.host).toBe('github.com');
    expect(error.resetAt).toEqual(new Date(reset * 1000));
    expect(Date.now() - started).toBeLessThan(1000);
    // A later read to the host fails the same way without asking it.
    await expect(reader.readTree(GITHUB_URL)).rejects.toThrow(
      /^github\.com is rate limited until/,
    );
    expect(github.timeline.map(t => t.status)).toEqual([403]);
  });

  it('backs off with jitter on a 429 without a reset time', async () => {
    const reader = rateLimitedReader({ backoffSeconds: 0.5 });
    github.failNext({ method: 'GET', path: /\/status$/, status: 429 });
    github.failNext({ method: 'GET', path: /\/status$/, status: 429 });

    await reader.readTree(GITHUB_URL);

    const [first, second, third] = github.timeline;
    expect(github.timeline.map(t => t.status)).toEqual([429, 429, 200, 200]);
    // Half of each delay is fixed: 0.5 s, then 1 s, each up to twice that.
    expect(second.start - first.end).toBeGreaterThanOrEqual(250);
    expect(second.start - first.end).toBeLessThan(1000);
    expect(third.start - second.end).toBeGreaterThanOrEqual(500);
    expect(third.start - second.end).toBeLessThan(2000);
  });

  it('passes NotModifiedError and NotFoundError through untouched', async () => {
    const reader = rateLimitedReader();
    const sha = github.refs.get('main')!;

    await expect(
      reader.readTree(GITHUB_URL, { etag: sha }),
    ).rejects.toMatchObject({ name: 'NotModifiedError' });
    await expect(
      reader.readTree('https://github.com/acme/revenue/tree/nope/'),
    ).rejects.toMatchObject({ name: 'NotFoundError' });

    expect(github.timeline.map(t => t.status)).toEqual([200, 404]);
  });
});
