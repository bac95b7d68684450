/*
 * A few of the agent's consumers at once: enough to keep every engine
 * worker busy (EnginePool.concurrency), never an unbounded number.
 */

/**
 * `fn` of each item of `source`, at most `limit` at once, yielded in the
 * source's order. When the source fails, what was started before is still
 * yielded, then the failure is thrown; when the caller stops early, the
 * ones in flight end before the generator returns.
 */
export async function* inOrder<T, R>(
  source: AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const window: Promise<R>[] = [];
  let failure: { error: unknown } | undefined;
  try {
    try {
      for await (const item of source) {
        window.push(awaitedLater(fn(item)));
        if (window.length >= limit) yield await window.shift()!;
      }
    } catch (error) {
      failure = { error };
    }
    while (window.length > 0) yield await window.shift()!;
  } finally {
    await Promise.allSettled(window);
  }
  if (failure) throw failure.error;
}

/**
 * `fn` of each item, at most `limit` at once, starting none once `signal`
 * aborts or one failed; resolves when those started are done, and rejects
 * with the first failure.
 */
export async function forEachBounded<T>(
  items: Iterable<T>,
  limit: number,
  signal: AbortSignal | undefined,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const running = new Set<Promise<void>>();
  const failures: unknown[] = [];
  const failed = (error: unknown) => {
    failures.push(error);
  };
  for (const item of items) {
    if (signal?.aborted || failures.length > 0) break;
    const run: Promise<void> = fn(item)
      .catch(failed)
      .finally(() => running.delete(run));
    running.add(run);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failures.length > 0) throw failures[0];
}

// A promise awaited only when its turn comes: its rejection is handled
// then, not reported as unhandled meanwhile.
function awaitedLater<R>(promise: Promise<R>): Promise<R> {
  promise.catch(() => {});
  return promise;
}
