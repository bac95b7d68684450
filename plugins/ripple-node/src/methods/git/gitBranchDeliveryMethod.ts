import type {
  Delivery,
  DeliveryReadiness,
  DeliveryRequest,
  RippleDeliveryMethod,
} from '../../delivery';
import {
  deliveryBranch,
  deliveryMessage,
  PATCH_TRAILER,
  readTrailer,
  revertMessage,
} from '../naming';
import {
  branchWebUrl,
  GitTarget,
  namesRepository,
  resolveGitTarget,
} from './gitTarget';
import { transientGitError, withTransientErrors } from '../transientErrors';
import {
  GitAuthor,
  GitCredentials,
  MirrorRepository,
} from './MirrorRepository';

/** Options of {@link createGitBranchDeliveryMethod}. @public */
export interface GitBranchDeliveryMethodOptions {
  /** Who commits; default `Ripple <ripple@backstage.local>`. */
  author?: { name: string; email: string };
  /**
   * Directories below which local repositories (a path or `file:` URL in
   * `ripple.io/git-repository`) may be written to. Default: none.
   */
  localRoots?: string[];
  /** Credentials for a remote repository's URL (see `createScmGitCredentials`). */
  credentials?: (url: string) => Promise<GitCredentials | undefined>;
  /** Where mirrors of the repositories are kept; default `ripple-git` in the OS temporary directory. */
  workDir?: string;
}

const DEFAULT_AUTHOR: GitAuthor = {
  name: 'Ripple',
  email: 'ripple@backstage.local',
};

// A push to the base branch races other pushes; retried this many times.
const REVERT_PUSH_ATTEMPTS = 3;

type Context = {
  repository: MirrorRepository;
  target: GitTarget;
  base: string;
  baseHead: string;
  branch: string;
  branchHead: string | undefined;
};

class GitBranchDeliveryMethod implements RippleDeliveryMethod {
  readonly id = 'git-branch';

  constructor(private readonly options: GitBranchDeliveryMethodOptions) {}

  supports(consumer: DeliveryRequest['consumer']): boolean {
    // An entity that names its repository is this method's even when the
    // name is refused: `checkReady` and `deliver` then say why, naming the
    // entity and the annotation.
    return (
      namesRepository(consumer.entity) ||
      !('error' in this.target(consumer.entity))
    );
  }

  async deliver(request: DeliveryRequest): Promise<Delivery> {
    const target = this.target(request.consumer.entity);
    if ('error' in target) {
      return this.failed(`No git repository to deliver to: ${target.error}`);
    }
    return this.withRepository(request, target, async ctx => {
      const { repository, branch, branchHead } = ctx;
      // A re-delivery of the same patch finds its commit and keeps it.
      if (branchHead) {
        const message = await repository.commitMessage(branchHead);
        if (readTrailer(message, PATCH_TRAILER) === String(request.patch.id)) {
          return this.status(request, ctx, branchHead);
        }
      }
      const applied = await repository.applyPatch(
        ctx.baseHead,
        request.patch.diff,
        target.directory,
      );
      if ('conflict' in applied) {
        if (
          await repository.contains(
            ctx.baseHead,
            request.patch.diff,
            target.directory,
          )
        ) {
          return this.delivery(ctx, {
            status: 'merged',
            message: `${ctx.base} already has this patch`,
          });
        }
        return this.failed(
          `The patch does not apply to ${ctx.base} at ${short(ctx.baseHead)}: ${
            applied.conflict
          }`,
          branch,
        );
      }
      const commit = await repository.commitTree(
        applied.tree,
        ctx.baseHead,
        deliveryMessage(request).commitMessage,
      );
      // Replaces the branch of an older patch version; fails if anyone
      // moved the branch since it was read.
      await repository.push(branch, commit, branchHead);
      return this.delivery(ctx, { status: 'delivered', commit });
    });
  }

  async sync(request: DeliveryRequest, delivery: Delivery): Promise<Delivery> {
    if (delivery.status === 'reverted' || !delivery.commit) {
      return delivery;
    }
    const target = this.target(request.consumer.entity);
    if ('error' in target) {
      return { ...delivery, status: 'failed', message: target.error };
    }
    return this.withRepository(request, target, ctx =>
      this.status(request, ctx, delivery.commit!),
    );
  }

  async checkReady(
    request: DeliveryRequest,
    delivery: Delivery,
  ): Promise<DeliveryReadiness> {
    const target = this.target(request.consumer.entity);
    if ('error' in target) {
      return { ready: false, reason: target.error };
    }
    return this.withRepository(request, target, async ctx => {
      const { repository, base, baseHead } = ctx;
      if (
        delivery.commit &&
        (await repository.isAncestor(delivery.commit, baseHead))
      ) {
        return { ready: true, reason: `already merged into ${base}` };
      }
      const check = await repository.applyPatch(
        baseHead,
        request.patch.diff,
        target.directory,
        { check: true },
      );
      if ('conflict' in check) {
        if (
          await repository.contains(
            baseHead,
            request.patch.diff,
            target.directory,
          )
        ) {
          return { ready: true, reason: `${base} already has this patch` };
        }
        return {
          ready: false,
          reason: `The patch no longer applies to ${base} at ${short(
            baseHead,
          )}: ${check.conflict}`,
        };
      }
      return { ready: true };
    });
  }

