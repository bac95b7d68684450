use serde::{Deserialize, Serialize};

/// A position in source text: 1-based line and column, the column counted in
/// characters (not bytes), as editors and `sqlparser` count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Location {
    pub line: u64,
    pub column: u64,
}

impl From<sqlparser::tokenizer::Location> for Location {
    fn from(l: sqlparser::tokenizer::Location) -> Self {
        Location {
            line: l.line,
            column: l.column,
        }
    }
}
