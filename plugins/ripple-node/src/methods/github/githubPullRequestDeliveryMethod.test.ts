import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ScmIntegrations } from '@backstage/integration';
import { setupServer } from 'msw/node';
import type { DeliveryRequest } from '../../delivery';
import {
  CONSUMER_FILES,
  deliveryRequest,
  enginePatch,
} from '../__testUtils__/requests';
import { FakeGitHub } from '../../testUtils/FakeGitHub';
import { createGitHubPullRequestDeliveryMethod } from './githubPullRequestDeliveryMethod';

const BRANCH = 'ripple/3f2a9c1e/revenue-model';
const FILE = 'models/revenue.sql';
const REPO = '/repos/acme/revenue';

describe('github-pull-request delivery', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const integrations = ScmIntegrations.fromConfig(
    new ConfigReader({
      integrations: { github: [{ host: 'github.com', token: 'ghp_ripple' }] },
    }),
  );
  const method = createGitHubPullRequestDeliveryMethod({ integrations });

  let github: FakeGitHub;
  let base: string;
  let diff: string;
  let patched: Record<string, string>;
  let request: DeliveryRequest;

  beforeAll(async () => {
    ({ diff, patched } = await enginePatch());
  });

  beforeEach(() => {
    github = new FakeGitHub('https://api.github.com', 'acme', 'revenue');
    base = github.seed('main', CONSUMER_FILES);
    server.use(...github.handlers());
    request = deliveryRequest({
      annotations: {
        'backstage.io/source-location':
          'url:https://github.com/acme/revenue/tree/main/',
      },
      owners: ['user:default/alice', 'group:default/data-platform'],
      diff,
    });
  });

  it('opens a pull request: branch and commit through the git data API, reviewers from the owners', async () => {
    const delivery = await method.deliver(request);

    const commit = github.refs.get(BRANCH)!;
    expect(delivery).toEqual({
      method: 'github-pull-request',
      status: 'delivered',
      url: 'https://github.com/acme/revenue/pull/42',
      branch: BRANCH,
      commit,
    });
    const baseTree = github.commits.get(base)!.tree;
    expect(github.requests).toEqual([
      {
        method: 'GET',
        path: `${REPO}/git/ref/heads/${BRANCH}`,
        authorization: 'token ghp_ripple',
      },
      {
        method: 'GET',
        path: `${REPO}/git/ref/heads/main`,
        authorization: 'token ghp_ripple',
      },
      {
        method: 'GET',
        path: `${REPO}/contents/${FILE}`,
        query: { ref: base },
        authorization: 'token ghp_ripple',
      },
      {
        method: 'GET',
        path: `${REPO}/git/commits/${base}`,
        authorization: 'token ghp_ripple',
      },
      // The modes of the patched files, folder by folder down their path.
      {
        method: 'GET',
        path: `${REPO}/git/trees/${baseTree}`,
        authorization: 'token ghp_ripple',
      },
      {
        method: 'GET',
        path: expect.stringMatching(
          new RegExp(`^${REPO}/git/trees/[0-9a-f]{40}$`),
        ),
        authorization: 'token ghp_ripple',
      },
      {
        method: 'POST',
        path: `${REPO}/git/trees`,
        body: {
          base_tree: baseTree,
          tree: [
            {
              path: FILE,
              mode: '100644',
              type: 'blob',
              content: patched[FILE],
            },
          ],
        },
        authorization: 'token ghp_ripple',
      },
      {
        method: 'POST',
        path: `${REPO}/git/commits`,
        body: {
          message: expect.stringContaining('Ripple-Patch: 1'),
          tree: expect.any(String),
          parents: [base],
        },
        authorization: 'token ghp_ripple',
      },
      {
        method: 'POST',
        path: `${REPO}/git/refs`,
        body: { ref: `refs/heads/${BRANCH}`, sha: commit },
        authorization: 'token ghp_ripple',
      },
      {
        method: 'GET',
        path: `${REPO}/pulls`,
        query: { head: `acme:${BRANCH}`, state: 'open' },
        authorization: 'token ghp_ripple',
      },
      {
        method: 'GET',
        path: `${REPO}/pulls`,
        query: { head: `acme:${BRANCH}`, state: 'closed' },
        authorization: 'token ghp_ripple',
      },
      {
        method: 'POST',
        path: `${REPO}/pulls`,
        body: {
          title: 'Rename orders.amount to amount_usd (Ripple)',
          body: expect.stringContaining(request.migration.url),
          head: BRANCH,
          base: 'main',
          draft: false,
        },
        authorization: 'token ghp_ripple',
      },
      {
        method: 'POST',
        path: `${REPO}/pulls/42/requested_reviewers`,
        body: { reviewers: ['alice'], team_reviewers: ['data-platform'] },
        authorization: 'token ghp_ripple',
      },
    ]);
    expect(github.filesAt(commit)[FILE]).toContain('o.amount_usd AS amount');
    expect(github.filesAt(commit)['models/untouched.sql']).toBe(
      CONSUMER_FILES['models/untouched.sql'],
    );
    expect(github.pulls[0].body).toContain(
      `[Rename orders.amount to amount_usd](${request.migration.url})`,
    );
  });

  it('keeps the mode each file has in the base tree: an executable stays 100755', async () => {
    base = github.seed('main', {}, 'Make the model executable', {
      [FILE]: '100755',
    });
    const delivery = await method.deliver(request);

    const commit = github.refs.get(BRANCH)!;
    expect(delivery.status).toBe('delivered');
    expect(
      github.requests.find(
        r => r.method === 'POST' && r.path === `${REPO}/git/trees`,
      )?.body,
    ).toEqual({
      base_tree: github.commits.get(base)!.tree,
      tree: [
        { path: FILE, mode: '100755', type: 'blob', content: patched[FILE] },
      ],
    });
    expect(github.modeAt(commit, FILE)).toBe('100755');
    expect(github.modeAt(commit, 'models/untouched.sql')).toBe('100644');
    expect(github.filesAt(commit)[FILE]).toBe(patched[FILE]);

    // The revert of the merged pull request keeps it too.
    github.merge(github.pulls[0].number);
    const reverted = await method.revert(
      request,
      await method.sync(request, delivery),
    );
    expect(reverted.status).toBe('reverted');
    const revertBranch = [...github.refs.keys()].find(b =>
      b.startsWith('ripple/revert/'),
    )!;
    const revertCommit = github.refs.get(revertBranch)!;
    expect(github.filesAt(revertCommit)[FILE]).toBe(CONSUMER_FILES[FILE]);
    expect(github.modeAt(revertCommit, FILE)).toBe('100755');
  });

  it('delivers even when GitHub refuses a review request, saying so', async () => {
    const delivery = await method.deliver({
      ...request,
      consumer: { ...request.consumer, owners: ['user:default/mallory'] },
    });
    expect(delivery.status).toBe('delivered');
    expect(delivery.message).toMatch(
      /^Could not request reviews from mallory: Reviews may only be requested from collaborators/,
    );
  });

  it('re-delivers the same patch without a new commit or pull request', async () => {
    const first = await method.deliver(request);
    github.requests.length = 0;
    expect(await method.deliver(request)).toEqual(first);
    expect(github.calls()).toEqual([
      `GET ${REPO}/git/ref/heads/${BRANCH}`,
      `GET ${REPO}/git/commits/${first.commit}`,
      `GET ${REPO}/pulls`,
    ]);
    expect(github.pulls).toHaveLength(1);
  });

  it('re-delivers a merged patch whose branch was kept as merged, without a new pull request', async () => {
    const first = await method.deliver(request);
    github.merge(42);
    github.requests.length = 0;
    expect(await method.deliver(request)).toEqual({
      ...first,
      status: 'merged',
    });
    expect(github.calls()).toEqual([
      `GET ${REPO}/git/ref/heads/${BRANCH}`,
      `GET ${REPO}/git/commits/${first.commit}`,
      `GET ${REPO}/pulls`,
      `GET ${REPO}/pulls`,
    ]);
    expect(github.requests[3].query).toEqual({
      head: `acme:${BRANCH}`,
      state: 'closed',
    });
    expect(github.pulls).toHaveLength(1);
  });

  it('moves the open pull request to a new patch version', async () => {
    const first = await method.deliver(request);
    github.requests.length = 0;
    const second = await method.deliver({
      ...request,
      patch: { ...request.patch, id: 2 },
    });
    expect(second.url).toBe(first.url);
    expect(second.commit).not.toBe(first.commit);
    expect(github.requests.find(r => r.method === 'PATCH')).toMatchObject({
      path: `${REPO}/git/refs/heads/${BRANCH}`,
      body: { sha: second.commit, force: true },
    });
    expect(github.pulls).toHaveLength(1);
    expect(github.pulls[0].headSha).toBe(second.commit);
  });

  it('finds the default branch when the source location names none', async () => {
    const req = deliveryRequest({
      annotations: {
        'backstage.io/source-location': 'url:https://github.com/acme/revenue',
      },
      diff,
    });
    const delivery = await method.deliver(req);
    expect(delivery.status).toBe('delivered');
    expect(github.calls()[0]).toBe(`GET ${REPO}`);
    expect(github.pulls[0].base).toBe('main');
  });

  it('fails, sending nothing, when the patch does not apply to the base branch', async () => {
    github.seed(
      'main',
      { [FILE]: 'SELECT id FROM proj.ds.orders\n' },
      'Rewrite',
    );
    const delivery = await method.deliver(request);
    expect(delivery).toEqual({
      method: 'github-pull-request',
      status: 'failed',
      branch: BRANCH,
      message: expect.stringMatching(
        /^The patch does not apply to main at [0-9a-f]{8}: models\/revenue\.sql: the patch does not apply$/,
      ),
    });
    expect(github.requests.filter(r => r.method !== 'GET')).toEqual([]);
  });

  it('syncs the pull request: open with its combined checks, merged, closed', async () => {
    const delivery = await method.deliver(request);
    expect(await method.sync(request, delivery)).toEqual(delivery);

    github.statuses = [
      { context: 'lint', state: 'success' },
      { context: 'docs', state: 'success' },
    ];
    github.checkRuns = [{ status: 'in_progress', conclusion: null }];
    expect((await method.sync(request, delivery)).checks).toBe('pending');
    github.checkRuns = [
      { status: 'completed', conclusion: 'success' },
      { status: 'completed', conclusion: 'skipped' },
    ];
    expect((await method.sync(request, delivery)).checks).toBe('passing');
    github.checkRuns = [
      {
        status: 'completed',
        conclusion: 'timed_out',
        name: 'build',
        html_url: 'https://github.example/runs/7',
      },
    ];
    // The failed checks are named, with where to read them.
    expect(await method.sync(request, delivery)).toMatchObject({
      checks: 'failing',
      failedChecks: [{ name: 'build', url: 'https://github.example/runs/7' }],
    });
    github.checkRuns = [];
    github.statuses = [
      { context: 'lint', state: 'success' },
      { context: 'ci/jenkins', state: 'error' },
    ];
    expect(await method.sync(request, delivery)).toMatchObject({
      checks: 'failing',
      failedChecks: [{ name: 'ci/jenkins' }],
    });
    // Passing again: no failed checks are left on the delivery.
    github.statuses = [{ context: 'ci/jenkins', state: 'success' }];
    expect((await method.sync(request, delivery)).failedChecks).toBeUndefined();
    expect(github.calls().slice(-3)).toEqual([
      `GET ${REPO}/pulls/42`,
      `GET ${REPO}/commits/${delivery.commit}/status`,
      `GET ${REPO}/commits/${delivery.commit}/check-runs`,
    ]);

    const other = await method.deliver({
      ...request,
      consumer: { ...request.consumer, ref: 'component:default/other' },
    });
    github.pulls[1].state = 'closed';
    expect(await method.sync(request, other)).toMatchObject({
      status: 'failed',
      message: 'The pull request was closed without being merged',
    });

    github.merge(42);
    expect(await method.sync(request, delivery)).toMatchObject({
      status: 'merged',
      url: delivery.url,
    });
  });

  it('is ready when GitHub finds the pull request mergeable', async () => {
    const delivery = await method.deliver(request);
    expect(await method.checkReady(request, delivery)).toEqual({ ready: true });
    github.pulls[0].mergeable = null;
    expect(await method.checkReady(request, delivery)).toEqual({
      ready: false,
      reason: 'GitHub is still checking whether the pull request can be merged',
    });
    github.pulls[0].mergeable = false;
    expect(await method.checkReady(request, delivery)).toEqual({
      ready: false,
      reason: 'The pull request conflicts with main',
    });
    // Before delivery: whether the patch applies to the base branch's head.
    const pending = {
      method: 'github-pull-request',
      status: 'pending' as const,
    };
    expect(await method.checkReady(request, pending)).toEqual({ ready: true });
    github.seed('main', { [FILE]: 'SELECT 2\n' }, 'Conflict');
    expect(await method.checkReady(request, pending)).toEqual({
      ready: false,
      reason:
        'The patch no longer applies to main: models/revenue.sql: the patch does not apply',
    });
  });

  it('reverts an open pull request by closing it and deleting its branch', async () => {
    const delivery = await method.deliver(request);
    github.requests.length = 0;
    const reverted = await method.revert(request, delivery);
    expect(reverted).toEqual({
      ...delivery,
      status: 'reverted',
      message: 'The pull request was closed and its branch deleted',
    });
    expect(github.requests.map(({ authorization, ...r }) => r)).toEqual([
      { method: 'GET', path: `${REPO}/pulls/42` },
      { method: 'PATCH', path: `${REPO}/pulls/42`, body: { state: 'closed' } },
      { method: 'DELETE', path: `${REPO}/git/refs/heads/${BRANCH}` },
    ]);
    expect(github.refs.has(BRANCH)).toBe(false);
    expect(await method.revert(request, reverted)).toEqual(reverted);
  });

  it('reverts a merged pull request with a revert pull request, once', async () => {
    const delivery = await method.deliver(request);
    github.merge(42);
    const reverted = await method.revert(request, delivery);
    expect(reverted).toEqual({
      method: 'github-pull-request',
      status: 'reverted',
      url: 'https://github.com/acme/revenue/pull/43',
      branch: 'ripple/revert/3f2a9c1e/revenue-model',
      commit: delivery.commit,
      message:
        'Revert pull request #43 opened (https://github.com/acme/revenue/pull/42 was merged)',
    });
    const revertPull = github.pulls[1];
    expect(revertPull).toMatchObject({
      title: 'Revert "Rename orders.amount to amount_usd (Ripple)"',
      base: 'main',
      head: 'ripple/revert/3f2a9c1e/revenue-model',
    });
    expect(github.filesAt(revertPull.headSha)[FILE]).toBe(CONSUMER_FILES[FILE]);
    expect(github.commits.get(revertPull.headSha)!.parents).toEqual([
      github.refs.get('main'),
    ]);

    // A retry with the old record finds the open revert pull request.
    expect(await method.revert(request, delivery)).toEqual(reverted);
    expect(github.pulls).toHaveLength(2);
  });

  it('supports only consumers on a configured GitHub host', () => {
    expect(method.supports(request.consumer)).toBe(true);
    const gitlab = deliveryRequest({
      annotations: {
        'backstage.io/source-location':
          'url:https://gitlab.com/acme/revenue/-/tree/main/',
      },
      diff,
    });
    expect(method.supports(gitlab.consumer)).toBe(false);
    expect(method.supports(deliveryRequest({ diff }).consumer)).toBe(false);
  });
});
