import {
  ANNOTATION_SOURCE_LOCATION,
  Entity,
  parseLocationRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import gitUrlParse from 'git-url-parse';
import {
  branchNameProblem,
  directoryProblem,
  parseGitRepository,
  quote,
} from './gitInputs';

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
 * other git URL, with its branch and folder). Only `https://`, `ssh://`,
 * `user@host:path` and local repositories (an absolute path or a `file:`
 * URL) are accepted; local ones only below one of `localRoots` (links
 * resolved), so a catalog entry cannot make the backend write to any
 * repository on its host. Branches must pass `git check-ref-format
 * --branch`, and the folder must stay inside the repository
 * (gitInputs.ts).
 *
 * Returns a message naming the entity and the annotation when there is no
 * usable repository.
 */
export function resolveGitTarget(
  entity: Entity,
  localRoots: string[],
): GitTarget | { error: string } {
  const entityRef = stringifyEntityRef(entity);
  const annotations = entity.metadata.annotations ?? {};
  const refuse = (annotation: string, why: string) => ({
    error: `${entityRef}: annotation ${annotation}: ${why}`,
  });

  const rawDirectory = annotations[ANNOTATION_GIT_DIRECTORY];
  const branchAnnotation = annotations[ANNOTATION_GIT_BASE_BRANCH]?.trim();
  let target: GitTarget;
  let branchSource = ANNOTATION_GIT_BASE_BRANCH;
  let directorySource = ANNOTATION_GIT_DIRECTORY;

  const repository = annotations[ANNOTATION_GIT_REPOSITORY]?.trim();
  if (repository) {
    const parsed = parseGitRepository(repository, localRoots);
    if ('error' in parsed) {
      return refuse(ANNOTATION_GIT_REPOSITORY, parsed.error);
    }
    target =
      parsed.kind === 'local'
        ? { url: parsed.path, directory: cleanDirectory(rawDirectory) }
        : {
            url: parsed.url,
            directory: cleanDirectory(rawDirectory),
            webUrl: webUrlOf(parsed.url),
          };
    target.baseBranch = branchAnnotation || undefined;
  } else {
    const source = annotations[ANNOTATION_SOURCE_LOCATION];
    if (!source) {
      return {
        error: `${entityRef}: no ${ANNOTATION_GIT_REPOSITORY} or ${ANNOTATION_SOURCE_LOCATION} annotation`,
      };
    }
    const fromSource = sourceLocationTarget(source);
    if ('error' in fromSource) {
      return refuse(ANNOTATION_SOURCE_LOCATION, fromSource.error);
    }
    target = {
      ...fromSource,
      baseBranch: branchAnnotation || fromSource.baseBranch,
      directory: cleanDirectory(rawDirectory ?? fromSource.directory),
    };
    if (!branchAnnotation) branchSource = ANNOTATION_SOURCE_LOCATION;
    if (rawDirectory === undefined)
      directorySource = ANNOTATION_SOURCE_LOCATION;
  }

  const branch = target.baseBranch;
  const branchProblem = branch !== undefined && branchNameProblem(branch);
  if (branch !== undefined && branchProblem) {
    return refuse(
      branchSource,
      `branch ${quote(
        branch,
      )} ${branchProblem} (git check-ref-format --branch refuses it)`,
    );
  }
  const folderProblem = directoryProblem(target.directory);
  if (folderProblem) {
    return refuse(
      directorySource,
      `folder ${quote(target.directory)} ${folderProblem}`,
    );
  }
  return target;
}

/** The repository, branch and folder of a `backstage.io/source-location`. */
function sourceLocationTarget(
  source: string,
): (GitTarget & { directory: string }) | { error: string } {
  let type: string;
  let target: string;
  try {
    ({ type, target } = parseLocationRef(source));
  } catch (error) {
    return { error: `${quote(source)}: ${(error as Error).message}` };
  }
  if (type !== 'url' || !/^(https|ssh):\/\//.test(target)) {
    return {
      error: `${quote(
        source,
      )} is not an https:// or ssh:// git URL; name the repository with ${ANNOTATION_GIT_REPOSITORY}`,
    };
  }
  let parsed: ReturnType<typeof gitUrlParse>;
  try {
    parsed = gitUrlParse(target);
  } catch (error) {
    return { error: `${quote(source)}: ${error}` };
  }
  let url = target;
  if (parsed.owner && parsed.name) {
    url =
      parsed.protocol === 'ssh'
        ? parsed.toString('ssh')
        : `https://${parsed.resource}${parsed.port ? `:${parsed.port}` : ''}/${
            parsed.full_name
          }`;
  }
  // What git is given is checked like the annotation is.
  const checked = parseGitRepository(url, []);
  if ('error' in checked) {
    return checked;
  }
  if (!(parsed.owner && parsed.name)) {
    return { url, directory: '' };
  }
  return {
    url,
    baseBranch: parsed.ref || undefined,
    directory: parsed.filepath,
    webUrl: `https://${parsed.resource}${
      parsed.port ? `:${parsed.port}` : ''
    }/${parsed.full_name}`,
  };
}

/** Whether the entity names its repository with `ripple.io/git-repository`. */
export function namesRepository(entity: Entity): boolean {
  return Boolean(
    entity.metadata.annotations?.[ANNOTATION_GIT_REPOSITORY]?.trim(),
  );
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

/** The folder without leading and trailing slashes. */
function cleanDirectory(directory: string | undefined): string {
  // A loop, not /^\/+|\/+$/g: that regular expression is quadratic on a
  // long run of slashes inside an annotation.
  const value = directory ?? '';
  let start = 0;
  let end = value.length;
  while (start < end && value[start] === '/') start++;
  while (end > start && value[end - 1] === '/') end--;
  return value.slice(start, end);
}
