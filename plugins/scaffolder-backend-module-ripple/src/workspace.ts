import {
  isChildPath,
  resolveSafeChildPath,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { isConsumerCodeFile } from '@ripple/backstage-plugin-ripple-common';
import { minimatch } from 'minimatch';
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
 * with an error naming the input field.
 */
export function resolveInWorkspace(
  workspacePath: string,
  relative: string,
  field: string,
): string {
  try {
    return resolveSafeChildPath(workspacePath, relative);
  } catch {
    throw outsideWorkspace(field, relative);
  }
}

function outsideWorkspace(field: string, given: string) {
  return new InputError(
    `${field}: '${given}' is outside the task workspace; paths must stay inside it`,
  );
}

const GLOB_CHARACTER = /[*?[\]{}]/;

/**
 * Reads the consumer files an action names. Each of `paths` is relative to
 * `root` and is a file (read whatever its extension, as the `ripple` CLI
 * does), a folder (walked for `.sql`, `.py`, `.java` and `.scala` files,
 * skipping hidden folders, `node_modules`, `target` and `dbt_packages`) or a
 * glob (`models/**\/*.sql`). Links are not followed, so nothing outside the
 * workspace is read. A path that does not exist or a glob that matches
 * nothing is an error naming it.
 */
export async function readConsumerFiles(
  root: string,
  paths: string[],
  field = 'paths',
): Promise<WorkspaceFile[]> {
  const found = new Map<string, string>();
  for (const [index, given] of paths.entries()) {
    const name = `${field}[${index}]`;
    const matches = GLOB_CHARACTER.test(given)
      ? await matchGlob(root, given, name)
      : await listPath(root, given, name);
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

async function listPath(root: string, given: string, name: string) {
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
  return (await walk(absolute)).filter(file =>
    isConsumerCodeFile(toRelative(absolute, file)),
  );
}

async function matchGlob(root: string, pattern: string, name: string) {
  // The folder before the first pattern character is walked; it must be in
  // the workspace like any path.
  const parts = pattern.split('/');
  const fixed = parts.findIndex(part => GLOB_CHARACTER.test(part));
  const base = path.resolve(root, parts.slice(0, fixed).join('/'));
  if (!isChildPath(root, base)) {
    throw outsideWorkspace(name, pattern);
  }
  const normalized = toRelative(root, path.join(root, pattern));
  const matches = (await walk(base).catch(() => [])).filter(file =>
    minimatch(toRelative(root, file), normalized),
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
