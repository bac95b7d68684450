import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GitCommandError, runGit } from './runGit';

/** Who commits deliveries and reverts. */
export type GitAuthor = { name: string; email: string };

/** Credentials for a remote, as HTTP basic auth. */
export type GitCredentials = { username: string; password: string };

/**
 * A temporary bare repository through which one delivery operation reads a
 * remote and writes back to it. Commits are built with plumbing only
 * (`read-tree`, `apply --cached` on a private index, `write-tree`,
 * `commit-tree`): no checkout, so nothing on disk but git objects, and two
 * operations never share a working tree. Pushes carry leases, so a racing
 * writer makes the push fail instead of being overwritten.
 */
export class ScratchRepository {
  private constructor(
    private readonly gitDir: string,
    private readonly url: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Runs `fn` with a fresh scratch repository for `url`, removed afterwards. */
  static async use<T>(
    options: {
      url: string;
      author: GitAuthor;
      credentials?: GitCredentials;
      workDir?: string;
    },
    fn: (repository: ScratchRepository) => Promise<T>,
  ): Promise<T> {
    const parent = options.workDir ?? os.tmpdir();
    await fs.mkdir(parent, { recursive: true });
    const dir = await fs.mkdtemp(path.join(parent, 'ripple-git-'));
    const env: Record<string, string> = {
      GIT_AUTHOR_NAME: options.author.name,
      GIT_AUTHOR_EMAIL: options.author.email,
      GIT_COMMITTER_NAME: options.author.name,
      GIT_COMMITTER_EMAIL: options.author.email,
      GIT_INDEX_FILE: path.join(dir, 'ripple-index'),
    };
    if (options.credentials) {
      // Through the environment, not the command line, where any user of
      // the host could read it.
      const basic = Buffer.from(
        `${options.credentials.username}:${options.credentials.password}`,
      ).toString('base64');
      Object.assign(env, {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.extraHeader',
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
      });
    }
    try {
      await runGit(['init', '--bare', '--quiet', dir]);
      return await fn(new ScratchRepository(dir, options.url, env));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  private git(args: string[], input?: string): Promise<string> {
    return runGit(args, { gitDir: this.gitDir, env: this.env, input });
  }

  /** The remote's default branch (its HEAD). */
  async defaultBranch(): Promise<string> {
    const out = await this.git(['ls-remote', '--symref', this.url, 'HEAD']);
    const match = /^ref: refs\/heads\/(\S+)\s+HEAD$/m.exec(out);
    if (!match) {
      throw new Error(`${this.url} has no default branch (HEAD)`);
    }
    return match[1];
  }

  /**
   * Fetches the remote's branches (with their history), returning each one's
   * head commit, or undefined for a branch the remote does not have.
   */
  async fetch(branches: string[]): Promise<Record<string, string | undefined>> {
    const out = await this.git([
      'ls-remote',
      '--heads',
      this.url,
      ...branches.map(b => `refs/heads/${b}`),
    ]);
    const heads: Record<string, string | undefined> = {};
    for (const line of out.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (ref?.startsWith('refs/heads/')) {
        heads[ref.slice('refs/heads/'.length)] = sha;
      }
    }
    const present = branches.filter(b => heads[b]);
    if (present.length > 0) {
      await this.git([
        'fetch',
        '--quiet',
        '--no-tags',
        this.url,
        ...present.map(b => `+refs/heads/${b}:refs/remotes/origin/${b}`),
      ]);
    }
    return Object.fromEntries(branches.map(b => [b, heads[b]]));
  }

  /**
   * The tree of `base` with the patch applied (its paths below `directory`),
   * or the reason it does not apply. `reverse` applies it backwards.
   */
  async applyPatch(
    base: string,
    diff: string,
    directory: string,
    options: { reverse?: boolean; check?: boolean } = {},
  ): Promise<{ tree: string } | { conflict: string }> {
    await this.git(['read-tree', base]);
    const args = ['apply', '--cached', '--whitespace=nowarn'];
    if (directory) {
      args.push(`--directory=${directory}`);
    }
    if (options.reverse) {
      args.push('--reverse');
    }
    if (options.check) {
      args.push('--check');
    }
    try {
      await this.git([...args, '-'], diff);
    } catch (error) {
      if (error instanceof GitCommandError) {
        return { conflict: error.stderr.trim() };
      }
      throw error;
    }
    return options.check
      ? { tree: '' }
      : { tree: (await this.git(['write-tree'])).trim() };
  }

  /** Whether `base` already has the patch's edit (its reverse applies). */
  async contains(base: string, diff: string, directory: string) {
    const result = await this.applyPatch(base, diff, directory, {
      reverse: true,
      check: true,
    });
    return 'tree' in result;
  }

  async commitTree(tree: string, parent: string, message: string) {
    return (
      await this.git(['commit-tree', tree, '-p', parent, '-F', '-'], message)
    ).trim();
  }

  async commitMessage(commit: string): Promise<string> {
    return this.git(['show', '-s', '--format=%B', commit]);
  }

  /** Whether `commit` is known here and reachable from `from`. */
  async isAncestor(commit: string, from: string): Promise<boolean> {
    try {
      await this.git(['cat-file', '-e', `${commit}^{commit}`]);
      await this.git(['merge-base', '--is-ancestor', commit, from]);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError) {
        return false;
      }
      throw error;
    }
  }

  /**
   * Sets the remote's `branch` to `commit` (deletes it when `commit` is
   * undefined), provided it is still at `expected` (undefined: absent).
   */
  async push(
    branch: string,
    commit: string | undefined,
    expected: string | undefined,
  ): Promise<void> {
    const ref = `refs/heads/${branch}`;
    await this.git([
      'push',
      '--quiet',
      '--porcelain',
      `--force-with-lease=${ref}:${expected ?? ''}`,
      this.url,
      `${commit ?? ''}:${ref}`,
    ]);
  }
}
