import { useEffect, useMemo, useRef, useState } from 'react';
import type {
  AnalysisCache,
  ConsumerCode,
  DatasetColumn,
} from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, RippleEngine, RippleError } from '@ripple/engine';
import {
  computePreview,
  engineFiles,
  PreviewRewriter,
  type PreviewResult,
} from './livePreview';

/**
 * A preview of one edit, numbered (the benchmark tells edits apart by
 * `edit`), or the engine's refusal of the change.
 */
export type LivePreview =
  | (PreviewResult & { edit: number })
  | { error: string };

/**
 * The impact of `change` on every consumer, recomputed in the browser each
 * time the change is a new object. One preview runs at a time: the edits
 * made while it runs are previewed once it ends, and only the latest of
 * them; a newer edit aborts the running one, whose result is never shown.
 * Undefined while there is no engine or no complete change.
 */
export function useLivePreview(
  engine: RippleEngine | undefined,
  change: ChangeSpec | undefined,
  code: ConsumerCode[],
  columns: DatasetColumn[],
): LivePreview | undefined {
  // Kept for the form's life, so that an edit reuses every file's analysis.
  const cache = useRef<AnalysisCache>(new WeakMap()).current;
  const files = useMemo(() => engineFiles(), []);
  // Made in an effect, not a memo, so that every mount has live workers
  // (React's strict mode unmounts and mounts again).
  const [rewriter, setRewriter] = useState<PreviewRewriter>();
  useEffect(() => {
    if (!engine) return undefined;
    const made = new PreviewRewriter(engine);
    setRewriter(made);
    return () => made.close();
  }, [engine]);
  const [preview, setPreview] = useState<LivePreview>();
  // Counts the edits previewed, for the benchmark to tell them apart.
  const edits = useRef(0);
  const queue = useRef<{ running: boolean; next?: () => Promise<void> }>({
    running: false,
  });

  useEffect(() => {
    if (!engine || !rewriter || !change) {
      setPreview(undefined);
      return undefined;
    }
    const stale = new AbortController();
    const edit = ++edits.current;
    const job = async () => {
      let result: LivePreview;
      try {
        const computed = await computePreview(
          engine,
          change,
          code,
          columns,
          cache,
          files,
          rewriter,
          stale.signal,
        );
        result = { ...computed, edit };
      } catch (e) {
        if (stale.signal.aborted) return;
        result = { error: (e as RippleError).message };
      }
      if (!stale.signal.aborted) setPreview(result);
    };
    const q = queue.current;
    q.next = job;
    if (!q.running) {
      q.running = true;
      (async () => {
        while (q.next) {
          const next = q.next;
          q.next = undefined;
          await next();
        }
        q.running = false;
      })();
    }
    return () => stale.abort();
  }, [engine, rewriter, change, code, columns, cache, files]);

  return preview;
}
