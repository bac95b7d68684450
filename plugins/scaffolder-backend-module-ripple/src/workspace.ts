import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  globMatcher,
  isConsumerCodeFile,
  isDbtPropertiesFile,
} from '@ripple/backstage-plugin-ripple-common';
import { realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** A consumer file read from the workspace. */
export type WorkspaceFile = {
  /** Relative to the code's root (`sourcePath`), with `/` separators. */
  path: string;
  absolute: string;
  text: string;
};

/**
 * Resolves a path an action was given inside the task workspace, refusing
 * one that leaves it (`..`, an absolute path, or a link pointing outside),
 * with an error naming the input field. `resolveSafeChildPath` compares
 * the paths as written; the real path (its links resolved) is compared too.
 */
export function resolveInWorkspace(
  workspacePath: string,
  relative: string,
  field: string,
): string {
  // Checked here by real path first, whatever the version of Backstage's
  // helper (older ones compared the paths as written).
  assertRealPathInside(
    workspacePath,
    path.resolve(workspacePath, relative),
    field,
    relative,
  );
  try {
    return resolveSafeChildPath(workspacePath, relative);
  } catch {
    throw outsideWorkspace(field, relative);
  }
}

function outsideWorkspace(field: string, given: string, real?: string) {
  return new InputError(
    `${field}: '${given}' is outside the task workspace${
      real ? ` (through a link, it is ${real})` : ''
    }; paths must stay inside it`,
  );
}

/**
 * Refuses `target` when its real path, its links resolved (of the part
 * that exists: a file about to be written may not), is not inside the
 * real path of `root`.
 */
function assertRealPathInside(
  root: string,
  target: string,
  field: string,
  given: string,
) {
  const real = realPathOfExisting(target);
  if (!isInside(realPathOfExisting(root), real)) {
    // Named when a link took it there.
    const written = path.resolve(target);
    throw outsideWorkspace(
      field,
      given,
      real !== written && isInside(path.resolve(root), written)
        ? real
        : undefined,
    );
  }
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative === '' ||
    (relative !== '..' &&
      !relative.startsWith(`..${path.sep}`) &&
      !path.isAbsolute(relative))
  );
}

function realPathOfExisting(target: string): string {
  const missing: string[] = [];
  let existing = path.resolve(target);
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...missing.reverse());
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return target;
      missing.push(path.basename(existing));
      existing = parent;
    }
  }
}

/**
 * Checks, before anything is written, that each file to rewrite in place
 * (relative to `root`) is a regular file, not a link, in a folder whose
 * real path is inside `root`: a link swapped in after the files were read
 * cannot send a write outside the workspace.
 */
export async function assertWritableInPlace(
  root: string,
  relativePaths: string[],
): Promise<void> {
  for (const relative of relativePaths) {
    const target = path.join(root, relative);
    const stat = await fs.lstat(target).catch(() => undefined);
    if (!stat?.isFile()) {
      throw new InputError(
        `${relative}: is no longer a regular file in the workspace (a link?); nothing was written`,
      );
    }
    assertRealPathInside(root, path.dirname(target), 'paths', relative);
  }
}

const GLOB_CHARACTER = /[*?[\]{}]/;

/**
 * Reads the consumer files an action names. Each of `paths` is relative to
 * `root` and is a file (read whatever its extension, as the `ripple` CLI
 * does), a folder (walked for `.sql`, `.py`, `.java` and `.scala` files,
 * skipping hidden folders, `node_modules`, `target` and `dbt_packages`; with
 * `properties`, for dbt property files, `.yml` and `.yaml`, too, as
 * `ripple rewrite` walks them) or a glob (`models/**\/*.sql`). Links are not
 * followed, so nothing outside the workspace is read. A path that does not
 * exist or a glob that matches nothing is an error naming it.
 */
export async function readConsumerFiles(
  root: string,
  paths: string[],
  options: { field?: string; properties?: boolean } = {},
): Promise<WorkspaceFile[]> {
  const { field = 'paths', properties = false } = options;
  const found = new Map<string, string>();
  for (const [index, given] of paths.entries()) {
    const name = `${field}[${index}]`;
    const matches = GLOB_CHARACTER.test(given)
      ? await matchGlob(root, given, name)
      : await listPath(root, given, name, properties);
    for (const absolute of matches) {
      found.set(toRelative(root, absolute), absolute);
    }
  }
  const files = await Promise.all(
    [...found].map(async ([relative, absolute]) => ({
      path: relative,
      absolute,
      text: await fs.readFile(absolute, 'utf8'),
    })),
  );
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

async function listPath(
  root: string,
  given: string,
  name: string,
  properties: boolean,
) {
  const absolute = resolveInWorkspace(root, given, name);
  const stat = await fs.lstat(absolute).catch(() => undefined);
  if (!stat) {
    throw new InputError(`${name}: '${given}' does not exist in the workspace`);
  }
  if (stat.isFile()) {
    return [absolute];
  }
  if (!stat.isDirectory()) {
    throw new InputError(`${name}: '${given}' is neither a file nor a folder`);
  }
  return (await walk(absolute)).filter(file => {
    const relative = toRelative(absolute, file);
    return (
      isConsumerCodeFile(relative) ||
      (properties && isDbtPropertiesFile(relative))
    );
  });
}

async function matchGlob(root: string, pattern: string, name: string) {
  // The folder before the first pattern character is walked; it must be in
  // the workspace like any path.
  const parts = pattern.split('/');
  const fixed = parts.findIndex(part => GLOB_CHARACTER.test(part));
  const base = path.resolve(root, parts.slice(0, fixed).join('/'));
  // By real path: a link as the folder (or one of its parents) would be
  // walked through to wherever it points.
  assertRealPathInside(root, base, name, pattern);
  const normalized = toRelative(root, path.join(root, pattern));
  // Matched in linear time: minimatch backtracks exponentially on a glob
  // such as a*x*x*x*x*x*xb.
  let glob: (file: string) => boolean;
  try {
    glob = globMatcher(normalized);
  } catch (error) {
    throw new InputError(`${name}: ${(error as Error).message}`);
  }
  const matches = (await walk(base).catch(() => [])).filter(file =>
    glob(toRelative(root, file)),
  );
  if (matches.length === 0) {
    throw new InputError(
      `${name}: '${pattern}' matches no file in the workspace`,
    );
  }
  return matches;
}

/**
 * Every regular file below `dir`. Links are neither listed nor followed (a
 * recursive `readdir` does not enter linked folders), so every file is
 * inside `dir`.
 */
export async function walk(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, {
    withFileTypes: true,
    recursive: true,
  });
  return entries
    .filter(entry => entry.isFile())
    .map(entry => path.join(entry.parentPath, entry.name));
}

export function toRelative(root: string, absolute: string) {
  return path.relative(root, absolute).split(path.sep).join('/');
}
