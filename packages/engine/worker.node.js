'use strict';

// The engine in a worker thread (see `startEngineWorker` in index.node.js).
const { parentPort } = require('node:worker_threads');
const { loadEngine } = require('./index.node.js');
const { answerAll } = require('./worker.js');

loadEngine().then(engine => {
  parentPort.on('message', calls =>
    parentPort.postMessage(answerAll(engine, calls)),
  );
});
