import { http, HttpResponse } from 'msw';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** One request the fake received: method, decoded path, query and JSON body. */
export type RecordedRequest = {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  authorization?: string | null;
};

type Commit = { sha: string; message: string; tree: string; parents: string[] };

/**
 * An answer GitHub gives instead of the normal one, once, to the next
 * request that matches: a 502 from its front end, a rate limit. `'network'`
 * drops the connection.
 */
export type Fault = {
  method: string;
  path: RegExp;
  status: number | 'network';
  headers?: Record<string, string>;
  body?: object;
};
type Pull = {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  mergeable: boolean | null;
  head: string;
  headSha: string;
  base: string;
  title: string;
  body: string;
  mergeCommitSha: string | null;
};

/**
 * An in-memory GitHub repository behind GitHub's REST API paths and
 * documented response shapes (https://docs.github.com/rest: git refs,
 * commits, trees, contents, pulls, review requests, combined status, check
 * runs), served through msw. It records every request so tests can assert
 * exactly what was sent. For tests only.
 */
export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly refs = new Map<string, string>();
  readonly commits = new Map<string, Commit>();
  /** tree sha → path → content */
  readonly trees = new Map<string, Map<string, string>>();
  /** tree sha → path → mode, for files whose mode is not 100644 */
  readonly modes = new Map<string, Map<string, string>>();
  /** the sha of a folder of a tree → that tree and folder */
  private readonly folders = new Map<
    string,
    { tree: string; folder: string }
  >();
  readonly pulls: Pull[] = [];
  /** The commit statuses of every commit: each context's latest. */
  statuses: Array<{ context: string; state: string; target_url?: string }> = [];
  checkRuns: Array<{
    status: string;
    conclusion: string | null;
    name?: string;
    html_url?: string;
  }> = [];
  /** Logins that may be asked for reviews. */
  collaborators = new Set(['alice']);
  /** Faults still to be served, in order (see {@link FakeGitHub.failNext}). */
  readonly faults: Fault[] = [];
  /** How long each answer takes, in ms: requests overlap as they would at a real API. */
  latencyMs = 0;
  /** Requests being answered now, and the most there were at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** When each request arrived and was answered (epoch ms), and its status. */
  readonly timeline: Array<{
    method: string;
    path: string;
    start: number;
    end: number;
    status: number | 'network';
  }> = [];

  constructor(
    readonly apiBaseUrl: string,
    readonly owner: string,
    readonly repo: string,
    readonly defaultBranch = 'main',
  ) {}

  /** Seeds a branch with one commit holding `files`; returns its sha. */
  seed(
    branch: string,
    files: Record<string, string>,
    message = 'Initial commit',
    /** Modes other than 100644 (`100755` for an executable). */
    modes: Record<string, string> = {},
  ) {
    const parent = this.refs.get(branch);
    const baseTree = parent && this.commits.get(parent)!.tree;
    const base = baseTree ? this.trees.get(baseTree)! : new Map();
    const tree = this.storeTree(
      new Map([...base, ...Object.entries(files)]),
      new Map([
        ...((baseTree && this.modes.get(baseTree)) || []),
        ...Object.entries(modes),
      ]),
    );
    const sha = this.storeCommit({
      message,
      tree,
      parents: parent ? [parent] : [],
    });
    this.refs.set(branch, sha);
    return sha;
  }

  /** The mode of a file in a commit. */
  modeAt(sha: string, path: string): string {
    return this.modes.get(this.commits.get(sha)!.tree)?.get(path) ?? '100644';
  }

  /** The files of a commit. */
  filesAt(sha: string): Record<string, string> {
    return Object.fromEntries(this.trees.get(this.commits.get(sha)!.tree)!);
  }

  /** Merges a pull request as GitHub's merge button would (a merge commit). */
  merge(number: number) {
    const pull = this.pulls.find(p => p.number === number)!;
    const head = this.commits.get(pull.headSha)!;
    const sha = this.storeCommit({
      message: `Merge pull request #${number}`,
      tree: head.tree,
      parents: [this.refs.get(pull.base)!, pull.headSha],
    });
    this.refs.set(pull.base, sha);
    Object.assign(pull, { state: 'closed', merged: true, mergeCommitSha: sha });
  }

  /** Answers the next request matching `fault` with it, once. */
  failNext(fault: Fault) {
    this.faults.push(fault);
  }

  /**
   * GitHub's answers when a rate limit is used up, as documented
   * (docs.github.com, "Rate limits for the REST API"): the primary limit
   * with `x-ratelimit-remaining: 0` and the reset time in epoch seconds, a
   * secondary limit with `retry-after` in seconds.
   */
  static primaryRateLimit(resetEpochSeconds: number, status: 403 | 429 = 403) {
    return {
      status,
      headers: {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-used': '5000',
        'x-ratelimit-reset': String(resetEpochSeconds),
        'x-ratelimit-resource': 'core',
      },
      body: {
        message: 'API rate limit exceeded for installation ID 1.',
        documentation_url:
          'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
      },
    };
  }

  static secondaryRateLimit(
    retryAfterSeconds?: number,
    status: 403 | 429 = 403,
  ) {
    const headers: Record<string, string> =
      retryAfterSeconds === undefined
        ? {}
        : { 'retry-after': String(retryAfterSeconds) };
    return {
      status,
      headers,
      body: {
        message:
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
        documentation_url:
          'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      },
    };
  }

  /** The requests made, as `METHOD path`, in order. */
  calls(): string[] {
    return this.requests.map(r => `${r.method} ${r.path}`);
  }

  private storeTree(
    files: Map<string, string>,
    modes: Map<string, string> = new Map(),
  ) {
    const sha = hash(JSON.stringify([[...files].sort(), [...modes].sort()]));
    this.trees.set(sha, files);
    this.modes.set(sha, modes);
    return sha;
  }

  /**
   * GET /git/trees/{sha} without `recursive`: the entries of one folder,
   * blobs with their mode and sub-folders as trees with their own sha.
   */
  private treeJson(sha: string) {
    const known = this.trees.has(sha)
      ? { tree: sha, folder: '' }
      : this.folders.get(sha);
    if (!known) return undefined;
    const files = this.trees.get(known.tree)!;
    const modes = this.modes.get(known.tree)!;
    const prefix = known.folder ? `${known.folder}/` : '';
    const entries = new Map<string, object>();
    for (const [path, content] of files) {
      if (!path.startsWith(prefix)) continue;
      const [name, ...rest] = path.slice(prefix.length).split('/');
      if (rest.length) {
        const folderSha = hash(`${known.tree}:${prefix}${name}`);
        this.folders.set(folderSha, {
          tree: known.tree,
          folder: `${prefix}${name}`,
        });
        entries.set(name, {
          path: name,
          mode: '040000',
          type: 'tree',
          sha: folderSha,
        });
      } else {
        entries.set(name, {
          path: name,
          mode: modes.get(path) ?? '100644',
          type: 'blob',
          sha: hash(content),
          size: content.length,
        });
      }
    }
    return { sha, tree: [...entries.values()], truncated: false };
  }

  private storeCommit(commit: Omit<Commit, 'sha'>) {
    const sha = hash(JSON.stringify([commit, this.commits.size]));
    this.commits.set(sha, { sha, ...commit });
    return sha;
  }

  private pullJson(pull: Pull) {
    const web = `https://github.com/${this.owner}/${this.repo}`;
    return {
      number: pull.number,
      html_url: `${web}/pull/${pull.number}`,
      state: pull.state,
      merged: pull.merged,
      merged_at: pull.merged ? '2026-11-21T06:00:00Z' : null,
      mergeable: pull.mergeable,
      merge_commit_sha: pull.mergeCommitSha,
      title: pull.title,
      body: pull.body,
      head: { ref: pull.head, sha: pull.headSha },
      base: { ref: pull.base, sha: this.refs.get(pull.base) },
    };
  }

  handlers() {
    return [
      http.all(`${this.apiBaseUrl}/*`, async ({ request }) => {
        const start = Date.now();
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          const [path, status, response] = await this.answer(request);
          if (this.latencyMs > 0) {
            await new Promise(r => setTimeout(r, this.latencyMs));
          }
          this.timeline.push({
            method: request.method,
            path,
            start,
            end: Date.now(),
            status,
          });
          return response;
        } finally {
          this.inFlight--;
        }
      }),
    ];
  }

  private async answer(
    request: Request,
  ): Promise<[string, number | 'network', Response]> {
    const prefix = `/repos/${this.owner}/${this.repo}`;
    const url = new URL(request.url);
    const path = decodeURIComponent(
      url.pathname.slice(
        new URL(this.apiBaseUrl).pathname.replace(/\/$/, '').length,
      ),
    );
    const text = await request.text();
    const body = text ? JSON.parse(text) : undefined;
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({
      method: request.method,
      path,
      ...(Object.keys(query).length ? { query } : {}),
      ...(body !== undefined ? { body } : {}),
      authorization: request.headers.get('authorization'),
    });
    const fault = this.faults.findIndex(
      f => f.method === request.method && f.path.test(path),
    );
    if (fault >= 0) {
      const [{ status, headers, body: faultBody }] = this.faults.splice(
        fault,
        1,
      );
      return [
        path,
        status,
        status === 'network'
          ? HttpResponse.error()
          : HttpResponse.json(faultBody ?? { message: 'Server Error' }, {
              status,
              headers,
            }),
      ];
    }
    const response = path.startsWith(`${prefix}`)
      ? this.route(request.method, path.slice(prefix.length), query, body)
      : notFound();
    return [path, response.status, response];
  }

  private route(
    method: string,
    path: string,
    query: Record<string, string>,
    body: any,
  ) {
    let g: string[] = [];
    // Matches `path` and keeps the groups in `g`.
    const at = (pattern: RegExp) => {
      const match = pattern.exec(path);
      g = match ? [...match] : [];
      return match !== null;
    };
    if (method === 'GET' && path === '') {
      return HttpResponse.json({
        full_name: `${this.owner}/${this.repo}`,
        default_branch: this.defaultBranch,
      });
    }
    if (method === 'GET' && at(/^\/git\/ref\/heads\/(.+)$/)) {
      const sha = this.refs.get(g[1]);
      return sha
        ? HttpResponse.json({
            ref: `refs/heads/${g[1]}`,
            object: { sha, type: 'commit' },
          })
        : notFound();
    }
    if (method === 'POST' && path === '/git/refs') {
      const branch = body.ref.replace(/^refs\/heads\//, '');
      if (this.refs.has(branch)) {
        return HttpResponse.json(
          { message: 'Reference already exists' },
          { status: 422 },
        );
      }
      this.refs.set(branch, body.sha);
      return HttpResponse.json(
        { ref: body.ref, object: { sha: body.sha } },
        { status: 201 },
      );
    }
    if (method === 'PATCH' && at(/^\/git\/refs\/heads\/(.+)$/)) {
      this.refs.set(g[1], body.sha);
      this.pulls
        .filter(p => p.head === g[1] && p.state === 'open')
        .forEach(p => (p.headSha = body.sha));
      return HttpResponse.json({
        ref: `refs/heads/${g[1]}`,
        object: { sha: body.sha },
      });
    }
    if (method === 'DELETE' && at(/^\/git\/refs\/heads\/(.+)$/)) {
      if (!this.refs.delete(g[1])) {
        return HttpResponse.json(
          { message: 'Reference does not exist' },
          { status: 422 },
        );
      }
      return new HttpResponse(null, { status: 204 });
    }
    if (method === 'GET' && at(/^\/git\/commits\/([0-9a-f]+)$/)) {
      const commit = this.commits.get(g[1]);
      return commit
        ? HttpResponse.json({
            sha: commit.sha,
            message: commit.message,
            tree: { sha: commit.tree },
            parents: commit.parents.map(sha => ({ sha })),
          })
        : notFound();
    }
    if (method === 'GET' && at(/^\/git\/trees\/([0-9a-f]+)$/)) {
      const tree = this.treeJson(g[1]);
      return tree ? HttpResponse.json(tree) : notFound();
    }
    if (method === 'POST' && path === '/git/trees') {
      const files = new Map(this.trees.get(body.base_tree));
      const modes = new Map(this.modes.get(body.base_tree));
      for (const entry of body.tree) {
        if (entry.sha === null) {
          files.delete(entry.path);
          modes.delete(entry.path);
        } else {
          files.set(entry.path, entry.content);
          if (entry.mode === '100644') modes.delete(entry.path);
          else modes.set(entry.path, entry.mode);
        }
      }
      return HttpResponse.json(
        { sha: this.storeTree(files, modes) },
        { status: 201 },
      );
    }
    if (method === 'POST' && path === '/git/commits') {
      const sha = this.storeCommit({
        message: body.message,
        tree: body.tree,
        parents: body.parents,
      });
      return HttpResponse.json(
        { sha, message: body.message, tree: { sha: body.tree } },
        { status: 201 },
      );
    }
    if (method === 'GET' && at(/^\/contents\/(.+)$/)) {
      const sha = this.refs.get(query.ref) ?? query.ref;
      const content = this.commits.has(sha)
        ? this.filesAt(sha)[g[1]]
        : undefined;
      return content === undefined
        ? notFound()
        : HttpResponse.json({
            type: 'file',
            encoding: 'base64',
            path: g[1],
            content: Buffer.from(content).toString('base64'),
          });
    }
    if (method === 'GET' && path === '/pulls') {
      const [, head] = (query.head ?? '').split(':');
      return HttpResponse.json(
        this.pulls
          .filter(
            p =>
              (!head || p.head === head) &&
              (query.state === 'all' || p.state === (query.state ?? 'open')),
          )
          .map(p => this.pullJson(p)),
      );
    }
    if (method === 'POST' && path === '/pulls') {
      const pull: Pull = {
        number: 41 + this.pulls.length + 1,
        state: 'open',
        merged: false,
        mergeable: true,
        head: body.head,
        headSha: this.refs.get(body.head)!,
        base: body.base,
        title: body.title,
        body: body.body,
        mergeCommitSha: null,
      };
      this.pulls.push(pull);
      return HttpResponse.json(this.pullJson(pull), { status: 201 });
    }
    if (at(/^\/pulls\/(\d+)$/)) {
      const pull = this.pulls.find(p => p.number === Number(g[1]));
      if (!pull) {
        return notFound();
      }
      if (method === 'PATCH' && body.state) {
        pull.state = body.state;
      }
      return HttpResponse.json(this.pullJson(pull));
    }
    if (method === 'POST' && at(/^\/pulls\/(\d+)\/requested_reviewers$/)) {
      if (
        body.reviewers.some((login: string) => !this.collaborators.has(login))
      ) {
        return HttpResponse.json(
          {
            message:
              'Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the acme/revenue repository.',
            documentation_url:
              'https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request',
          },
          { status: 422 },
        );
      }
      return HttpResponse.json(
        {
          ...this.pullJson(this.pulls.find(p => p.number === Number(g[1]))!),
          requested_reviewers: body.reviewers.map((login: string) => ({
            login,
          })),
          requested_teams: body.team_reviewers.map((slug: string) => ({
            slug,
          })),
        },
        { status: 201 },
      );
    }
    if (method === 'GET' && at(/^\/tarball\/([0-9a-f]+)$/)) {
      // GitHub answers with a 302 to codeload.github.com, which node-fetch
      // follows; the fake serves the archive itself. Same contents: a
      // gzipped tar whose one top folder is `{owner}-{repo}-{short sha}`.
      return this.commits.has(g[1])
        ? new HttpResponse(
            tarGz(
              this.filesAt(g[1]),
              `${this.owner}-${this.repo}-${g[1].slice(0, 7)}`,
            ),
            {
              status: 200,
              headers: { 'content-type': 'application/x-gzip' },
            },
          )
        : notFound();
    }
    if (method === 'GET' && at(/^\/commits\/(.+)\/status$/)) {
      // The ref is a sha or a branch (Backstage's GitHub reader asks for
      // the branch's, and reads `sha` and `repository.archive_url`).
      const sha = this.refs.get(g[1]) ?? g[1];
      if (!/^[0-9a-f]+$/.test(sha)) {
        return notFound();
      }
      // GitHub's combined state: failure when any failed or errored,
      // pending when any is pending or there are none, else success.
      const states = this.statuses.map(st => st.state);
      let state = 'success';
      if (states.some(st => st === 'failure' || st === 'error')) {
        state = 'failure';
      } else if (!states.length || states.includes('pending')) {
        state = 'pending';
      }
      const repo = `${this.apiBaseUrl}/repos/${this.owner}/${this.repo}`;
      return HttpResponse.json({
        state,
        sha,
        total_count: this.statuses.length,
        statuses: this.statuses,
        repository: {
          full_name: `${this.owner}/${this.repo}`,
          url: repo,
          archive_url: `${repo}/{archive_format}{/ref}`,
          trees_url: `${repo}/git/trees{/sha}`,
        },
      });
    }
    if (method === 'GET' && /^\/commits\/[0-9a-f]+\/check-runs$/.test(path)) {
      return HttpResponse.json({
        total_count: this.checkRuns.length,
        check_runs: this.checkRuns.map((run, i) => ({
          name: `check ${i + 1}`,
          ...run,
        })),
      });
    }
    return notFound();
  }
}

