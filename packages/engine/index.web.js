// wasm-pack's `web` build: `init()` fetches `ripple_engine_bg.wasm`, which
// bundlers emit as an asset because of its `new URL(..., import.meta.url)`.
import init, * as wasm from './web/ripple_engine.js';
import { makeEngine } from './guard.js';
import { engineClient } from './worker.js';

let loading;

export function loadEngine() {
  loading ??= init().then(() => makeEngine(wasm));
  return loading;
}

/**
 * The engine in a Web Worker of its own, so that long work leaves the page
 * responsive and several workers use several cores. The worker fetches and
 * compiles the same `.wasm`; bundlers emit the worker as a chunk because of
 * the `new Worker(new URL(..., import.meta.url))` form.
 */
export function startEngineWorker() {
  const worker = new Worker(new URL('./worker.web.js', import.meta.url), {
    type: 'module',
  });
  const { client, receive, fail } = engineClient(
    call => worker.postMessage(call),
    () => worker.terminate(),
  );
  worker.onmessage = event => receive(event.data);
  worker.onerror = event => {
    event.preventDefault();
    fail(
      new Error(
        `the engine worker failed: ${
          event.message || 'it could not be loaded'
        }`,
      ),
    );
  };
  return client;
}
