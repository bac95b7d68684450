import { useCallback, useRef, useState } from 'react';

export type Action<K> = {
  /** The key of the action running, while one is (its button shows it pending). */
  pending?: K;
  /** What the last run threw; cleared when the next run starts. */
  error?: unknown;
  /** Runs `action` under `key`, recording its error instead of throwing it. */
  run: (key: K, action: () => Promise<unknown>) => Promise<void>;
};

/**
 * A button's request: which one is pending, and its error for the component
 * to show. `onError` sees the error first (a review refused for a conflict
 * reloads the page); `onSettled` runs after success and failure alike (the
 * page reloads what the action may have moved, even half-way). Both are read
 * when the run ends, so the latest props are called.
 */
export function useAction<K = true>(
  options: {
    onError?: (error: unknown) => void;
    onSettled?: () => void;
  } = {},
): Action<K> {
  const [pending, setPending] = useState<K>();
  const [error, setError] = useState<unknown>();
  const latest = useRef(options);
  latest.current = options;

  const run = useCallback(async (key: K, action: () => Promise<unknown>) => {
    setPending(key);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(e);
      latest.current.onError?.(e);
    } finally {
      setPending(undefined);
      latest.current.onSettled?.();
    }
  }, []);

  return { pending, error, run };
}
