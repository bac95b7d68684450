// What the benchmarks (consumers.ts, fleet.ts) share: the API as a user,
// percentiles, and replica processes.
import { mockCredentials } from '@backstage/backend-test-utils';
import { spawn } from 'node:child_process';

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
 * printing `READY <url>` once it serves; resolves with their URLs.
 */
export function spawnReplicas(script: string, count: number, args: string[]) {
  const children = Array.from({ length: count }, (_, n) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, script, 'replica', ...args],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    const ready = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', chunk => {
        output += chunk;
        const match = /READY (\S+)/.exec(output);
        if (match) resolve(match[1]);
      });
      child.on('exit', code =>
        reject(new Error(`replica ${n} exited ${code}`)),
      );
    });
    return { child, ready, output: () => output };
  });
  return {
    children,
    urls: Promise.all(children.map(c => c.ready)),
    stop: () => children.forEach(c => c.child.kill('SIGTERM')),
  };
}
