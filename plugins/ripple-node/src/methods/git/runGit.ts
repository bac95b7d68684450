import { spawn } from 'node:child_process';

/**
 * Put before every URL, ref and path of a git command: git then reads none
 * of them as an option (`--upload-pack=<program>` runs a program).
 */
export const END_OF_OPTIONS = '--end-of-options';

/**
 * The only transports git may use, for the URLs Ripple gives it and for any
 * redirect or submodule: never `ext::` or `fd::` (they run programs), nor
 * `http://` (credentials would travel in clear text).
 */
export const ALLOWED_PROTOCOLS = 'https:ssh:file';

/** A git command that exited with a non-zero status. */
export class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args[0]} failed: ${stderr.trim() || `exit code ${exitCode}`}`);
    this.name = 'GitCommandError';
  }
}

export type RunGitOptions = {
  /** The repository (`--git-dir`) to run in. */
  gitDir?: string;
  /** The working directory (a working tree). */
  cwd?: string;
  /** Written to the command's standard input (a patch for `git apply`). */
  input?: string;
  /** Extra environment: the temporary index, the author, credentials. */
  env?: Record<string, string>;
};

/**
 * Runs the git CLI without a shell and returns its standard output. Git
 * never prompts (a missing credential is an error, not a hung backend),
 * reads no system configuration, so a host's hooks or aliases cannot change
 * what Ripple does, and uses only the transports of
 * {@link ALLOWED_PROTOCOLS}.
 */
export function runGit(
  args: string[],
  options: RunGitOptions = {},
): Promise<string> {
  const fullArgs = options.gitDir
    ? [`--git-dir=${options.gitDir}`, ...args]
    : args;
  return new Promise((resolve, reject) => {
    const child = spawn('git', fullArgs, {
      cwd: options.cwd,
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_ASKPASS: 'echo',
        SSH_ASKPASS: 'echo',
        LC_ALL: 'C',
        ...options.env,
        GIT_ALLOW_PROTOCOL: ALLOWED_PROTOCOLS,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', chunk => stdout.push(chunk));
    child.stderr.on('data', chunk => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', code => {
      if (code === 0) {
        resolve(Buffer.concat(stdout).toString('utf8'));
      } else {
        reject(
          new GitCommandError(
            args,
            code,
            Buffer.concat(stderr).toString('utf8'),
          ),
        );
      }
    });
    // git may exit before reading all of its input (an unknown revision).
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}
