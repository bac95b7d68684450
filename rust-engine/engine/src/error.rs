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
    Syntax {
        message: String,
        line: u64,
        column: u64,
    },
}
