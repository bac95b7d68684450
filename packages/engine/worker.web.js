// The engine in a Web Worker (see `startEngineWorker` in index.web.js).
import init, * as wasm from './web/ripple_engine.js';
import { makeEngine } from './guard.js';
import { answer } from './worker.js';

const engine = init().then(() => makeEngine(wasm));
const failed = engine.then(
  () => undefined,
  e => e,
);

self.onmessage = async ({ data }) => {
  const loadError = await failed;
  if (loadError) {
    self.postMessage({
      id: data.id,
      error: {
        name: 'RippleError',
        kind: 'internal',
        message: `the engine could not load: ${loadError.message}`,
      },
    });
    return;
  }
  self.postMessage(answer(await engine, data));
};
