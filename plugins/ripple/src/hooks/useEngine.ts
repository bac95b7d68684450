import { loadEngine, type RippleEngine } from '@ripple/engine';
import useAsync from 'react-use/esm/useAsync';

/**
 * Ripple's WebAssembly engine, loaded once per page and shared. The browser
 * runs the same engine as the backend, so previews need no round trip.
 */
export function useEngine(): {
  engine?: RippleEngine;
  loading: boolean;
  error?: Error;
} {
  const { value, loading, error } = useAsync(loadEngine, []);
  return { engine: value, loading, error };
}
