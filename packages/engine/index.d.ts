// The types are generated from the Rust types by wasm-bindgen and tsify.
import type * as wasm from './node/ripple_engine';
import type * as dbt from './node-dbt/ripple_engine';

export type {
  AnalyzeOptions,
  BindingError,
  Change,
  ChangeProblem,
  ChangeSpec,
  ClassifyImpactOptions,
  ColumnSchema,
  ConsumerImpact,
  ColumnSource,
  CompatView,
  CompatViewOptions,
  Diagnostic,
  Dialect,
  EngineError,
  FileAnalysis,
  FileImpact,
  ForwardView,
  ForwardViewOptions,
  FileRewrite,
  Finding,
  FindingKind,
  FindingSeverity,
  ImpactReason,
  ImpactReasonKind,
  Language,
  Location,
  Output,
  Parameter,
  QueryPart,
  SourceFile,
  UnmatchedDataset,
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
  ValidateChangeOptions,
  Verdict,
} from './node/ripple_engine';
export type {
  DiffSchemasOptions,
  Origin,
  ProjectSchema,
  ProjectSchemaOptions,
  SchemaConflict,
  SchemaDiff,
  SchemaFormat,
  SourceTable,
  Step,
  StepName,
  StepPlan,
  StepPlanOptions,
  Batch,
  Layout,
  Suggestion,
  TableOrigin,
  Undecided,
} from './node-dbt/ripple_engine';

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
  forwardView: typeof wasm.forwardView;
  stepPlan: typeof wasm.stepPlan;
  bindParameters: typeof wasm.bindParameters;
  rewrite: typeof wasm.rewrite;
  validateChange: typeof wasm.validateChange;
  unmatchedDataset: typeof wasm.unmatchedDataset;
  classifyImpact: typeof wasm.classifyImpact;
  /**
   * In Node's build only (absent in the browser, whose `.wasm` would go
   * over its 1 MB goal with the YAML and CSV readers these need).
   */
  projectSchema?: typeof dbt.projectSchema;
  /** In Node's build only, as `projectSchema`. */
  rewriteProperties?: typeof dbt.rewriteProperties;
  /** In Node's build only, as `projectSchema` (its YAML reader). */
  diffSchemas?: typeof dbt.diffSchemas;
}

/**
 * Loads the engine once and resolves to it. In Node the WebAssembly module is
 * read from disk; in the browser it is fetched as an asset of the bundle.
 */
export function loadEngine(): Promise<RippleEngine>;

/**
 * The engine's functions, each answered by a worker and returned as a
 * promise. Errors reject with the same `RippleError`s.
 */
export type EngineWorker = {
  // (A worker in the browser rejects the calls its build does not have.)
  [K in keyof RippleEngine]-?: (
    ...args: Parameters<NonNullable<RippleEngine[K]>>
  ) => Promise<ReturnType<NonNullable<RippleEngine[K]>>>;
} & {
  /** Stops the worker; calls still in flight reject. */
  terminate(): void;
};

/**
 * Starts the engine in a worker of its own: a Web Worker in the browser, a
 * worker thread in Node. Long work then leaves the page (or the event loop)
 * free, and several workers use several cores. Each worker loads its own
 * WebAssembly instance, so calls to one worker see only that worker's
 * analyses. Terminate it when done.
 */
export function startEngineWorker(): EngineWorker;
