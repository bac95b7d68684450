'use strict';

// Shared by both entry points. Every call into the engine goes through
// `guard`, so that whatever fails inside the WebAssembly instance reaches the
// caller as a RippleError and the next call runs on a fresh instance:
// - a Rust panic is thrown by the engine's panic hook as a RippleError of kind
//   `internal`, and the hook has already asked for a new instance;
// - a trap no Rust code sees (stack overflow, out of memory) arrives here as
//   a WebAssembly.RuntimeError or RangeError: it becomes a RippleError of kind
//   `internal`, and a new instance is asked for here.
// A new instance is cheap: the compiled module is reused.

function internalError(cause) {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const error = new Error(`internal error in Ripple's engine: ${detail}`, { cause });
  error.name = 'RippleError';
  error.kind = 'internal';
  return error;
}

function guard(wasm, fn) {
  return (...args) => {
    try {
      return fn(...args);
    } catch (e) {
      if (e instanceof Error && e.name === 'RippleError') throw e;
      try {
        wasm.__rippleReload();
      } catch {
        // Already asked for, or the instance cannot even do that: the error
        // below is all the caller can be told.
      }
      throw internalError(e);
    }
  };
}

exports.guard = guard;

/**
 * The engine object `loadEngine()` resolves to, from the wasm-pack module;
 * `dbt`, in Node, returns the module with the dbt project bindings.
 */
exports.makeEngine = (wasm, dbt) =>
  Object.freeze({
    version: guard(wasm, wasm.version),
    tables: guard(wasm, wasm.tables),
    analyze: guard(wasm, wasm.analyze),
    compatView: guard(wasm, wasm.compatView),
    forwardView: guard(wasm, wasm.forwardView),
    stepPlan: guard(wasm, wasm.stepPlan),
    bindParameters: guard(wasm, wasm.bindParameters),
    rewrite: guard(wasm, wasm.rewrite),
    validateChange: guard(wasm, wasm.validateChange),
    unmatchedDataset: guard(wasm, wasm.unmatchedDataset),
    classifyImpact: guard(wasm, wasm.classifyImpact),
    // In Node only: its dbt module, loaded on first use (`dbt()`).
    ...(dbt
      ? {
          projectSchema: (...args) =>
            guard(dbt(), dbt().projectSchema)(...args),
          rewriteProperties: (...args) =>
            guard(dbt(), dbt().rewriteProperties)(...args),
          diffSchemas: (...args) => guard(dbt(), dbt().diffSchemas)(...args),
        }
      : {}),
  });
