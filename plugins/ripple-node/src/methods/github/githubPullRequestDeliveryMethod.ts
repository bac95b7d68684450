import { parseEntityRef } from '@backstage/catalog-model';
import {
  DefaultGithubCredentialsProvider,
  GithubCredentialsProvider,
  ScmIntegrationRegistry,
} from '@backstage/integration';
import { Octokit } from '@octokit/rest';
import type {
  Delivery,
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

/** Options of {@link createGitHubPullRequestDeliveryMethod}. @public */
export interface GitHubPullRequestDeliveryMethodOptions {
  /** Backstage's SCM integrations (`integrations.github` in app-config). */
  integrations: ScmIntegrationRegistry;
  /** Default: `DefaultGithubCredentialsProvider` (GitHub Apps, then tokens). */
  credentialsProvider?: GithubCredentialsProvider;
  /** Open pull requests as drafts. Default false. */
  draft?: boolean;
}

type Repository = {
  owner: string;
  repo: string;
  baseBranch?: string;
  directory: string;
  octokit: Octokit;
};

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
    const base = await this.baseBranch(repository);
    const branch = deliveryBranch(request);
    const { title, body, commitMessage } = deliveryMessage(request);

    // A re-delivery of the same patch keeps its commit (and pull request).
    const branchHead = await this.branchHead(repository, branch);
    let commit: string | undefined;
    if (branchHead) {
      const { data } = await repository.octokit.git.getCommit({
        ...this.repoParams(repository),
        commit_sha: branchHead,
      });
      if (readTrailer(data.message, PATCH_TRAILER) === request.patch.id) {
        commit = branchHead;
      }
    }
    if (!commit) {
      const made = await this.commitPatch(
        repository,
        base,
        request,
        commitMessage,
      );
      if ('conflict' in made) {
        return this.failed(made.conflict, branch);
      }
      commit = made.commit;
      await this.setBranch(repository, branch, commit, branchHead);
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
      ...(checks ? { checks } : {}),
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
    const base = await this.baseBranch(repository);
    const head = await this.branchHead(repository, base);
    const applied = await applyPatchToFiles(
      request.patch.diff,
      repository.directory,
      path => this.readFile(repository, path, head!),
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
          ...this.repoParams(repository),
          pull_number: number,
          state: 'closed',
        });
      }
      await this.deleteBranch(repository, pull.head.ref);
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
      const existing = await this.branchHead(repository, branch);
      const made = await this.commitPatch(
        repository,
        base,
        request,
        commitMessage,
        {
          reverse: true,
        },
      );
      if ('conflict' in made) {
        return {
          ...delivery,
          status: 'failed',
          message: `Cannot revert on ${base}: ${made.conflict}`,
        };
      }
      await this.setBranch(repository, branch, made.commit, existing);
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

  private repoParams(repository: Repository) {
    return { owner: repository.owner, repo: repository.repo };
  }

  private async baseBranch(repository: Repository): Promise<string> {
    if (repository.baseBranch) {
      return repository.baseBranch;
    }
    const { data } = await repository.octokit.repos.get(
      this.repoParams(repository),
    );
    return data.default_branch;
  }

  private async branchHead(repository: Repository, branch: string) {
    try {
      const { data } = await repository.octokit.git.getRef({
        ...this.repoParams(repository),
        ref: `heads/${branch}`,
      });
      return data.object.sha;
    } catch (error) {
      if (status(error) === 404) {
        return undefined;
      }
      throw error;
    }
  }

  private async readFile(repository: Repository, path: string, ref: string) {
    try {
      const { data } = await repository.octokit.repos.getContent({
        ...this.repoParams(repository),
        path,
        ref,
      });
      if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) {
        return undefined;
      }
      return Buffer.from(data.content, 'base64').toString('utf8');
    } catch (error) {
      if (status(error) === 404) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * The modes the files have in the base tree (`100755` for an executable),
   * so a patched file keeps its own: the contents API does not give them.
   * Read with the git trees API one folder at a time, down the files'
   * folders only (never the whole tree of a large repository); a file not
   * in the base tree (a new one) is absent.
   */
  private async fileModes(
    repository: Repository,
    rootTree: string,
    paths: string[],
  ): Promise<Map<string, FileMode>> {
    const params = this.repoParams(repository);
    const folders = new Map<string, Promise<TreeEntry[] | undefined>>();
    const listing = (folder: string): Promise<TreeEntry[] | undefined> => {
      let entries = folders.get(folder);
      if (!entries) {
        entries = (async () => {
          let sha = rootTree;
          if (folder) {
            const cut = folder.lastIndexOf('/');
            const parent = await listing(cut < 0 ? '' : folder.slice(0, cut));
            const entry = parent?.find(
              e => e.path === folder.slice(cut + 1) && e.type === 'tree',
            );
            if (!entry) return undefined;
            sha = entry.sha;
          }
          const { data } = await repository.octokit.git.getTree({
            ...params,
            tree_sha: sha,
          });
          return data.tree as TreeEntry[];
        })();
        folders.set(folder, entries);
      }
      return entries;
    };
    const modes = new Map<string, FileMode>();
    for (const path of paths) {
      const cut = path.lastIndexOf('/');
      const entries = await listing(cut < 0 ? '' : path.slice(0, cut));
      const entry = entries?.find(
        e => e.path === path.slice(cut + 1) && e.type === 'blob',
      );
      if (entry && FILE_MODES.has(entry.mode as FileMode)) {
        modes.set(path, entry.mode as FileMode);
      }
    }
    return modes;
  }

  /** A commit on the head of `base` with the patch applied (or reversed). */
  private async commitPatch(
    repository: Repository,
    base: string,
    request: DeliveryRequest,
    message: string,
    options: { reverse?: boolean } = {},
  ): Promise<{ commit: string } | { conflict: string }> {
    const baseHead = await this.branchHead(repository, base);
    if (!baseHead) {
      throw new Error(
        `${repository.owner}/${repository.repo} has no branch ${base}`,
      );
    }
    const applied = await applyPatchToFiles(
      request.patch.diff,
      repository.directory,
      path => this.readFile(repository, path, baseHead),
      options,
    );
    if ('conflict' in applied) {
      return {
        conflict: `The patch does not apply to ${base} at ${baseHead.slice(
          0,
          8,
        )}: ${applied.conflict}`,
      };
    }
    const params = this.repoParams(repository);
    const { data: baseCommit } = await repository.octokit.git.getCommit({
      ...params,
      commit_sha: baseHead,
    });
    const modes = await this.fileModes(
      repository,
      baseCommit.tree.sha,
      applied.files.map(file => file.path),
    );
    const { data: tree } = await repository.octokit.git.createTree({
      ...params,
      base_tree: baseCommit.tree.sha,
      tree: applied.files.map(file =>
        file.content === undefined
          ? {
              path: file.path,
              mode: modes.get(file.path) ?? '100644',
              type: 'blob' as const,
              sha: null,
            }
          : {
              path: file.path,
              mode: modes.get(file.path) ?? '100644',
              type: 'blob' as const,
              content: file.content,
            },
      ),
    });
    const { data: commit } = await repository.octokit.git.createCommit({
      ...params,
      message,
      tree: tree.sha,
      parents: [baseHead],
    });
    return { commit: commit.sha };
  }

  /** Points `branch` at `commit`: creates it, or moves it from `current`. */
  private async setBranch(
    repository: Repository,
    branch: string,
    commit: string,
    current: string | undefined,
  ) {
    if (current) {
      await repository.octokit.git.updateRef({
        ...this.repoParams(repository),
        ref: `heads/${branch}`,
        sha: commit,
        force: true,
      });
    } else {
      await repository.octokit.git.createRef({
        ...this.repoParams(repository),
        ref: `refs/heads/${branch}`,
        sha: commit,
      });
    }
  }

  private async deleteBranch(repository: Repository, branch: string) {
    try {
      await repository.octokit.git.deleteRef({
        ...this.repoParams(repository),
        ref: `heads/${branch}`,
      });
    } catch (error) {
      // Already deleted (GitHub answers 422 "Reference does not exist").
      if (status(error) !== 404 && status(error) !== 422) {
        throw error;
      }
    }
  }

  private async openPullRequest(repository: Repository, branch: string) {
    const { data } = await repository.octokit.pulls.list({
      ...this.repoParams(repository),
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
      ...this.repoParams(repository),
      head: `${repository.owner}:${branch}`,
      state: 'closed',
    });
    // List items carry `merged_at`, not `merged`.
    return data.find(p => p.merged_at !== null && p.head.sha === commit);
  }

  private async pull(repository: Repository, number: number) {
    const { data } = await repository.octokit.pulls.get({
      ...this.repoParams(repository),
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
      ...this.repoParams(repository),
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
        ...this.repoParams(repository),
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

  /** The combined result of a commit's statuses and check runs. */
  private async checks(
    repository: Repository,
    sha: string,
  ): Promise<Delivery['checks']> {
    const params = { ...this.repoParams(repository), ref: sha };
    const [{ data: combined }, { data: runs }] = await Promise.all([
      repository.octokit.repos.getCombinedStatusForRef(params),
      repository.octokit.checks.listForRef({ ...params, per_page: 100 }),
    ]);
    const states: Array<NonNullable<Delivery['checks']>> = [];
    // A commit without statuses has a combined state "pending" and no statuses.
    if (combined.total_count > 0) {
      const byState: Record<string, NonNullable<Delivery['checks']>> = {
        success: 'passing',
        pending: 'pending',
      };
      // "failure" and "error" fail.
      states.push(byState[combined.state] ?? 'failing');
    }
    for (const run of runs.check_runs) {
      if (run.status !== 'completed') {
        states.push('pending');
      } else {
        states.push(
          FAILED_CONCLUSIONS.has(run.conclusion ?? '') ? 'failing' : 'passing',
        );
      }
    }
    if (states.length === 0) {
      return undefined;
    }
    if (states.includes('failing')) {
      return 'failing';
    }
    return states.includes('pending') ? 'pending' : 'passing';
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

function pullNumber(url: string | undefined): number | undefined {
  const match = url ? /\/pull\/(\d+)$/.exec(url) : null;
  return match ? Number(match[1]) : undefined;
}

function status(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error
    ? Number((error as { status: unknown }).status)
    : undefined;
}

/** A blob's mode in a git tree: a file, an executable, a link. */
type FileMode = '100644' | '100755' | '120000';
const FILE_MODES = new Set<FileMode>(['100644', '100755', '120000']);
type TreeEntry = { path: string; mode: string; type: string; sha: string };
