import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { END_OF_OPTIONS as EOO, runGit } from '../methods/git/runGit';

const AUTHOR = {
  GIT_AUTHOR_NAME: 'Consumer Team',
  GIT_AUTHOR_EMAIL: 'team@example.com',
  GIT_COMMITTER_NAME: 'Consumer Team',
  GIT_COMMITTER_EMAIL: 'team@example.com',
};

/**
 * A real bare repository (the "remote" Ripple delivers to) and a working
 * clone of it through which a test plays the consumer's team: commits,
 * merges, deletes branches. Point a consumer at it with the
 * `ripple.io/git-repository` annotation (its `remote` path) and allow its
 * `root` in `ripple.delivery.gitBranch.localRoots`.
 *
 * @public
 */
export class TestGitRepository {
  private constructor(
    readonly root: string,
    readonly remote: string,
    readonly work: string,
  ) {}

  static async create(
    files: Record<string, string>,
    branch = 'main',
  ): Promise<TestGitRepository> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-test-repo-'));
    const remote = path.join(root, 'remote.git');
    const work = path.join(root, 'work');
    await runGit([
      'init',
      '--bare',
      '--quiet',
      `--initial-branch=${branch}`,
      EOO,
      remote,
    ]);
    await runGit(['init', '--quiet', `--initial-branch=${branch}`, EOO, work]);
    const repository = new TestGitRepository(root, remote, work);
    await repository.commit(files, 'Initial commit');
    await repository.git('remote', 'add', EOO, 'origin', remote);
    await repository.git('push', '--quiet', EOO, 'origin', branch);
    return repository;
  }

  git(...args: string[]): Promise<string> {
    return runGit(args, { cwd: this.work, env: AUTHOR });
  }

  /** Writes the files and commits them on the current branch (not pushed). */
  async commit(files: Record<string, string>, message: string) {
    for (const [file, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(this.work, file)), {
        recursive: true,
      });
      await fs.writeFile(path.join(this.work, file), text);
    }
    await this.git('add', '--all');
    await this.git('commit', '--quiet', '-m', message);
    return (await this.git('rev-parse', 'HEAD')).trim();
  }

  /** Commits on the remote's `branch` as another person would (fetch, commit, push). */
  async pushCommit(
    branch: string,
    files: Record<string, string>,
    message: string,
  ) {
    await this.git('fetch', '--quiet', EOO, 'origin');
    await this.git(
      'checkout',
      '--quiet',
      '-B',
      branch,
      EOO,
      `origin/${branch}`,
    );
    const commit = await this.commit(files, message);
    await this.git('push', '--quiet', EOO, 'origin', branch);
    return commit;
  }

  /** Runs git in the remote (bare) repository. */
  gitRemote(...args: string[]): Promise<string> {
    return runGit(args, { gitDir: this.remote, env: AUTHOR });
  }

  /**
   * Merges the remote's `branch` into `into` (default `main`) as a merge
   * commit, or squashed, and deletes the branch, as a merge button does.
   */
  async merge(
    branch: string,
    options: { into?: string; squash?: boolean } = {},
  ): Promise<string> {
    const into = options.into ?? 'main';
    await this.git('fetch', '--quiet', EOO, 'origin');
    await this.git('checkout', '--quiet', '-B', into, EOO, `origin/${into}`);
    if (options.squash) {
      await this.git('merge', '--quiet', '--squash', EOO, `origin/${branch}`);
      await this.git('commit', '--quiet', '-m', `Squashed ${branch}`);
    } else {
      await this.git(
        'merge',
        '--quiet',
        '--no-ff',
        '-m',
        `Merge ${branch}`,
        EOO,
        `origin/${branch}`,
      );
    }
    await this.git('push', '--quiet', EOO, 'origin', into);
    await this.git('push', '--quiet', '--delete', EOO, 'origin', branch);
    return (await this.git('rev-parse', 'HEAD')).trim();
  }

  /** The remote's head of `branch`, or undefined. */
  async head(branch: string): Promise<string | undefined> {
    const out = await this.gitRemote(
      'for-each-ref',
      '--format=%(objectname)',
      EOO,
      `refs/heads/${branch}`,
    );
    return out.trim() || undefined;
  }

  /** A file's text at a remote revision. */
  async show(revision: string, file: string): Promise<string> {
    return this.gitRemote('show', EOO, `${revision}:${file}`);
  }

  async log(branch: string): Promise<string[]> {
    const out = await this.gitRemote('log', '--format=%s', EOO, branch);
    return out.trim().split('\n');
  }

  async remove() {
    await fs.rm(this.root, { recursive: true, force: true });
  }
}
