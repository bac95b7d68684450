/*
 * The fleet benchmark's readers (fleet.ts): clients paging
 * GET /migrations/{id}/consumers at random cursors while the agent works,
 * in a process of their own, as a portal's readers are browsers elsewhere:
 * their requests and JSON parsing share the 2 cores, not the backend's
 * event loop.
 *
 * Two ways to read:
 * - closed (pace 0): each reader asks again as soon as its page arrives, so
 *   the readers take whatever the backend can serve; their latency is then
 *   readers / throughput (Little's law), a measure of throughput.
 * - paced (pace > 0 pages a second per reader): each reader's pages are
 *   due on a schedule, whether or not the last has arrived late, and a
 *   page's latency runs from when it was due (no coordinated omission): the
 *   latency a person paging at that rate sees.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { api, sleep } from './lib';

export type Readers = {
  /** Clients reading at once. */
  count: number;
  /** Pages a second each reader asks for; 0: as fast as it is served. */
  pace: number;
};

/**
 * `readers.count` clients paging until `stopped()`: each page of a random
 * migration, from a cursor picked at random among those its pages gave so
 * far (or its first page), so no cursor is forged and the starting points
 * spread over the list as it grows. The latencies.
 */
async function pageAtRandom(
  url: string,
  ids: string[],
  readers: Readers,
  stopped: () => boolean,
): Promise<number[]> {
  const latencies: number[] = [];
  const cursors = new Map<string, string[]>();
  const interval = readers.pace > 0 ? 1000 / readers.pace : 0;
  const reader = async () => {
    // Paced readers start spread over one interval, not all at once.
    let due = performance.now() + Math.random() * interval;
    while (!stopped()) {
      if (interval) {
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (stopped()) break;
      }
      const id = ids[Math.floor(Math.random() * ids.length)];
      const seen = cursors.get(id) ?? [];
      const pick = Math.floor(Math.random() * (seen.length + 1));
      const cursor = pick < seen.length ? seen[pick] : undefined;
      const start = interval ? due : performance.now();
      const page = await api(
        `${url}/migrations/${id}/consumers?limit=50${
          cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
        }`,
      );
      latencies.push(performance.now() - start);
      if (page.nextCursor && seen.length < 1000) {
        cursors.set(id, [...seen, page.nextCursor]);
      }
      due += interval;
    }
  };
  await Promise.all(Array.from({ length: readers.count }, reader));
  return latencies;
}

/** {@link pageAtRandom} in a child process; `stop()` resolves with the latencies. */
export function spawnReaders(url: string, ids: string[], readers: Readers) {
  // The latencies come back in a file: a handler that throws (a half-read
  // pipe) would be swallowed by the backend's process-wide handlers.
  const out = path.join(
    os.tmpdir(),
    `ripple-fleet-readers-${process.pid}.json`,
  );
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      __filename,
      out,
      url,
      String(readers.count),
      String(readers.pace),
      ...ids,
    ],
    { stdio: ['pipe', 'inherit', 'inherit'] },
  );
  const exited = new Promise<number[]>((resolve, reject) =>
    child.on('close', code => {
      try {
        if (code !== 0) throw new Error(`the readers exited ${code}`);
        resolve(JSON.parse(fs.readFileSync(out, 'utf8')));
      } catch (error) {
        reject(error);
      } finally {
        fs.rmSync(out, { force: true });
      }
    }),
  );
  // (Awaited by `stop()`; a failure before it is not unhandled.)
  exited.catch(() => undefined);
  process.once('exit', () => child.kill('SIGTERM'));
  return {
    stop: () => {
      child.stdin!.end();
      return exited;
    },
  };
}

/** The child of {@link spawnReaders}: pages until its stdin closes. */
async function readersChild(args: string[]) {
  const [out, url, count, pace, ...ids] = args;
  let stopped = false;
  process.stdin.on('end', () => {
    stopped = true;
  });
  process.stdin.resume();
  const latencies = await pageAtRandom(
    url,
    ids,
    { count: Number(count), pace: Number(pace) },
    () => stopped,
  );
  fs.writeFileSync(out, JSON.stringify(latencies));
}

if (require.main === module) {
  readersChild(process.argv.slice(2)).then(
    () => process.exit(0),
    error => {
      console.error(error);
      process.exit(1);
    },
  );
}
