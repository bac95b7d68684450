import { useCallback, useEffect, useRef, useState } from 'react';

export type Loaded<T> = {
  value?: T;
  error?: Error;
  /** True until the first answer; later refreshes keep showing the last value. */
  loading: boolean;
  reload: () => void;
};

/**
 * Loads a value and loads it again every `refreshMs` or when `refreshKey`
 * changes (a migration moves while people look at it). A refresh keeps the
 * value shown until the new one arrives, so nothing flickers; the last
 * error is kept until a load succeeds. A change of `deps` (another thing to
 * load) starts from nothing.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
  options: { refreshMs?: number; refreshKey?: unknown } = {},
): Loaded<T> {
  const [state, setState] = useState<{
    value?: T;
    error?: Error;
    loading: boolean;
  }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    setState({ loading: true });
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    let live = true;
    loadRef.current().then(
      value => live && setState({ value, loading: false }),
      error =>
        live && setState(s => ({ value: s.value, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick, options.refreshKey]); // eslint-disable-line react-hooks/exhaustive-deps

  const { refreshMs } = options;
  useEffect(() => {
    if (!refreshMs) return undefined;
    const timer = setInterval(() => setTick(t => t + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);

  const reload = useCallback(() => setTick(t => t + 1), []);
  return { ...state, reload };
}

/**
 * Every item of a paged list, a page of 500 at a time, each page after the
 * last one's cursor: a walk that sees each item once even while the list
 * changes, and whose pages cost the same at any depth (docs/backend.md,
 * "Paging").
 */
export async function loadAllPages<T>(
  page: (request: { limit: number; cursor?: string }) => Promise<{
    items: T[];
    nextCursor?: string;
  }>,
): Promise<T[]> {
  const limit = 500;
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const next = await page(cursor ? { limit, cursor } : { limit });
    items.push(...next.items);
    if (!next.nextCursor) return items;
    cursor = next.nextCursor;
  }
}
