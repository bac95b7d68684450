import { TestDatabases } from '@backstage/backend-test-utils';
import { FakeGitHub } from '@ripple/backstage-plugin-ripple-node/testUtils';
import { setupServer } from 'msw/node';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  GITHUB_CODE,
  GITHUB_CONSUMER,
  GITHUB_FILE,
  writeGitHubCatalog,
} from '../__testUtils__/githubRollout';
import {
  as,
  refreshConsumerIndex,
  startRippleTestBackend,
} from '../__testUtils__/testBackend';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

// The plugin's own reads go through RateLimitedUrlReader (plugin.ts): a
// consumer on github.com (a fake GitHub, msw) whose first read (the consumer
// index's) meets the primary rate limit is read after the reset, not
// reported as unreadable.
describe("the plugin's SCM reads", () => {
  const server = setupServer();
  const github = new FakeGitHub('https://api.github.com', 'acme', 'revenue');
  let root: string;
  let catalogFile: string;

  beforeAll(async () => {
    github.seed('main', { [GITHUB_FILE]: GITHUB_CODE });
    server.use(...github.handlers());
    // The backend's own requests (the catalog, supertest) go through.
    server.listen({ onUnhandledRequest: 'bypass' });
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-scm-'));
    catalogFile = await writeGitHubCatalog(root);
  });

  afterAll(async () => {
    server.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  it("wait out github.com's rate limit: the dataset's code lists the consumer's files, read after the reset", async () => {
    const backend = await startRippleTestBackend({
      databases,
      databaseId: 'SQLITE_3',
      locations: [catalogFile],
      config: {
        integrations: {
          github: [{ host: 'github.com', token: 'ghp_ripple' }],
        },
        ripple: { scm: { concurrency: 2, maxWaitSeconds: 30 } },
      },
    });
    try {
      const get = (url: string) =>
        request(backend.server).get(url).set(as('guest'));
      const deadline = Date.now() + 60_000;
      while (
        (
          await get(
            '/api/catalog/entities/by-name/component/default/retry-consumer',
          )
        ).status !== 200
      ) {
        if (Date.now() > deadline) throw new Error('Timed out: the catalog');
        await new Promise(r => setTimeout(r, 100));
      }
      // (The index may have read it once already, before the limit.)
      const before = github.timeline.length;
      const reset = Math.ceil(Date.now() / 1000) + 1;
      github.failNext({
        method: 'GET',
        path: /\/status$/,
        ...FakeGitHub.primaryRateLimit(reset),
      });

      // The consumer index reads the code (in the background; here, Backstage's
      // mock scheduler runs it inside the refresh's request).
      await refreshConsumerIndex(backend.server);
      const res = await get(
        `/api/ripple/datasets/${encodeURIComponent(
          'resource:default/retry-orders',
        )}/code`,
      );

      expect(res.status).toBe(200);
      const consumer = res.body.consumers.find(
        (c: { consumerRef: string }) => c.consumerRef === GITHUB_CONSUMER,
      );
      expect(consumer.error).toBeUndefined();
      expect(consumer.files).toEqual([
        expect.objectContaining({ path: GITHUB_FILE, content: GITHUB_CODE }),
      ]);
      const reads = github.timeline
        .slice(before)
        .filter(t => t.path.endsWith('/status'));
      expect(reads.map(t => t.status)).toEqual([403, 200]);
      expect(reads[1].start).toBeGreaterThanOrEqual(reset * 1000);
    } finally {
      await backend.stop();
    }
  });
});
