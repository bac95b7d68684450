//! Ripple's engine: reads the code of a dataset's downstream consumers (SQL,
//! dbt models, SQL inside Python, Java and Scala) and tells exactly which
//! tables and columns each statement reads and writes, and where.
//!
//! The crate is pure Rust. The `ripple` CLI and the WebAssembly bindings both
//! wrap it, so the backend, the browser and CI all run the same code.

pub mod analysis;
mod change;
mod compat;
pub mod dbt;
mod depth;
mod dialect;
pub mod diff;
mod error;
mod impact;
mod json;
mod location;
mod parameters;
pub mod rewrite;
mod schema;
pub mod source;
mod spec_sql;
mod steps;
mod tables;

pub use analysis::{analyze, analyze_sql, FileAnalysis, Options};
pub use change::{check_change, Change, ChangeProblem, ChangeSpec, ColumnFate};
pub use compat::{compat_view, forward_view, CompatView, CompatViewOptions, ForwardView, ForwardViewOptions};
pub use dbt::{rewrite_properties, rewrite_properties_with, RenamedOutputs};
pub use dialect::{AliasClause, AliasRule, Dialect, ExpressionNames};
pub use diff::{diff_schemas, diff_tables, schema_tables, ColumnDef, DiffOptions, SchemaDiff, SchemaFormat, Suggestion, TableDef, Undecided};
pub use error::EngineError;
pub use impact::{classify_impact, ConsumerImpact, FileImpact, ImpactReason, ImpactReasonKind, Verdict};
pub use location::{LineIndex, Location};
pub use parameters::bind_parameters;
pub use rewrite::{rewrite, rewrite_analyzed, FileRewrite, Finding, FindingKind, FindingSeverity, RewriteStatus};
pub use schema::{names_match, ColumnSchema, Schema, TableSchema};
pub use source::Language;
pub use steps::{default_batch_rows, step_plan, Batch, Layout, Step, StepName, StepPlan, StepPlanOptions, DEFAULT_BATCH_ROWS, STEP_PLAN_DIALECTS};
pub use tables::{tables, StatementTables};

/// The engine's version, as reported by the CLI and the WebAssembly package.
pub const VERSION: &str = if cfg!(feature = "canary") {
    // The engine canary's test build declares a version of its own.
    concat!(env!("CARGO_PKG_VERSION"), "+canary")
} else {
    env!("CARGO_PKG_VERSION")
};
