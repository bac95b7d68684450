import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Before every URL, ref and path: git reads none of them as an option. */
const EOO = '--end-of-options';

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Owner',
  GIT_AUTHOR_EMAIL: 'owner@example.com',
  GIT_COMMITTER_NAME: 'Owner',
  GIT_COMMITTER_EMAIL: 'owner@example.com',
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', args, { cwd, env: ENV });
  return stdout;
}

/**
 * A consumer's repository as the tests see it: a bare repository (what the
 * backend delivers to) and a clone of it (what its owners work in).
 */
export class ConsumerRepository {
  private constructor(readonly bare: string, readonly clone: string) {}

  static async create(
    root: string,
    name: string,
    files: Record<string, string>,
  ): Promise<ConsumerRepository> {
    const bare = path.join(root, `${name}.git`);
    const clone = path.join(root, `${name}-clone`);
    await git(
      root,
      'init',
      '--quiet',
      '--bare',
      '--initial-branch=main',
      EOO,
      bare,
    );
    await git(root, 'clone', '--quiet', EOO, bare, clone);
    await git(clone, 'checkout', '--quiet', '-B', 'main');
    for (const [file, content] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(clone, file)), { recursive: true });
      await fs.writeFile(path.join(clone, file), content);
    }
    await git(clone, 'add', '.');
    await git(clone, 'commit', '--quiet', '-m', 'Initial code');
    await git(clone, 'push', '--quiet', EOO, 'origin', 'main');
    return new ConsumerRepository(bare, clone);
  }

  /** The branches of the bare repository. */
  async branches(): Promise<string[]> {
    const out = await git(
      this.bare,
      'for-each-ref',
      '--format=%(refname:short)',
      EOO,
      'refs/heads',
    );
    return out.split('\n').filter(Boolean).sort();
  }

  /** A file as a branch of the bare repository has it. */
  async show(branch: string, file: string): Promise<string> {
    return git(this.bare, 'show', EOO, `${branch}:${file}`);
  }

  /** The owners merge a branch into main, as a merge commit. */
  async merge(branch: string): Promise<void> {
    await git(this.clone, 'fetch', '--quiet', EOO, 'origin');
    await git(
      this.clone,
      'checkout',
      '--quiet',
      '-B',
      'main',
      EOO,
      'origin/main',
    );
    await git(
      this.clone,
      'merge',
      '--quiet',
      '--no-ff',
      '-m',
      `Merge ${branch}`,
      EOO,
      `origin/${branch}`,
    );
    await git(this.clone, 'push', '--quiet', EOO, 'origin', 'main');
  }

  /** The subjects of main's commits, newest first. */
  async log(): Promise<string[]> {
    const out = await git(this.bare, 'log', '--format=%s', EOO, 'main');
    return out.split('\n').filter(Boolean);
  }
}
