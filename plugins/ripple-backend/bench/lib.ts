// What the benchmarks (consumers.ts, fleet.ts) share: the API as a user,
// percentiles, and replica processes.
import { mockCredentials } from '@backstage/backend-test-utils';
import { type ChildProcess, spawn } from 'node:child_process';

export const user = mockCredentials.user.header('user:default/bench');

/** Calls Ripple's API as `as` (the bench user by default); throws on an error. */
export async function api(
  url: string,
  method = 'GET',
  body?: object,
  as = user,
) {
  const res = await fetch(url, {
    method,
    headers: { Authorization: as, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) {
    throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  }
  return res.json();
}

export const sleep = (ms: number) =>
  new Promise(resolve => setTimeout(resolve, ms));

export function percentile(sorted: number[], p: number): number {
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/**
 * Starts `count` backend processes running `script replica ...args`, each
 * printing `READY <url>` once it serves; resolves with their URLs. One after
 * the other: replicas starting at once on an empty database race to create
 * Backstage's own tables (the scheduler's), and one fails.
 */
export function spawnReplicas(script: string, count: number, args: string[]) {
  const children: { child: ChildProcess; output: () => string }[] = [];
  const start = (n: number) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, script, 'replica', ...args],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    children.push({ child, output: () => output });
    return new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', chunk => {
        output += chunk;
        const match = /READY (\S+)/.exec(output);
        if (match) resolve(match[1]);
      });
      child.on('exit', code =>
        reject(new Error(`replica ${n} exited ${code}`)),
      );
    });
  };
  const urls = (async () => {
    const ready: string[] = [];
    for (let n = 0; n < count; n++) ready.push(await start(n));
    return ready;
  })();
  const stop = () => children.forEach(c => c.child.kill('SIGTERM'));
  // (A benchmark that fails leaves no replica running.)
  process.once('exit', stop);
  return { children, urls, stop };
}
