import { Octokit } from '@octokit/rest';
import type { DeliveryRequest } from '../../delivery';
import { applyPatchToFiles } from './applyPatchToFiles';

/**
 * The GitHub repository operations of the pull-request method, through the
 * git data and contents APIs: branches, files and their modes, and the
 * commit of a patch.
 */

/** A blob's mode in a git tree: a file, an executable, a link. */
type FileMode = '100644' | '100755' | '120000';
const FILE_MODES = new Set<FileMode>(['100644', '100755', '120000']);

/** A consumer's GitHub repository, with a client holding its token. */
export type Repository = {
  owner: string;
  repo: string;
  baseBranch?: string;
  directory: string;
  octokit: Octokit;
};

export function repoParams(repository: Repository) {
  return { owner: repository.owner, repo: repository.repo };
}

export async function baseBranch(repository: Repository): Promise<string> {
  if (repository.baseBranch) {
    return repository.baseBranch;
  }
  const { data } = await repository.octokit.repos.get(repoParams(repository));
  return data.default_branch;
}

export async function branchHead(repository: Repository, branch: string) {
  try {
    const { data } = await repository.octokit.git.getRef({
      ...repoParams(repository),
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

export async function readFile(
  repository: Repository,
  path: string,
  ref: string,
) {
  try {
    const { data } = await repository.octokit.repos.getContent({
      ...repoParams(repository),
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
export async function fileModes(
  repository: Repository,
  rootTree: string,
  paths: string[],
): Promise<Map<string, FileMode>> {
  const params = repoParams(repository);
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
export async function commitPatch(
  repository: Repository,
  base: string,
  request: DeliveryRequest,
  message: string,
  options: { reverse?: boolean } = {},
): Promise<{ commit: string } | { conflict: string }> {
  const baseHead = await branchHead(repository, base);
  if (!baseHead) {
    throw new Error(
      `${repository.owner}/${repository.repo} has no branch ${base}`,
    );
  }
  const applied = await applyPatchToFiles(
    request.patch.diff,
    repository.directory,
    path => readFile(repository, path, baseHead),
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
  const params = repoParams(repository);
  const { data: baseCommit } = await repository.octokit.git.getCommit({
    ...params,
    commit_sha: baseHead,
  });
  const modes = await fileModes(
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
export async function setBranch(
  repository: Repository,
  branch: string,
  commit: string,
  current: string | undefined,
) {
  if (current) {
    await repository.octokit.git.updateRef({
      ...repoParams(repository),
      ref: `heads/${branch}`,
      sha: commit,
      force: true,
    });
  } else {
    await repository.octokit.git.createRef({
      ...repoParams(repository),
      ref: `refs/heads/${branch}`,
      sha: commit,
    });
  }
}

export async function deleteBranch(repository: Repository, branch: string) {
  try {
    await repository.octokit.git.deleteRef({
      ...repoParams(repository),
      ref: `heads/${branch}`,
    });
  } catch (error) {
    // Already deleted (GitHub answers 422 "Reference does not exist").
    if (status(error) !== 404 && status(error) !== 422) {
      throw error;
    }
  }
}

/** The HTTP status of an Octokit error. */
export function status(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error
    ? Number((error as { status: unknown }).status)
    : undefined;
}

type TreeEntry = { path: string; mode: string; type: string; sha: string };
