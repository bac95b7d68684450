// wasm-pack's `web` build: `init()` fetches `ripple_engine_bg.wasm`, which
// bundlers emit as an asset because of its `new URL(..., import.meta.url)`.
import init, { compatView, tables, version } from './web/ripple_engine.js';

let loading;

export function loadEngine() {
  loading ??= init().then(() => Object.freeze({ version, tables, compatView }));
  return loading;
}
