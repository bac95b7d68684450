use serde::Serialize;

use crate::analysis::Severity;
use crate::{analyze_sql, Dialect, EngineError, Location, Options};

/// The tables one statement reads and writes, and where the statement is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct StatementTables {
    /// The statement's first character.
    pub start: Location,
    /// Just past the statement's last character (exclusive).
    pub end: Location,
    /// Tables the statement reads, as qualified as the SQL writes them, in
    /// order of first appearance. CTE names are not tables and are left out.
    pub reads: Vec<String>,
    /// Tables the statement creates or changes (INSERT, UPDATE, DELETE,
    /// MERGE, CREATE TABLE / VIEW targets).
    pub writes: Vec<String>,
}

/// Parses `sql` in `dialect` and lists, for each statement, the tables it
/// reads and writes: the tables of [`analyze_sql`](crate::analyze_sql)'s
/// statements, so the two always agree. Unlike the analysis, which reads
/// what it can of any file, this is strict: SQL that does not parse is an
/// error at its line and column.
pub fn tables(sql: &str, dialect: Dialect) -> Result<Vec<StatementTables>, EngineError> {
    let analysis = analyze_sql(sql, Options { dialect, schema: None });
    if let Some(error) = analysis.diagnostics.iter().find(|d| d.severity == Severity::Error) {
        return Err(EngineError::Syntax { message: error.message.clone(), line: error.line, column: error.column });
    }
    Ok(analysis
        .statements
        .into_iter()
        .map(|s| StatementTables { start: s.start, end: s.end, reads: s.reads.into_iter().map(|r| r.table).collect(), writes: unique(s.writes.into_iter().map(|w| w.table)) })
        .collect())
}

fn unique(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for name in names {
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
}
