'use strict';

// What the engine's worker and the code that starts it share: the calls a
// worker answers, and how a RippleError crosses postMessage (structured
// cloning keeps an Error's message but not its name or the engine's fields).
// The calls made in one turn of the event loop travel as one message, and
// their answers as one: a preview's hundred rewrites are one message each
// way, not a hundred.

const METHODS = [
  'version',
  'tables',
  'analyze',
  'compatView',
  'forwardView',
  'stepPlan',
  'bindParameters',
  'rewrite',
  'validateChange',
  'unmatchedDataset',
  'classifyImpact',
  'projectSchema',
  'rewriteProperties',
  'diffSchemas',
];

/** Answers a message of calls with the engine, as the message to post back. */
function answerAll(engine, calls) {
  return calls.map(call => answer(engine, call));
}

function answer(engine, { id, method, args }) {
  // (projectSchema, rewriteProperties and diffSchemas are in Node's build only.)
  if (!METHODS.includes(method) || typeof engine[method] !== 'function') {
    return {
      id,
      error: {
        name: 'RippleError',
        kind: 'invalid_argument',
        message: `no engine function named ${method}`,
      },
    };
  }
  try {
    return { id, result: engine[method](...args) };
  } catch (e) {
    return { id, error: { ...e, name: e.name, message: e.message } };
  }
}

/**
 * The engine's functions as asynchronous calls to a worker. `post` sends a
 * message of calls; the returned `receive` takes each message of answers and
 * `fail` rejects every call in flight (the worker could not start or died).
 */
function engineClient(post, terminate) {
  const pending = new Map();
  let next = 0;
  let failure;
  const call =
    method =>
    (...args) =>
      new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        const id = next++;
        pending.set(id, { resolve, reject });
        if (queued.length === 0) queueMicrotask(flush);
        return queued.push({ id, method, args });
      });
  let queued = [];
  function flush() {
    const calls = queued;
    queued = [];
    if (!failure) post(calls);
  }
  const client = Object.fromEntries(METHODS.map(m => [m, call(m)]));
  client.terminate = () => {
    terminate();
    fail(new Error('the engine worker was terminated'));
  };
  function receive(answers) {
    for (const { id, result, error } of answers) {
      const call = pending.get(id);
      if (!call) continue;
      pending.delete(id);
      if (error) {
        call.reject(Object.assign(new Error(error.message), error));
      } else {
        call.resolve(result);
      }
    }
  }
  function fail(error) {
    failure ??= error;
    for (const call of pending.values()) call.reject(failure);
    pending.clear();
  }
  return { client: Object.freeze(client), receive, fail };
}

exports.answerAll = answerAll;
exports.engineClient = engineClient;
