import fs from 'node:fs/promises';
import path from 'node:path';
import type { Delivery, DeliveryRequest } from '../../delivery';
import {
  CONSUMER_FILES,
  deliveryRequest,
  enginePatch,
} from '../__testUtils__/requests';
import { createGitBranchDeliveryMethod } from './gitBranchDeliveryMethod';
import { TestGitRepository } from '../../testUtils';
import { startGitHttpsServer } from '../__testUtils__/gitHttpsServer';

const BRANCH = 'ripple/3f2a9c1e/revenue-model';
const FILE = 'models/revenue.sql';

describe('git-branch delivery', () => {
  let repo: TestGitRepository;
  let diff: string;
  let patched: Record<string, string>;
  let request: DeliveryRequest;
  let method: ReturnType<typeof createGitBranchDeliveryMethod>;

  beforeAll(async () => {
    ({ diff, patched } = await enginePatch());
  });

  beforeEach(async () => {
    repo = await TestGitRepository.create(CONSUMER_FILES);
    request = deliveryRequest({
      annotations: { 'ripple.io/git-repository': repo.remote },
      diff,
    });
    method = createGitBranchDeliveryMethod({
      localRoots: [repo.root],
      workDir: path.join(repo.root, 'mirrors'),
    });
  });

  afterEach(async () => {
    await repo.remove();
  });

  it('commits the patch on a new branch on top of the base branch', async () => {
    const main = await repo.head('main');
    const delivery = await method.deliver(request);

    expect(delivery).toEqual({
      method: 'git-branch',
      status: 'delivered',
      branch: BRANCH,
      commit: await repo.head(BRANCH),
      url: undefined,
    });
    expect(await repo.show(BRANCH, FILE)).toBe(patched[FILE]);
    expect(await repo.show(BRANCH, FILE)).toContain('o.amount_usd AS amount');
    expect(await repo.show(`${BRANCH}~1`, FILE)).toBe(CONSUMER_FILES[FILE]);
    expect(
      (await repo.gitRemote('rev-parse', `${delivery.commit}~1`)).trim(),
    ).toBe(main);
    const message = await repo.gitRemote(
      'log',
      '-1',
      '--format=%B',
      delivery.commit!,
    );
    expect(message).toContain('Rename orders.amount to amount_usd (Ripple)');
    expect(message).toContain(request.migration.url);
    expect(message).toContain('Ripple-Patch: 1');
    expect(await repo.head('main')).toBe(main);
  });

  it('re-delivers the same patch idempotently, and replaces the branch for a new patch version', async () => {
    const first = await method.deliver(request);
    const again = await method.deliver(request);
    expect(again).toEqual(first);
    expect(await repo.head(BRANCH)).toBe(first.commit);

    const second = await method.deliver({
      ...request,
      patch: { ...request.patch, id: 2 },
    });
    expect(second.status).toBe('delivered');
    expect(second.commit).not.toBe(first.commit);
    expect(await repo.head(BRANCH)).toBe(second.commit);
    expect(await repo.log(BRANCH)).toEqual([
      'Rename orders.amount to amount_usd (Ripple)',
      'Initial commit',
    ]);
  });

  it('is ready while the patch applies to the head of the base branch, and not after a conflicting upstream commit', async () => {
    const delivery = await method.deliver(request);
    expect(await method.checkReady(request, delivery)).toEqual({ ready: true });

    // An unrelated upstream commit keeps it ready.
    await repo.pushCommit('main', { 'README.md': 'Revenue model\n' }, 'Docs');
    expect(await method.checkReady(request, delivery)).toEqual({ ready: true });

    // Someone edits the very lines the patch edits.
    await repo.pushCommit(
      'main',
      {
        [FILE]: CONSUMER_FILES[FILE].replace('o.amount,', 'o.amount AS total,'),
      },
      'Rename the output column',
    );
    const readiness = await method.checkReady(request, delivery);
    expect(readiness.ready).toBe(false);
    expect(readiness.reason).toMatch(
      /^The patch no longer applies to main at [0-9a-f]{8}: .*models\/revenue\.sql/s,
    );
  });

  it('fails a delivery whose patch does not apply, saying why, and pushes nothing', async () => {
    await repo.pushCommit(
      'main',
      { [FILE]: 'SELECT id FROM proj.ds.orders\n' },
      'Rewrite the model',
    );
    const delivery = await method.deliver(request);
    expect(delivery.status).toBe('failed');
    expect(delivery.message).toMatch(
      /^The patch does not apply to main at [0-9a-f]{8}: .*models\/revenue\.sql/s,
    );
    expect(await repo.head(BRANCH)).toBeUndefined();
  });

  it('syncs delivered, then merged once the branch is merged into the base branch', async () => {
    const delivery = await method.deliver(request);
    expect(await method.sync(request, delivery)).toEqual(delivery);

    await repo.merge(BRANCH);
    expect(await method.sync(request, delivery)).toEqual({
      ...delivery,
      status: 'merged',
    });
    expect(await method.checkReady(request, delivery)).toEqual({
      ready: true,
      reason: 'already merged into main',
    });
  });

  it('sees a squash merge as merged, and a branch deleted unmerged as failed', async () => {
    const delivery = await method.deliver(request);
    await repo.merge(BRANCH, { squash: true });
    const synced = await method.sync(request, delivery);
    expect(synced.status).toBe('merged');
    expect(synced.message).toBe('main has the patch (squashed or rebased)');

    const other = await TestGitRepository.create(CONSUMER_FILES);
    try {
      const otherRequest = deliveryRequest({
        annotations: { 'ripple.io/git-repository': other.remote },
        diff,
      });
      const otherMethod = createGitBranchDeliveryMethod({
        localRoots: [other.root],
        workDir: path.join(other.root, 'mirrors'),
      });
      const otherDelivery = await otherMethod.deliver(otherRequest);
      await other.git('push', '--quiet', 'origin', '--delete', BRANCH);
      expect(await otherMethod.sync(otherRequest, otherDelivery)).toMatchObject(
        {
          status: 'failed',
          message: `Branch ${BRANCH} was deleted without being merged into main`,
        },
      );
    } finally {
      await other.remove();
    }
  });

  it('reverts a merged delivery with a revert commit on the base branch, once', async () => {
    const delivery = await method.deliver(request);
    await repo.merge(BRANCH);
    const merged = await method.sync(request, delivery);
    // Work goes on upstream after the merge.
    await repo.pushCommit('main', { 'README.md': 'Revenue model\n' }, 'Docs');

    const reverted = await method.revert(request, merged);
    expect(reverted.status).toBe('reverted');
    expect(reverted.message).toMatch(/^Reverted on main by [0-9a-f]{8}$/);
    expect(reverted.commit).toBe(await repo.head('main'));
    expect(await repo.show('main', FILE)).toBe(CONSUMER_FILES[FILE]);
    expect(await repo.show('main', 'README.md')).toBe('Revenue model\n');
    const [subject] = await repo.log('main');
    expect(subject).toBe(
      'Revert "Rename orders.amount to amount_usd (Ripple)"',
    );
    const body = await repo.gitRemote('log', '-1', '--format=%B', 'main');
    expect(body).toContain(`This reverts commit ${delivery.commit}.`);

    // Reverting again (a retry after a crash, with the old record) adds nothing.
    const head = await repo.head('main');
    const again = await method.revert(request, merged);
    expect(again.status).toBe('reverted');
    expect(await repo.head('main')).toBe(head);
    expect(await method.revert(request, reverted)).toEqual(reverted);
  });

  it('reverts an unmerged delivery by deleting its branch, leaving the base branch alone', async () => {
    const main = await repo.head('main');
    const delivery = await method.deliver(request);
    const reverted = await method.revert(request, delivery);
    expect(reverted).toMatchObject({
      status: 'reverted',
      message: `Branch ${BRANCH} deleted; main never had the patch`,
    });
    expect(await repo.head(BRANCH)).toBeUndefined();
    expect(await repo.head('main')).toBe(main);

    // After a rollback the migration can resume: delivering again works.
    const redelivered = await method.deliver(request);
    expect(redelivered.status).toBe('delivered');
    expect(await repo.head(BRANCH)).toBe(redelivered.commit);
  });

  it('applies the patch below ripple.io/git-directory, on ripple.io/git-base-branch', async () => {
    const mono = await TestGitRepository.create(
      Object.fromEntries(
        Object.entries(CONSUMER_FILES).map(([f, t]) => [
          `teams/revenue/${f}`,
          t,
        ]),
      ),
      'trunk',
    );
    try {
      const monoRequest = deliveryRequest({
        annotations: {
          'ripple.io/git-repository': `file://${mono.remote}`,
          'ripple.io/git-directory': 'teams/revenue/',
          'ripple.io/git-base-branch': 'trunk',
        },
        diff,
      });
      const monoMethod = createGitBranchDeliveryMethod({
        localRoots: [mono.root],
        workDir: path.join(mono.root, 'mirrors'),
      });
      const delivery = await monoMethod.deliver(monoRequest);
      expect(delivery.status).toBe('delivered');
      expect(await mono.show(BRANCH, `teams/revenue/${FILE}`)).toBe(
        patched[FILE],
      );
      await mono.pushCommit(
        'trunk',
        { 'teams/revenue/models/revenue.sql': 'SELECT 2\n' },
        'Conflict',
      );
      expect(
        (await monoMethod.checkReady(monoRequest, delivery)).reason,
      ).toMatch(
        /The patch no longer applies to trunk at .*teams\/revenue\/models\/revenue\.sql/s,
      );
    } finally {
      await mono.remove();
    }
  });

  it('keeps a mirror of the repository, and makes it again when a crash left it broken', async () => {
    const first = await method.deliver(request);
    const mirrors = (await fs.readdir(path.join(repo.root, 'mirrors'))).filter(
      name => !name.startsWith('index-'),
    );
    expect(mirrors).toHaveLength(1);
    // What a fetch killed halfway leaves behind: a held ref lock.
    const mirror = path.join(repo.root, 'mirrors', mirrors[0]);
    await fs.writeFile(path.join(mirror, 'refs', 'mirror', 'main.lock'), '');
    await repo.pushCommit('main', { 'README.md': 'Revenue model\n' }, 'Docs');

    expect(await method.checkReady(request, first)).toEqual({ ready: true });
    expect(await method.sync(request, first)).toEqual(first);
    // Operations leave no index files behind.
    expect(await fs.readdir(path.join(repo.root, 'mirrors'))).toEqual(mirrors);
  });

  it('delivers to a remote over HTTPS with the credentials it is given, and fails without them', async () => {
    const server = await startGitHttpsServer({
      projectRoot: repo.root,
      username: 'x-access-token',
      password: 'ghs_secret',
    });
    const savedCa = process.env.GIT_SSL_CAINFO;
    process.env.GIT_SSL_CAINFO = server.caFile;
    try {
      const remote = deliveryRequest({
        annotations: {
          'ripple.io/git-repository': `${server.url}/remote.git`,
        },
        diff,
      });
      const withToken = createGitBranchDeliveryMethod({
        workDir: path.join(repo.root, 'mirrors'),
        credentials: async url => {
          expect(url).toBe(`${server.url}/remote.git`);
          return { username: 'x-access-token', password: 'ghs_secret' };
        },
      });
      const delivery = await withToken.deliver(remote);
      expect(delivery.status).toBe('delivered');
      expect(await repo.head(BRANCH)).toBe(delivery.commit);
      expect(server.requests).toContain('POST /remote.git/git-receive-pack');
      expect(await withToken.checkReady(remote, delivery)).toEqual({
        ready: true,
      });

      const withoutToken = createGitBranchDeliveryMethod({
        workDir: path.join(repo.root, 'mirrors-2'),
      });
      await expect(withoutToken.deliver(remote)).rejects.toThrow(
        /git ls-remote failed: fatal: Authentication failed/,
      );

      // The same server on http:// is refused before any credential is
      // asked for or sent.
      const credentials = jest.fn();
      const clear = createGitBranchDeliveryMethod({
        workDir: path.join(repo.root, 'mirrors-3'),
        credentials,
      });
      const overHttp = deliveryRequest({
        annotations: {
          'ripple.io/git-repository': `${server.url.replace(
            'https://',
            'http://',
          )}/remote.git`,
        },
        diff,
      });
      expect(await clear.deliver(overHttp)).toEqual({
        method: 'git-branch',
        status: 'failed',
        branch: undefined,
        message: expect.stringContaining(
          'annotation ripple.io/git-repository: "http://127.0.0.1:',
        ),
      });
      expect(credentials).not.toHaveBeenCalled();
    } finally {
      if (savedCa === undefined) delete process.env.GIT_SSL_CAINFO;
      else process.env.GIT_SSL_CAINFO = savedCa;
      await server.close();
    }
  });

  it('refuses local repositories outside ripple.delivery.gitBranch.localRoots', async () => {
    const strict = createGitBranchDeliveryMethod({
      localRoots: ['/nonexistent'],
    });
    // The method takes the consumer (it names its repository) to say why
    // it refuses it.
    expect(strict.supports(request.consumer)).toBe(true);
    const delivery: Delivery = await strict.deliver(request);
    expect(delivery).toEqual({
      method: 'git-branch',
      status: 'failed',
      branch: undefined,
      message: `No git repository to deliver to: component:default/revenue-model: annotation ripple.io/git-repository: ${JSON.stringify(
        repo.remote,
      )} is ${await fs.realpath(
        repo.remote,
      )}, not below a folder of ripple.delivery.gitBranch.localRoots (/nonexistent); accepted: https://, ssh://, user@host:path, or an absolute path or file: URL below ripple.delivery.gitBranch.localRoots`,
    });
    expect(await repo.head(BRANCH)).toBeUndefined();
  });

  it('does not support consumers without a repository', () => {
    const bare = deliveryRequest({ diff });
    expect(method.supports(bare.consumer)).toBe(false);
    expect(
      method.supports(
        deliveryRequest({
          diff,
          annotations: {
            'backstage.io/source-location':
              'url:https://github.com/acme/revenue/tree/main/',
          },
        }).consumer,
      ),
    ).toBe(true);
  });
});
