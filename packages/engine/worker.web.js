// The engine in a Web Worker (see `startEngineWorker` in index.web.js).
import init, * as wasm from './web/ripple_engine.js';
import { makeEngine } from './guard.js';
import { answerAll } from './worker.js';

const engine = init().then(() => makeEngine(wasm));

self.onmessage = async ({ data: calls }) => {
  let loaded;
  try {
    loaded = await engine;
  } catch (e) {
    self.postMessage(
      calls.map(({ id }) => ({
        id,
        error: {
          name: 'RippleError',
          kind: 'internal',
          message: `the engine could not load: ${e.message}`,
        },
      })),
    );
    return;
  }
  self.postMessage(answerAll(loaded, calls));
};
