import {
  ANNOTATION_SOURCE_LOCATION,
  Entity,
  parseLocationRef,
} from '@backstage/catalog-model';
import gitUrlParse from 'git-url-parse';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The git repository to deliver to, when it is not the source location's (a local path, a file URL, another remote). */
export const ANNOTATION_GIT_REPOSITORY = 'ripple.io/git-repository';
/** The branch deliveries start from and merge into (default: the source location's branch, else the repository's default branch). */
export const ANNOTATION_GIT_BASE_BRANCH = 'ripple.io/git-base-branch';
/** Where the consumer's code is inside the repository (default: the source location's folder, else the root). */
export const ANNOTATION_GIT_DIRECTORY = 'ripple.io/git-directory';

/** Where in which repository a consumer's patch goes. */
export type GitTarget = {
  /** What git clones and pushes to: a remote URL or a local path. */
  url: string;
  /** undefined: the repository's default branch. */
  baseBranch?: string;
  /** The code location inside the repository ('' for the root); the patch's paths are relative to it. */
  directory: string;
  /** The repository's web page (`https://github.com/o/r`), for links to branches. */
  webUrl?: string;
};

/**
 * The repository of a consumer: the `ripple.io/git-repository` annotation,
 * or else its `backstage.io/source-location` (a GitHub, GitLab, Bitbucket or
 * other git URL, with its branch and folder). Local repositories (a path or
 * a `file:` URL) are accepted only below one of `localRoots`, so a catalog
 * entry cannot make the backend write to any repository on its host.
 *
 * Returns a message saying why when there is no usable repository.
 */
export function resolveGitTarget(
  entity: Entity,
  localRoots: string[],
): GitTarget | { error: string } {
  const annotations = entity.metadata.annotations ?? {};
  const baseBranch =
    annotations[ANNOTATION_GIT_BASE_BRANCH]?.trim() || undefined;
  const directory = annotations[ANNOTATION_GIT_DIRECTORY];

  const repository = annotations[ANNOTATION_GIT_REPOSITORY]?.trim();
  if (repository) {
    const local = localPath(repository);
    if (local !== undefined) {
      if (!localRoots.some(root => isInside(root, local))) {
        return {
          error: `${ANNOTATION_GIT_REPOSITORY}: ${local} is not below a directory allowed by ripple.delivery.gitBranch.localRoots`,
        };
      }
      return { url: local, baseBranch, directory: cleanDirectory(directory) };
    }
    return {
      url: repository,
      baseBranch,
      directory: cleanDirectory(directory),
      webUrl: webUrlOf(repository),
    };
  }

  const source = annotations[ANNOTATION_SOURCE_LOCATION];
  if (!source) {
    return {
      error: `no ${ANNOTATION_GIT_REPOSITORY} or ${ANNOTATION_SOURCE_LOCATION} annotation`,
    };
  }
  const { type, target } = parseLocationRef(source);
  if (type !== 'url' || !/^(https?|ssh):\/\//.test(target)) {
    return {
      error: `${ANNOTATION_SOURCE_LOCATION}: ${source} is not a remote git URL; name the repository with ${ANNOTATION_GIT_REPOSITORY}`,
    };
  }
  let parsed: ReturnType<typeof gitUrlParse>;
  try {
    parsed = gitUrlParse(target);
  } catch (error) {
    return { error: `${ANNOTATION_SOURCE_LOCATION}: ${source}: ${error}` };
  }
  if (!parsed.owner || !parsed.name) {
    return { url: target, baseBranch, directory: cleanDirectory(directory) };
  }
  const webUrl = `${parsed.protocol === 'http' ? 'http' : 'https'}://${
    parsed.resource
  }${parsed.port ? `:${parsed.port}` : ''}/${parsed.full_name}`;
  return {
    url: parsed.protocol === 'ssh' ? parsed.toString('ssh') : webUrl,
    baseBranch: baseBranch ?? (parsed.ref || undefined),
    directory: cleanDirectory(directory ?? parsed.filepath),
    webUrl,
  };
}

/** The web page of a branch, where the host is known to have one. */
export function branchWebUrl(
  target: GitTarget,
  branch: string,
): string | undefined {
  if (!target.webUrl) {
    return undefined;
  }
  const separator = /gitlab/i.test(target.webUrl) ? '/-/tree/' : '/tree/';
  return `${target.webUrl}${separator}${branch}`;
}

function localPath(repository: string): string | undefined {
  if (repository.startsWith('file:')) {
    return fileURLToPath(repository);
  }
  return path.isAbsolute(repository) ? path.resolve(repository) : undefined;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(path.resolve(root), candidate);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}

function webUrlOf(url: string): string | undefined {
  try {
    const parsed = gitUrlParse(url);
    return parsed.owner && parsed.name
      ? `https://${parsed.resource}/${parsed.full_name}`
      : undefined;
  } catch {
    return undefined;
  }
}

function cleanDirectory(directory: string | undefined): string {
  return (directory ?? '').replace(/^\/+|\/+$/g, '');
}
