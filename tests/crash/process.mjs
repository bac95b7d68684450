// The backend as a separate process: started, waited for, SIGKILLed and
// started again; and the HTTP client the driver and the checks use, signed
// in as the guest user through the real auth backend.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

export class BackendProcess {
  constructor({ root, configFile, logFile, baseUrl }) {
    this.root = root;
    this.configFile = configFile;
    this.logFile = logFile;
    this.baseUrl = baseUrl;
    this.child = undefined;
    this.starts = 0;
  }

  /** Spawns the backend, the leader of its own process group (git children included). */
  spawn() {
    this.starts += 1;
    const log = fs.openSync(this.logFile, 'a');
    fs.writeSync(
      log,
      `\n===== start ${this.starts} at ${new Date().toISOString()} =====\n`,
    );
    this.child = spawn(
      process.execPath,
      [
        '--enable-source-maps',
        '--require',
        require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
        path.join(this.root, 'tests/crash/backend.ts'),
        '--config',
        this.configFile,
      ],
      {
        cwd: this.root,
        detached: true,
        stdio: ['ignore', log, log],
        env: { ...process.env, NODE_ENV: 'development' },
      },
    );
    fs.closeSync(log);
    const child = this.child;
    child.exited = new Promise(resolve =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.spawnedAt = Date.now();
    return child;
  }

  /** Waits until the backend answers Ripple's API (its plugins all started). */
  async ready(api, timeoutMs = 120_000) {
    const deadline = Date.now() + timeoutMs;
    const child = this.child;
    let exited;
    child.exited.then(r => (exited = r));
    for (;;) {
      if (exited) {
        throw new Error(
          `the backend exited (${JSON.stringify(
            exited,
          )}) before it was ready; see ${this.logFile}`,
        );
      }
      try {
        const res = await fetch(
          `${this.baseUrl}/.backstage/health/v1/readiness`,
        );
        if (
          res.ok &&
          (await api.get('/api/ripple/migrations?limit=1')).status === 200
        )
          return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(
          `the backend was not ready after ${timeoutMs / 1000} s; see ${
            this.logFile
          }`,
        );
      await sleep(100);
    }
  }

  /**
   * SIGKILL to the backend, then to every process of its group (its git
   * commands, mid-fetch or mid-push) but the git server's side: the bare
   * repositories stand for remote servers, whose `receive-pack` does not
   * die with the backend. (Killed with the backend, a `receive-pack` that
   * was updating a branch leaves the branch's `.lock` in the repository,
   * and every later push of that branch fails: an artefact of a server
   * run by the backend's own processes.) Then waits for the exit.
   */
  async kill() {
    const child = this.child;
    if (!child) return;
    signal(child.pid);
    for (const pid of groupProcesses(child.pid)) signal(pid);
    await child.exited;
    this.child = undefined;
  }
}

function signal(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}

/** The processes of the process group `pgid`, without the git server's (receive-pack and what it runs). */
function groupProcesses(pgid) {
  const procs = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
      const [ppid, pgrp] = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .slice(1, 3)
        .map(Number);
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      procs.set(Number(name), {
        ppid,
        pgrp,
        server: /receive-pack/.test(cmdline),
      });
    } catch {
      // gone meanwhile
    }
  }
  const serverSide = pid => {
    for (
      let p = procs.get(pid), n = 0;
      p && n < 64;
      p = procs.get(p.ppid), n++
    ) {
      if (p.server) return true;
    }
    return false;
  };
  return [...procs]
    .filter(([pid, p]) => p.pgrp === pgid && pid !== pgid && !serverSide(pid))
    .map(([pid]) => pid);
}

/** Ripple's API as the guest user, whose token comes from the guest provider. */
export class Api {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
    this.token = undefined;
  }

  async signIn() {
    const res = await fetch(
      `${this.baseUrl}/api/auth/guest/refresh?env=development`,
      {
        headers: { 'x-requested-with': 'XMLHttpRequest' },
      },
    );
    if (!res.ok)
      throw new Error(`guest sign-in: ${res.status} ${await res.text()}`);
    this.token = (await res.json()).backstageIdentity.token;
  }

  async request(method, url, body) {
    if (!this.token) await this.signIn();
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${this.baseUrl}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      if (res.status === 401 && attempt === 0) {
        await this.signIn();
        continue;
      }
      let json;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, body: json, text };
    }
  }

  get(url) {
    return this.request('GET', url);
  }

  post(url, body = {}) {
    return this.request('POST', url, body);
  }
}

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
