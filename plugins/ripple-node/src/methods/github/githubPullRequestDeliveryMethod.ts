import { parseEntityRef } from '@backstage/catalog-model';
import {
  DefaultGithubCredentialsProvider,
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import { Octokit } from '@octokit/rest';
import type {
  Delivery,
  FailedCheck,
  DeliveryReadiness,
  DeliveryRequest,
  RippleDeliveryMethod,
} from '../../delivery';
import { resolveGitTarget } from '../git/gitTarget';
import {
  deliveryBranch,
  deliveryMessage,
  PATCH_TRAILER,
  readTrailer,
  revertBranch,
  revertMessage,
} from '../naming';
import { transientGitHubError, withTransientErrors } from '../transientErrors';
import { applyPatchToFiles } from './applyPatchToFiles';
import {
  baseBranch,
  branchHead as headOf,
  commitPatch,
  deleteBranch,
  readFile,
  repoParams,
  Repository,
  setBranch,
  status,
} from './gitData';

/** Options of {@link createGitHubPullRequestDeliveryMethod}. @public */
export interface GitHubPullRequestDeliveryMethodOptions {
  /** Backstage's SCM integrations (`integrations.github` in app-config). */
  integrations: ScmIntegrationRegistry;
  /** Default: `DefaultGithubCredentialsProvider` (GitHub Apps, then tokens). */
  credentialsProvider?: GithubCredentialsProvider;
  /** Open pull requests as drafts. Default false. */
  draft?: boolean;
}

type PullRequest = Awaited<ReturnType<Octokit['pulls']['get']>>['data'];

const FAILED_CONCLUSIONS = new Set([
  'failure',
  'cancelled',
  'timed_out',
  'action_required',
  'startup_failure',
]);

class GitHubPullRequestDeliveryMethod implements RippleDeliveryMethod {
  readonly id = 'github-pull-request';
  private readonly credentials: GithubCredentialsProvider;

  constructor(
    private readonly options: GitHubPullRequestDeliveryMethodOptions,
  ) {
    this.credentials =
      options.credentialsProvider ??
      DefaultGithubCredentialsProvider.fromIntegrations(options.integrations);
  }

  supports(consumer: DeliveryRequest['consumer']): boolean {
    const located = this.locate(consumer.entity);
    // A repository on a configured host whose API is refused (http://) is
    // still this method's: `checkReady` and `deliver` say why.
    return !('error' in located) || 'onGitHub' in located;
  }

  async deliver(request: DeliveryRequest): Promise<Delivery> {
    const located = this.locate(request.consumer.entity);
    if ('error' in located) {
      return this.failed(
        `No GitHub repository to deliver to: ${located.error}`,
      );
    }
    const repository = await this.connect(located);
    const base = await baseBranch(repository);
    const branch = deliveryBranch(request);
    const { title, body, commitMessage } = deliveryMessage(request);

    // A re-delivery of the same patch keeps its commit (and pull request).
    const branchHead = await headOf(repository, branch);
    let commit: string | undefined;
    if (branchHead) {
      const { data } = await repository.octokit.git.getCommit({
        ...repoParams(repository),
        commit_sha: branchHead,
      });
      if (
        readTrailer(data.message, PATCH_TRAILER) === String(request.patch.id)
      ) {
        commit = branchHead;
      }
    }
    if (!commit) {
      const made = await commitPatch(repository, base, request, commitMessage);
      if ('conflict' in made) {
        return this.failed(made.conflict, branch);
      }
      commit = made.commit;
      await setBranch(repository, branch, commit, branchHead);
    }

    let pull = await this.openPullRequest(repository, branch);
    let message: string | undefined;
    if (!pull) {
      // Already merged (GitHub keeps the branch unless told otherwise): a
      // new pull request from it would have nothing to merge.
      const merged = await this.mergedPullRequest(repository, branch, commit);
      if (merged) {
        return {
          method: this.id,
          status: 'merged',
          url: merged.html_url,
          branch,
          commit,
        };
      }
      ({ pull, message } = await this.createPullRequest(repository, {
        title,
        body,
        head: branch,
        base,
        owners: request.consumer.owners,
      }));
    }
    return {
      method: this.id,
      status: 'delivered',
      url: pull.html_url,
      branch,
      commit,
      ...(message ? { message } : {}),
    };
  }

  async sync(request: DeliveryRequest, delivery: Delivery): Promise<Delivery> {
    const number = pullNumber(delivery.url);
    if (delivery.status === 'reverted' || number === undefined) {
      return delivery;
    }
    const repository = await this.connectFor(request);
    const pull = await this.pull(repository, number);
    const checks = await this.checks(repository, pull.head.sha);
    const synced: Delivery = {
      method: this.id,
      status: 'delivered',
      url: pull.html_url,
      branch: pull.head.ref,
      commit: delivery.commit,
      ...checks,
    };
    if (pull.merged) {
      return { ...synced, status: 'merged' };
    }
    if (pull.state === 'closed') {
      return {
        ...synced,
        status: 'failed',
        message: 'The pull request was closed without being merged',
      };
    }
    return synced;
  }

  async checkReady(
    request: DeliveryRequest,
    delivery: Delivery,
  ): Promise<DeliveryReadiness> {
    const located = this.locate(request.consumer.entity);
    if ('error' in located) {
      return { ready: false, reason: located.error };
    }
    const repository = await this.connect(located);
    const number = pullNumber(delivery.url);
    if (number !== undefined) {
      const pull = await this.pull(repository, number);
      if (pull.merged) {
        return { ready: true, reason: `already merged into ${pull.base.ref}` };
      }
      if (pull.state === 'open') {
        // GitHub computes mergeability in the background: null until it has.
        if (pull.mergeable === null) {
          return {
            ready: false,
            reason:
              'GitHub is still checking whether the pull request can be merged',
          };
        }
        return pull.mergeable
          ? { ready: true }
          : {
              ready: false,
              reason: `The pull request conflicts with ${pull.base.ref}`,
            };
      }
    }
    // Not (or no longer) a pull request: does the patch apply to the base branch now?
    const base = await baseBranch(repository);
    const head = await headOf(repository, base);
    const applied = await applyPatchToFiles(
      request.patch.diff,
      repository.directory,
      path => readFile(repository, path, head!),
    );
    return 'conflict' in applied
      ? {
          ready: false,
          reason: `The patch no longer applies to ${base}: ${applied.conflict}`,
        }
      : { ready: true };
  }

  async revert(
    request: DeliveryRequest,
    delivery: Delivery,
  ): Promise<Delivery> {
    const number = pullNumber(delivery.url);
    if (delivery.status === 'reverted' || number === undefined) {
      return { ...delivery, status: 'reverted' };
    }
    const repository = await this.connectFor(request);
    const pull = await this.pull(repository, number);
    if (!pull.merged) {
      if (pull.state === 'open') {
        await repository.octokit.pulls.update({
          ...repoParams(repository),
          pull_number: number,
          state: 'closed',
        });
      }
      await deleteBranch(repository, pull.head.ref);
      return {
        ...delivery,
        method: this.id,
        status: 'reverted',
        message: 'The pull request was closed and its branch deleted',
      };
    }

    // Merged: a pull request that reverts it, for the owners to merge.
    const branch = revertBranch(request);
    const { title, body, commitMessage } = revertMessage(
      request,
      pull.merge_commit_sha ?? delivery.commit,
    );
    let revertPull = await this.openPullRequest(repository, branch);
    if (!revertPull) {
      const base = pull.base.ref;
      const existing = await headOf(repository, branch);
      const made = await commitPatch(repository, base, request, commitMessage, {
        reverse: true,
      });
      if ('conflict' in made) {
        return {
          ...delivery,
          status: 'failed',
          message: `Cannot revert on ${base}: ${made.conflict}`,
        };
      }
      await setBranch(repository, branch, made.commit, existing);
      ({ pull: revertPull } = await this.createPullRequest(repository, {
        title,
        body,
        head: branch,
        base,
        owners: request.consumer.owners,
      }));
    }
    return {
      method: this.id,
      status: 'reverted',
      url: revertPull.html_url,
      branch,
      commit: delivery.commit,
      message: `Revert pull request #${revertPull.number} opened (${pull.html_url} was merged)`,
    };
  }

  /** The consumer's GitHub repository, or why there is none. */
  private locate(entity: DeliveryRequest['consumer']['entity']) {
    const target = resolveGitTarget(entity, []);
    if ('error' in target) {
      return target;
    }
    const integration = target.webUrl
      ? this.options.integrations.github.byUrl(target.webUrl)
      : undefined;
    if (!integration || !target.webUrl) {
      return {
        error: `${target.url} is not on a GitHub host configured in integrations.github`,
      };
    }
    const apiBaseUrl = integration.config.apiBaseUrl;
    if (apiBaseUrl !== undefined && !apiBaseUrl.startsWith('https://')) {
      // Every call carries the token: never over clear text.
      return {
        error: `integrations.github (host ${integration.config.host}): apiBaseUrl ${apiBaseUrl} is not an https:// URL; Ripple does not send the GitHub token over http://`,
        onGitHub: true,
      };
    }
    const [owner, repo] = new URL(target.webUrl).pathname
      .replace(/^\/|\/$/g, '')
      .split('/');
    return {
      owner,
      repo: repo.replace(/\.git$/, ''),
      baseBranch: target.baseBranch,
      directory: target.directory,
      apiBaseUrl,
      webUrl: target.webUrl,
    };
  }

  private async connect(
    located: Exclude<
      ReturnType<GitHubPullRequestDeliveryMethod['locate']>,
      { error: string }
    >,
  ): Promise<Repository> {
    const { token } = await this.credentials.getCredentials({
      url: located.webUrl,
    });
    if (!token) {
      throw new Error(
        `No GitHub credentials for ${located.webUrl} (integrations.github)`,
      );
    }
    return {
      owner: located.owner,
      repo: located.repo,
      baseBranch: located.baseBranch,
      directory: located.directory,
      octokit: new Octokit({ auth: token, baseUrl: located.apiBaseUrl }),
    };
  }

  private async connectFor(request: DeliveryRequest): Promise<Repository> {
    const located = this.locate(request.consumer.entity);
    if ('error' in located) {
      throw new Error(located.error);
    }
    return this.connect(located);
  }

  private async openPullRequest(repository: Repository, branch: string) {
    const { data } = await repository.octokit.pulls.list({
      ...repoParams(repository),
      head: `${repository.owner}:${branch}`,
      state: 'open',
    });
    return data[0] as PullRequest | undefined;
  }

  /** A merged pull request of `branch` whose head was `commit`. */
  private async mergedPullRequest(
    repository: Repository,
    branch: string,
    commit: string,
  ) {
    const { data } = await repository.octokit.pulls.list({
      ...repoParams(repository),
      head: `${repository.owner}:${branch}`,
      state: 'closed',
    });
    // List items carry `merged_at`, not `merged`.
    return data.find(p => p.merged_at !== null && p.head.sha === commit);
  }

  private async pull(repository: Repository, number: number) {
    const { data } = await repository.octokit.pulls.get({
      ...repoParams(repository),
      pull_number: number,
    });
    return data;
  }

  /** Opens a pull request and asks the owners for reviews. */
  private async createPullRequest(
    repository: Repository,
    options: {
      title: string;
      body: string;
      head: string;
      base: string;
      owners: string[];
    },
  ): Promise<{ pull: PullRequest; message?: string }> {
    const { data } = await repository.octokit.pulls.create({
      ...repoParams(repository),
      title: options.title,
      body: options.body,
      head: options.head,
      base: options.base,
      draft: this.options.draft ?? false,
    });
    const pull = data as PullRequest;
    const message = await this.requestReviews(
      repository,
      pull.number,
      options.owners,
    );
    return { pull, message };
  }

  /**
   * Asks the consumer's owners for reviews. A refused request (an owner who
   * is not a collaborator, say) does not fail the delivery; the message
   * says so.
   */
  private async requestReviews(
    repository: Repository,
    number: number,
    owners: string[],
  ): Promise<string | undefined> {
    const reviewers: string[] = [];
    const teamReviewers: string[] = [];
    for (const owner of owners) {
      const ref = parseEntityRef(owner, { defaultKind: 'group' });
      const kind = ref.kind.toLocaleLowerCase('en-US');
      if (kind === 'user') {
        reviewers.push(ref.name);
      } else if (kind === 'group') {
        teamReviewers.push(ref.name);
      }
    }
    if (reviewers.length === 0 && teamReviewers.length === 0) {
      return undefined;
    }
    try {
      await repository.octokit.pulls.requestReviewers({
        ...repoParams(repository),
        pull_number: number,
        reviewers,
        team_reviewers: teamReviewers,
      });
      return undefined;
    } catch (error) {
      if (status(error) === 422 || status(error) === 404) {
        return `Could not request reviews from ${[
          ...reviewers,
          ...teamReviewers,
        ].join(', ')}: ${(error as Error).message}`;
      }
      throw error;
    }
  }

  /**
   * The combined result of a commit's statuses and check runs, with the
   * failed ones named; nothing when the commit has neither.
   */
  private async checks(
    repository: Repository,
    sha: string,
  ): Promise<Pick<Delivery, 'checks' | 'failedChecks'>> {
    const params = { ...repoParams(repository), ref: sha };
    const [{ data: combined }, { data: runs }] = await Promise.all([
      repository.octokit.repos.getCombinedStatusForRef(params),
      repository.octokit.checks.listForRef({ ...params, per_page: 100 }),
    ]);
    const states: Array<NonNullable<Delivery['checks']>> = [];
    const failed: FailedCheck[] = [];
    // Each status is one context's latest: "failure" and "error" fail.
    for (const commitStatus of combined.statuses ?? []) {
      if (commitStatus.state === 'success') {
        states.push('passing');
      } else if (commitStatus.state === 'pending') {
        states.push('pending');
      } else {
        states.push('failing');
        failed.push(named(commitStatus.context, commitStatus.target_url));
      }
    }
    for (const run of runs.check_runs) {
      if (run.status !== 'completed') {
        states.push('pending');
      } else if (FAILED_CONCLUSIONS.has(run.conclusion ?? '')) {
        states.push('failing');
        failed.push(named(run.name, run.html_url ?? run.details_url));
      } else {
        states.push('passing');
      }
    }
    if (states.length === 0) {
      return {};
    }
    if (states.includes('failing')) {
      return { checks: 'failing', failedChecks: failed };
    }
    return { checks: states.includes('pending') ? 'pending' : 'passing' };
  }

  private failed(message: string, branch?: string): Delivery {
    return { method: this.id, status: 'failed', branch, message };
  }
}

/**
 * Delivers a patch as a GitHub pull request against the consumer's
 * repository (its `backstage.io/source-location`, or `ripple.io/git-repository`
 * when that is a GitHub URL), through the REST API with the credentials of
 * Backstage's GitHub integration: a branch and a commit made with the git
 * data API, a pull request linking back to the migration, and review
 * requests for the consumer's owners (users as reviewers, groups as team
 * reviewers; their entity names must be GitHub logins and team slugs, as
 * the GitHub org provider makes them).
 *
 * @public
 */
export function createGitHubPullRequestDeliveryMethod(
  options: GitHubPullRequestDeliveryMethodOptions,
): RippleDeliveryMethod {
  return withTransientErrors(
    new GitHubPullRequestDeliveryMethod(options),
    transientGitHubError,
  );
}

function named(name: string, url: string | null | undefined): FailedCheck {
  return url ? { name, url } : { name };
}

function pullNumber(url: string | undefined): number | undefined {
  const match = url ? /\/pull\/(\d+)$/.exec(url) : null;
  return match ? Number(match[1]) : undefined;
}