  async revert(
    request: DeliveryRequest,
    delivery: Delivery,
  ): Promise<Delivery> {
    if (delivery.status === 'reverted') {
      return delivery;
    }
    const target = this.target(request.consumer.entity);
    if ('error' in target) {
      // Nothing was delivered where there is no repository.
      return { ...delivery, status: 'reverted', message: target.error };
    }
    return this.withRepository(request, target, async ctx => {
      const { repository, branch } = ctx;
      let revertCommit: string | undefined;
      let baseHead = ctx.baseHead;
      for (let attempt = 1; ; attempt++) {
        // What matters is whether the base branch still has the edit (a
        // merge, squash or rebase of it), not how it got there; so a second
        // revert after a crash finds nothing left to undo.
        if (
          !(await repository.contains(
            baseHead,
            request.patch.diff,
            target.directory,
          ))
        ) {
          break;
        }
        const reverted = await repository.applyPatch(
          baseHead,
          request.patch.diff,
          target.directory,
          { reverse: true },
        );
        if ('conflict' in reverted) {
          return this.delivery(ctx, {
            status: 'failed',
            commit: delivery.commit,
            message: `Cannot revert on ${ctx.base}: ${reverted.conflict}`,
          });
        }
        const commit = await repository.commitTree(
          reverted.tree,
          baseHead,
          revertMessage(request, delivery.commit).commitMessage,
        );
        try {
          await repository.push(ctx.base, commit, baseHead);
          revertCommit = commit;
          break;
        } catch (error) {
          if (attempt >= REVERT_PUSH_ATTEMPTS) {
            throw error;
          }
          baseHead = (await repository.fetch([ctx.base]))[ctx.base]!;
        }
      }
      if (ctx.branchHead) {
        await repository.push(branch, undefined, ctx.branchHead);
      }
      return this.delivery(ctx, {
        status: 'reverted',
        commit: revertCommit ?? delivery.commit,
        message: revertCommit
          ? `Reverted on ${ctx.base} by ${short(revertCommit)}`
          : `Branch ${branch} deleted; ${ctx.base} never had the patch`,
        // The branch is gone; what is left to see is the base branch.
        url: branchWebUrl(target, ctx.base),
      });
    });
  }

  /** The status of a delivered commit: merged, still open, or gone. */
  private async status(
    request: DeliveryRequest,
    ctx: Context,
    commit: string,
  ): Promise<Delivery> {
    const { repository, base, baseHead, branchHead } = ctx;
    if (await repository.isAncestor(commit, baseHead)) {
      return this.delivery(ctx, { status: 'merged', commit });
    }
    if (!branchHead) {
      // Squash and rebase merges leave no trace in the history but the edit.
      if (
        await repository.contains(
          baseHead,
          request.patch.diff,
          ctx.target.directory,
        )
      ) {
        return this.delivery(ctx, {
          status: 'merged',
          commit,
          message: `${base} has the patch (squashed or rebased)`,
        });
      }
      return this.delivery(ctx, {
        status: 'failed',
        commit,
        message: `Branch ${ctx.branch} was deleted without being merged into ${base}`,
      });
    }
    return this.delivery(ctx, { status: 'delivered', commit });
  }

  private delivery(ctx: Context, fields: Partial<Delivery>): Delivery {
    return {
      method: this.id,
      status: 'delivered',
      branch: ctx.branch,
      url: branchWebUrl(ctx.target, ctx.branch),
      ...fields,
    };
  }

  private failed(message: string, branch?: string): Delivery {
    return { method: this.id, status: 'failed', branch, message };
  }

  private target(entity: DeliveryRequest['consumer']['entity']) {
    return resolveGitTarget(entity, this.options.localRoots ?? []);
  }

  private async withRepository<T>(
    request: DeliveryRequest,
    target: GitTarget,
    fn: (ctx: Context) => Promise<T>,
  ): Promise<T> {
    const credentials = await this.options.credentials?.(target.url);
    return MirrorRepository.use(
      {
        url: target.url,
        author: this.options.author ?? DEFAULT_AUTHOR,
        credentials,
        workDir: this.options.workDir,
      },
      async repository => {
        const base = target.baseBranch ?? (await repository.defaultBranch());
        const branch = deliveryBranch(request);
        const heads = await repository.fetch([base, branch]);
        const baseHead = heads[base];
        if (!baseHead) {
          throw new Error(`${target.url} has no branch ${base}`);
        }
        return fn({
          repository,
          target,
          base,
          baseHead,
          branch,
          branchHead: heads[branch],
        });
      },
    );
  }
}

/**
 * Delivers a patch as a commit on a new branch,
 * `ripple/<migration-id-short>/<consumer-name>`, of the consumer's git
 * repository, through the git CLI. It is merged by the consumer's owners
 * (or their merge queue); `sync` sees the merge, `revert` undoes it.
 *
 * @public
 */
export function createGitBranchDeliveryMethod(
  options: GitBranchDeliveryMethodOptions = {},
): RippleDeliveryMethod {
  return withTransientErrors(
    new GitBranchDeliveryMethod(options),
    transientGitError,
  );
}

function short(commit: string): string {
  return commit.slice(0, 8);
}
