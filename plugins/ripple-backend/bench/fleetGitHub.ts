/*
 * The fleet benchmark's GitHub: the two REST endpoints Backstage's
 * GithubUrlReader calls for `readTree`, served over HTTP from the fleet's
 * folders (one folder per repository), in a process of its own so that its
 * work is not the backend's:
 *
 * - GET /api/v3/repos/{owner}/{repo}/commits/{ref}/status: the branch's
 *   combined status, of which the reader reads `sha` and
 *   `repository.archive_url` (https://docs.github.com/rest/commits/statuses);
 *   the sha here is a hash of the folder's files' names, sizes and times,
 *   so a changed file is a new commit;
 * - GET /api/v3/repos/{owner}/{repo}/tarball/{sha}: the gzipped tar of the
 *   repository at that sha, its one top folder `{owner}-{repo}-{short sha}`
 *   as GitHub's (https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar).
 *
 * GET /counts answers how many of each it served. Run as
 * `fleetGitHub.ts <dir>`; prints `READY <port>`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { create as tar } from 'tar';

/** The host the fleet's locations name; its API is this server. */
export const FLEET_GITHUB_HOST = 'github.fleet.test';
export const FLEET_OWNER = 'fleet';

export type GitHubCounts = { status: number; tarball: number };

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap(d =>
      d.isDirectory()
        ? files(path.join(dir, d.name))
        : [path.join(dir, d.name)],
    )
    .sort();
}

function shaOf(dir: string): string {
  const hash = createHash('sha1');
  for (const file of files(dir)) {
    const stat = fs.statSync(file);
    hash.update(`${path.relative(dir, file)}\0${stat.size}\0${stat.mtimeMs}\0`);
  }
  return hash.digest('hex');
}

function serve(root: string) {
  const counts: GitHubCounts = { status: 0, tarball: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const { port } = server.address() as AddressInfo;
    const api = `http://127.0.0.1:${port}/api/v3`;
    const status =
      /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/status$/.exec(
        url.pathname,
      );
    const tarball =
      /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/tarball\/([0-9a-f]+)$/.exec(
        url.pathname,
      );
    const repoDir = (repo: string) => {
      const dir = path.join(root, repo);
      return path.dirname(dir) === root &&
        fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()
        ? dir
        : undefined;
    };
    if (url.pathname === '/counts') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(counts));
      return;
    }
    if (status && repoDir(status[2])) {
      counts.status += 1;
      const [, owner, repo] = status;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          state: 'pending',
          sha: shaOf(repoDir(repo)!),
          total_count: 0,
          statuses: [],
          repository: {
            full_name: `${owner}/${repo}`,
            archive_url: `${api}/repos/${owner}/${repo}/{archive_format}{/ref}`,
          },
        }),
      );
      return;
    }
    if (tarball && repoDir(tarball[2])) {
      counts.tarball += 1;
      const [, owner, repo, sha] = tarball;
      const dir = repoDir(repo)!;
      // (A sha of an older state is served as the current one: the bench
      // changes files only between refreshes.)
      res.setHeader('content-type', 'application/x-gzip');
      tar(
        {
          gzip: true,
          cwd: dir,
          portable: true,
          prefix: `${owner}-${repo}-${sha.slice(0, 7)}`,
        },
        fs.readdirSync(dir),
      ).pipe(res);
      return;
    }
    res.statusCode = 404;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ message: 'Not Found' }));
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`READY ${port}\n`);
  });
}

/** Starts the fleet's GitHub in a child process; resolves with its API's base URL. */
export function spawnFleetGitHub(dir: string) {
  const child = spawn(
    process.execPath,
    [...process.execArgv, __filename, dir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  process.once('exit', () => child.kill('SIGTERM'));
  const apiBaseUrl = new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', chunk => {
      output += chunk;
      const match = /READY (\d+)/.exec(output);
      if (match) resolve(`http://127.0.0.1:${match[1]}/api/v3`);
    });
    child.on('exit', code =>
      reject(new Error(`the fleet's GitHub exited ${code}`)),
    );
  });
  return {
    apiBaseUrl,
    counts: async (): Promise<GitHubCounts> => {
      const base = new URL(await apiBaseUrl);
      return (await fetch(`${base.origin}/counts`)).json();
    },
    stop: () => child.kill('SIGTERM'),
  };
}

if (require.main === module) {
  serve(path.resolve(process.argv[2]));
}
