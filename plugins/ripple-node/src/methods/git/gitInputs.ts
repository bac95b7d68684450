import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checks on what a catalog entry hands to git (a repository, a branch, a
 * folder). Annotations are written by whoever may register an entity, and
 * git reads some values as options (`--upload-pack=<program>`) or as
 * transports (`ext::<command>`) that run programs; so only the forms below
 * are let through, and every git call also puts `--end-of-options` before
 * them (runGit.ts).
 */

/** A repository as git is given it. */
export type GitRepositoryUrl =
  | { kind: 'remote'; url: string }
  | { kind: 'local'; path: string };

// ASCII control characters (newlines among them) and DEL: never part of a
// URL, path or ref Ripple accepts.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

// `user@host:path`, git's scp-like syntax. Each part is one character class
// with one quantifier (no nesting, so matching is linear); none may start
// with `-` (git and ssh would read an option), and `::` (a remote helper)
// is refused before this is tried.
const SCP_LIKE =
  /^([A-Za-z0-9_.~+][A-Za-z0-9_.~+-]*)@([A-Za-z0-9_][A-Za-z0-9_.-]*):([A-Za-z0-9_.~+/][A-Za-z0-9_.~+/-]*)$/;

const ACCEPTED =
  'https://, ssh://, user@host:path, or an absolute path or file: URL below ripple.delivery.gitBranch.localRoots';

/**
 * Parses a repository URL, or says why git is not given it. `localRoots`
 * are the folders below which local repositories may be used; a local path
 * is resolved through its links before it is compared with them.
 */
export function parseGitRepository(
  value: string,
  localRoots: string[],
): GitRepositoryUrl | { error: string } {
  const refuse = (why: string) => ({
    error: `${quote(value)} ${why}; accepted: ${ACCEPTED}`,
  });
  if (CONTROL.test(value)) {
    return refuse('holds a control character (a newline?)');
  }
  if (value.startsWith('-')) {
    return refuse('starts with "-", which git would read as an option');
  }
  if (value.includes('::')) {
    return refuse(
      'names a git remote helper ("<transport>::"), which runs a program',
    );
  }
  if (value.startsWith('file:') || path.isAbsolute(value)) {
    return localRepository(value, localRoots, refuse);
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1];
  if (scheme !== undefined) {
    if (scheme !== 'https' && scheme !== 'ssh') {
      return refuse(`uses the ${scheme}:// transport`);
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return refuse('is not a URL');
    }
    if (!url.hostname || url.hostname.startsWith('-')) {
      return refuse('has no valid host');
    }
    if (url.username.startsWith('-')) {
      return refuse('has a user name starting with "-"');
    }
    if (url.password) {
      return refuse(
        'holds a password; credentials come from the integrations, never from the catalog',
      );
    }
    return { kind: 'remote', url: value };
  }
  if (SCP_LIKE.test(value)) {
    return { kind: 'remote', url: value };
  }
  return refuse(
    'is not a repository URL or an absolute path (a relative path?)',
  );
}

function localRepository(
  value: string,
  localRoots: string[],
  refuse: (why: string) => { error: string },
): GitRepositoryUrl | { error: string } {
  let local: string;
  try {
    local = value.startsWith('file:')
      ? fileURLToPath(value)
      : path.resolve(value);
  } catch (error) {
    return refuse(`is not a local file URL (${(error as Error).message})`);
  }
  // Links are resolved, so a link below a root cannot lead out of it.
  const real = realpath(local);
  if (real === undefined) {
    return refuse('does not exist');
  }
  const inside = localRoots.some(root => {
    const realRoot = realpath(path.resolve(root));
    return realRoot !== undefined && isInside(realRoot, real);
  });
  if (!inside) {
    return refuse(
      `is ${real}, not below a folder of ripple.delivery.gitBranch.localRoots (${
        localRoots.join(', ') || 'none configured'
      })`,
    );
  }
  return { kind: 'local', path: real };
}

function realpath(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative === '' ||
    (!relative.startsWith(`..${path.sep}`) &&
      relative !== '..' &&
      !path.isAbsolute(relative))
  );
}

/**
 * A value as an error message shows it: quoted, and cut after 200
 * characters (an annotation may be megabytes long).
 */
export function quote(value: string): string {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return JSON.stringify(shown);
}

/**
 * Why `git check-ref-format --branch` refuses `name`, or undefined when it
 * accepts it: the rules of git-check-ref-format(1), checked here without a
 * process (the tests compare them with git's own answers).
 */
export function branchNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (CONTROL.test(name)) return 'holds a control character (a newline?)';
  if (name.startsWith('-')) return 'starts with "-"';
  if (name === '@') return 'is "@"';
  if (name === 'HEAD') return 'is "HEAD"';
  if (name.includes('..')) return 'holds ".."';
  if (name.includes('@{')) return 'holds "@{"';
  if (/[ ~^:?*[\\]/.test(name)) {
    return 'holds a space or one of ~ ^ : ? * [ \\';
  }
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) {
    return 'has an empty path component';
  }
  if (name.endsWith('.')) return 'ends with "."';
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return 'has a component starting with "."';
    if (component.endsWith('.lock')) {
      return 'has a component ending with ".lock"';
    }
  }
  return undefined;
}

/**
 * Why a folder inside a repository is refused, or undefined: it must be
 * relative and stay inside the repository.
 */
export function directoryProblem(directory: string): string | undefined {
  if (CONTROL.test(directory)) return 'holds a control character';
  if (directory.startsWith('-')) return 'starts with "-"';
  if (directory.split(/[\\/]/).includes('..')) {
    return 'leaves the repository ("..")';
  }
  return undefined;
}
