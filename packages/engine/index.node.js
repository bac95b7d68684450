'use strict';

// wasm-pack's `nodejs` build: the module is compiled when first required.
const wasm = require('./node/ripple_engine.js');
const { makeEngine } = require('./guard.js');
const { engineClient } = require('./worker.js');

// The dbt project bindings are a module of their own (see
// scripts/build-engine.sh), compiled only when first called.
let dbt;
const engine = makeEngine(wasm, () => {
  dbt ??= require('./node-dbt/ripple_engine.js');
  return dbt;
});

exports.loadEngine = () => Promise.resolve(engine);

// The engine in a worker thread of its own (see index.d.ts).
exports.startEngineWorker = () => {
  const { Worker } = require('node:worker_threads');
  const worker = new Worker(require.resolve('./worker.node.js'));
  const { client, receive, fail } = engineClient(
    call => worker.postMessage(call),
    () => worker.terminate(),
  );
  worker.on('message', receive);
  worker.on('error', error =>
    fail(
      new Error(`the engine worker failed: ${error.message}`, { cause: error }),
    ),
  );
  worker.on('exit', code =>
    fail(new Error(`the engine worker exited with code ${code}`)),
  );
  return client;
};
