import { useEffect, useState } from 'react';
import { loadEngine, type RippleEngine } from '@ripple/engine';

// Loading starts when this module is first imported (with the page that
// needs it); once loaded, the engine is handed out synchronously, so
// components mounted later render their results on the first paint.
let loaded: RippleEngine | undefined;
const loading = loadEngine().then(e => (loaded = e));

/**
 * Ripple's WebAssembly engine, loaded once per page and shared. The browser
 * runs the same engine as the backend, so previews need no round trip.
 */
export function useEngine(): {
  engine?: RippleEngine;
  loading: boolean;
  error?: Error;
} {
  const [engine, setEngine] = useState(loaded);
  const [error, setError] = useState<Error>();
  useEffect(() => {
    if (engine) return undefined;
    let mounted = true;
    loading.then(
      e => {
        if (mounted) setEngine(e);
      },
      e => mounted && setError(e),
    );
    return () => {
      mounted = false;
    };
  }, [engine]);
  return { engine, loading: !engine && !error, error };
}
