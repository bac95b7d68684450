// The types are generated from the Rust types by wasm-bindgen and tsify.
import type * as wasm from './node/ripple_engine';

export type {
  ChangeSpec,
  CompatView,
  CompatViewOptions,
  Dialect,
  EngineError,
  Location,
  RippleError,
  StatementTables,
} from './node/ripple_engine';

/** Ripple's engine, ready to call. Every function is synchronous. */
export interface RippleEngine {
  version: typeof wasm.version;
  tables: typeof wasm.tables;
  compatView: typeof wasm.compatView;
}

/**
 * Loads the engine once and resolves to it. In Node the WebAssembly module is
 * read from disk; in the browser it is fetched as an asset of the bundle.
 */
export function loadEngine(): Promise<RippleEngine>;
