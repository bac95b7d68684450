// The types are generated from the Rust types by wasm-bindgen and tsify.
import type * as wasm from './node/ripple_engine';

export type {
  AnalyzeOptions,
  BindingError,
  ChangeSpec,
  ColumnSchema,
  ColumnSource,
  CompatView,
  CompatViewOptions,
  Diagnostic,
  Dialect,
  EngineError,
  FileAnalysis,
  FileRewrite,
  Language,
  Location,
  Output,
  Reference,
  ReferenceKind,
  RewriteOptions,
  RewriteStatus,
  RippleError,
  Schema,
  Severity,
  StatementAnalysis,
  StatementTables,
  TableRead,
  TableSchema,
  TableWrite,
} from './node/ripple_engine';

/**
 * Ripple's engine, ready to call. Every function is synchronous and throws
 * only `RippleError`s; after one of kind `internal` (a bug in the engine) the
 * next call runs on a fresh WebAssembly instance.
 */
export interface RippleEngine {
  version: typeof wasm.version;
  tables: typeof wasm.tables;
  analyze: typeof wasm.analyze;
  compatView: typeof wasm.compatView;
  rewrite: typeof wasm.rewrite;
}

/**
 * Loads the engine once and resolves to it. In Node the WebAssembly module is
 * read from disk; in the browser it is fetched as an asset of the bundle.
 */
export function loadEngine(): Promise<RippleEngine>;
