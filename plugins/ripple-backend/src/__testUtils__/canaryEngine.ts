import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  loadEngine,
  type ChangeSpec,
  type FileRewrite,
  type RippleEngine,
} from '@ripple/engine';
import { rippleEngineServiceRef } from '../engine/engineService';

/**
 * A second engine build for the canary's tests: the same engine (the real
 * WebAssembly module, every other function untouched) declaring another
 * version and rewriting one construct differently: in `.sql` files, the
 * output name a renamed column keeps is quoted (`amount_usd AS "amount"`
 * rather than `amount_usd AS amount`). A seam over the real engine, not a
 * second Rust build (docs/backend.md says why).
 */
export function canaryEngine(
  engine: RippleEngine,
  version = `${engine.version()}+canary`,
): RippleEngine {
  const quoteKeptNames = (
    rewrite: FileRewrite,
    change: ChangeSpec,
  ): FileRewrite => {
    if (!rewrite.path.endsWith('.sql') || !rewrite.patch) return rewrite;
    let { patch, content } = rewrite;
    for (const c of change.changes) {
      if (c.kind !== 'rename_column') continue;
      const kept = new RegExp(`\\b${c.to} AS ${c.column}\\b`, 'g');
      const quoted = `${c.to} AS "${c.column}"`;
      patch = patch
        .split('\n')
        .map(line => (line.startsWith('+') ? line.replace(kept, quoted) : line))
        .join('\n');
      content = content?.replace(kept, quoted);
    }
    return { ...rewrite, patch, ...(content ? { content } : {}) };
  };
  return Object.freeze({
    ...engine,
    version: () => version,
    rewrite: (path, text, change, options) =>
      quoteKeptNames(
        engine.rewrite(path, text, change, options),
        typeof change === 'string' ? JSON.parse(change) : change,
      ),
  } satisfies RippleEngine);
}

/** Installs {@link canaryEngine} as a backend's engine. */
export const canaryEngineFactory = createServiceFactory({
  service: rippleEngineServiceRef,
  deps: {},
  factory: async () => canaryEngine(await loadEngine()),
});
