// wasm-pack's `web` build: `init()` fetches `ripple_engine_bg.wasm`, which
// bundlers emit as an asset because of its `new URL(..., import.meta.url)`.
import init, * as wasm from './web/ripple_engine.js';
import { makeEngine } from './guard.js';

let loading;

export function loadEngine() {
  loading ??= init().then(() => makeEngine(wasm));
  return loading;
}