function notFound() {
  return HttpResponse.json(
    { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' },
    { status: 404 },
  );
}

/**
 * A gzipped ustar archive of `files` below the folder `root`, as GitHub's
 * tarball endpoint gives it (POSIX ustar headers, 512-byte blocks).
 */
function tarGz(files: Record<string, string>, root: string) {
  const blocks: Buffer[] = [];
  const entry = (name: string, body: Buffer, type: '0' | '5') => {
    if (Buffer.byteLength(name) > 100) {
      throw new Error(`FakeGitHub: ${name} is too long for its tarball`);
    }
    const header = Buffer.alloc(512);
    const octal = (value: number, width: number) =>
      `${value.toString(8).padStart(width - 1, '0')}\0`;
    header.write(name, 0, 100, 'utf8');
    header.write(octal(type === '5' ? 0o755 : 0o644, 8), 100);
    header.write(octal(0, 8), 108);
    header.write(octal(0, 8), 116);
    header.write(octal(body.length, 12), 124);
    header.write(octal(Math.floor(Date.now() / 1000), 12), 136);
    header.write(' '.repeat(8), 148);
    header.write(type, 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    const checksum = header.reduce((sum, byte) => sum + byte, 0);
    header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  };
  entry(`${root}/`, Buffer.alloc(0), '5');
  for (const [path, content] of Object.entries(files)) {
    entry(`${root}/${path}`, Buffer.from(content), '0');
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

function hash(text: string) {
  return createHash('sha1').update(text).digest('hex');
}
