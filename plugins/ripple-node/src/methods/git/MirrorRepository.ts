import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { branchNameProblem } from './gitInputs';
import { END_OF_OPTIONS, GitCommandError, runGit } from './runGit';

/** Who commits deliveries and reverts. */
export type GitAuthor = { name: string; email: string };

/**
 * Credentials for a remote, as HTTP basic auth.
 *
 * @public
 */
export type GitCredentials = { username: string; password: string };

/**
 * A bare mirror of a remote, kept under the work directory across
 * operations (and restarts), through which delivery operations read the
 * remote and write back to it. Each operation fetches only what changed
 * since the last one, so its cost does not grow with the repository's size
 * and history.
 *
 * Commits are built with plumbing only (`read-tree`, `apply --cached` on
 * the operation's own index file, `write-tree`, `commit-tree`): no
 * checkout, and concurrent operations on one mirror share nothing but the
 * object store, which git writes safely. Operations work on the commit ids
 * `ls-remote` reported, never on the mirror's refs. Pushes carry leases, so
 * a racing writer makes the push fail instead of being overwritten.
 */
export class MirrorRepository {
  private constructor(
    private readonly gitDir: string,
    private readonly url: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Runs `fn` with the mirror of `url`, made if needed, and a private index. */
  static async use<T>(
    options: {
      url: string;
      author: GitAuthor;
      credentials?: GitCredentials;
      workDir?: string;
    },
    fn: (repository: MirrorRepository) => Promise<T>,
  ): Promise<T> {
    const parent = options.workDir ?? path.join(os.tmpdir(), 'ripple-git');
    const gitDir = path.join(
      parent,
      createHash('sha256').update(options.url).digest('hex').slice(0, 24),
    );
    await fs.mkdir(parent, { recursive: true });
    const indexDir = await fs.mkdtemp(path.join(parent, 'index-'));
    const env: Record<string, string> = {
      GIT_AUTHOR_NAME: options.author.name,
      GIT_AUTHOR_EMAIL: options.author.email,
      GIT_COMMITTER_NAME: options.author.name,
      GIT_COMMITTER_EMAIL: options.author.email,
      GIT_INDEX_FILE: path.join(indexDir, 'index'),
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
      await serialized(gitDir, () => ensureMirror(gitDir));
      return await fn(new MirrorRepository(gitDir, options.url, env));
    } finally {
      await fs.rm(indexDir, { recursive: true, force: true });
    }
  }

  private git(args: string[], input?: string): Promise<string> {
    return runGit(args, { gitDir: this.gitDir, env: this.env, input });
  }

  /** The remote's default branch (its HEAD). */
  async defaultBranch(): Promise<string> {
    const out = await this.git([
      'ls-remote',
      '--symref',
      END_OF_OPTIONS,
      this.url,
      'HEAD',
    ]);
    // Lines, not a multi-line regular expression: `\s+` inside one is
    // quadratic on what a hostile remote could send.
    for (const line of out.split('\n')) {
      const [symref, name] = line.split('\t');
      if (name === 'HEAD' && symref.startsWith('ref: refs/heads/')) {
        const branch = symref.slice('ref: refs/heads/'.length);
        // The remote names it: it is checked like an annotation's branch.
        const problem = branchNameProblem(branch);
        if (problem) {
          throw new Error(
            `${this.url}: its default branch ${JSON.stringify(
              branch,
            )} ${problem}`,
          );
        }
        return branch;
      }
    }
    throw new Error(`${this.url} has no default branch (HEAD)`);
  }

  /**
   * Fetches the remote's branches (with their history), returning each one's
   * head commit, or undefined for a branch the remote does not have.
   */
  async fetch(branches: string[]): Promise<Record<string, string | undefined>> {
    const out = await this.git([
      'ls-remote',
      '--heads',
      END_OF_OPTIONS,
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
      const fetch = () =>
        this.git([
          'fetch',
          '--quiet',
          '--no-tags',
          '--no-write-fetch-head',
          END_OF_OPTIONS,
          this.url,
          ...present.map(b => `+refs/heads/${b}:refs/mirror/${b}`),
        ]);
      await serialized(this.gitDir, async () => {
        try {
          await fetch();
        } catch (error) {
          // A mirror left broken (a crash mid-fetch leaves lock files) is
          // made again rather than repaired.
          if (!(error instanceof GitCommandError)) {
            throw error;
          }
          await fs.rm(this.gitDir, { recursive: true, force: true });
          await ensureMirror(this.gitDir);
          await fetch();
        }
      });
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
    await this.git(['read-tree', END_OF_OPTIONS, base]);
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
      await this.git([...args, END_OF_OPTIONS, '-'], diff);
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
      await this.git(
        ['commit-tree', '-p', parent, '-F', '-', END_OF_OPTIONS, tree],
        message,
      )
    ).trim();
  }

  async commitMessage(commit: string): Promise<string> {
    return this.git(['show', '-s', '--format=%B', END_OF_OPTIONS, commit]);
  }

  /** Whether `commit` is known here and reachable from `from`. */
  async isAncestor(commit: string, from: string): Promise<boolean> {
    try {
      await this.git(['cat-file', '-e', END_OF_OPTIONS, `${commit}^{commit}`]);
      await this.git([
        'merge-base',
        '--is-ancestor',
        END_OF_OPTIONS,
        commit,
        from,
      ]);
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
      END_OF_OPTIONS,
      this.url,
      `${commit ?? ''}:${ref}`,
    ]);
  }
}

async function ensureMirror(gitDir: string): Promise<void> {
  try {
    await fs.access(path.join(gitDir, 'HEAD'));
  } catch {
    await runGit(['init', '--bare', '--quiet', END_OF_OPTIONS, gitDir]);
  }
}

// Fetches into one mirror, and its creation, run one at a time in this
// process (git refuses concurrent updates of one ref).
const queues = new Map<string, Promise<unknown>>();

function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  const settled = next.catch(() => undefined);
  queues.set(key, settled);
  settled.then(() => {
    if (queues.get(key) === settled) {
      queues.delete(key);
    }
  });
  return next;
}
