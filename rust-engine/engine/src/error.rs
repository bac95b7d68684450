use serde::Serialize;
use thiserror::Error;

/// Everything the engine can refuse, with enough detail to point at the cause.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum EngineError {
    #[error("unknown dialect `{dialect}` (expected one of: {expected})")]
    UnknownDialect { dialect: String, expected: String },

    /// SQL that does not parse; `line` and `column` are 1-based, the column
    /// counted in characters.
    #[error("{message} at line {line}, column {column}")]
    Syntax { message: String, line: u64, column: u64 },

    /// A change spec that cannot be used; `field` is its path in the JSON
    /// (`changes[1].to`) when one field is at fault.
    #[error("invalid change spec: {}{message}", field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default())]
    InvalidChange {
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        message: String,
    },

    /// A schema (`{"tables": ...}`) that cannot be used.
    #[error("invalid schema: {}{message}", field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default())]
    InvalidSchema {
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        message: String,
    },

    /// A schema file `ripple diff` cannot read: a format it does not know,
    /// or malformed JSON, YAML or DDL. `line` and `column` are 1-based,
    /// where the reader stopped (1, 1 for the file as a whole).
    #[error("{path}:{line}:{column}: {message}")]
    InvalidSchemaFile { path: String, line: u64, column: u64, message: String },

    /// A compatibility view that cannot be built from what was given;
    /// `column` names the column at fault, when one is.
    #[error("cannot build a compatibility view: {message}")]
    CompatView {
        #[serde(skip_serializing_if = "Option::is_none")]
        column: Option<String>,
        message: String,
    },

    /// A forward view that cannot be built from what was given (a mapping
    /// computed from the new table, a clashing name); `column` as above.
    #[error("cannot build a forward view: {message}")]
    ForwardView {
        #[serde(skip_serializing_if = "Option::is_none")]
        column: Option<String>,
        message: String,
    },

    /// A step plan that cannot be written from what was given; `field` is
    /// the option or spec field at fault (`dialect`, `key`,
    /// `changes[0].columns.amount`, `tables.shop.orders.columns[2].type`).
    #[error("cannot build a step plan: {field}: {message}")]
    StepPlan { field: String, message: String },

    /// A bind parameter that the sample values given cannot bind: none for
    /// it, one that is a list or an object, or values of the wrong shape (an
    /// array for `:day`). `parameter` is the placeholder as written, `line`
    /// and `column` where it is.
    #[error("cannot bind the parameter `{parameter}` at line {line}, column {column}: {message}")]
    BindParameter { parameter: String, line: u64, column: u64, message: String },

    /// Edits of one rewrite that overlap (or do not fit the text): a defect
    /// of the rewrite's planner. None is applied, since applying one would
    /// silently drop the other. `line` and `column` are where the second
    /// starts.
    #[error("two edits overlap at line {line}, column {column}: {first}, and {second}")]
    OverlappingEdits { line: u64, column: u64, first: String, second: String },
}
