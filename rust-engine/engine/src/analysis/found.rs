//! What the analysis finds in a fragment, before it is located in the
//! file: each statement ([`Found`]) and each name in it ([`FoundRef`]), with
//! byte spans in the fragment's SQL. The parser's resolver and the token
//! scan both speak it.

use std::ops::Range;

use super::runnable::FoundParameter;
use super::{ExpressionOutput, Output, Reference, ReferenceKind};
use crate::LineIndex;

/// A reference found in a fragment, its span in the fragment's SQL.
#[derive(Debug, Clone)]
pub(super) struct FoundRef {
    pub kind: ReferenceKind,
    pub table: Option<String>,
    pub column: Option<String>,
    pub path: Vec<String>,
    pub via: Option<String>,
    pub span: Range<usize>,
    pub resolved: bool,
    pub write: bool,
    pub candidates: Vec<String>,
}

impl FoundRef {
    /// A table's name (in FROM, JOIN, INTO, ...); `write` when the
    /// statement writes the table.
    pub fn table(table: String, span: Range<usize>, write: bool) -> Self {
        FoundRef { table: Some(table), column: None, write, ..FoundRef::new(ReferenceKind::Table, span) }
    }

    /// A column of the source table `table`.
    pub fn column(table: String, column: String, span: Range<usize>) -> Self {
        FoundRef { table: Some(table), column: Some(column), ..FoundRef::new(ReferenceKind::Column, span) }
    }

    /// A `*` standing for `column` of `table`, or for all its columns.
    pub fn wildcard(table: String, column: Option<String>, span: Range<usize>) -> Self {
        FoundRef { table: Some(table), column, ..FoundRef::new(ReferenceKind::Wildcard, span) }
    }

    /// A column name traced to no table: `table` is its qualifier as
    /// written, if any, and `candidates` the tables it could belong to.
    pub fn unresolved(table: Option<String>, column: String, span: Range<usize>, candidates: Vec<String>) -> Self {
        FoundRef { table, column: Some(column), resolved: false, candidates, ..FoundRef::new(ReferenceKind::Column, span) }
    }

    /// Reached through the CTE or derived table `via`, when there is one.
    pub fn via(self, via: Option<String>) -> Self {
        FoundRef { via, ..self }
    }

    /// Followed by struct fields (`col.a.b` gives `["a", "b"]`).
    pub fn with_path(self, path: Vec<String>) -> Self {
        FoundRef { path, ..self }
    }

    /// A name the statement writes.
    pub fn written(self) -> Self {
        FoundRef { write: true, ..self }
    }

    fn new(kind: ReferenceKind, span: Range<usize>) -> Self {
        FoundRef { kind, table: None, column: None, path: Vec::new(), via: None, span, resolved: true, write: false, candidates: Vec::new() }
    }

    /// The reference at `span` in the file.
    pub fn located(self, span: Range<usize>, text: &str, lines: &LineIndex) -> Reference {
        Reference {
            start: lines.location(text, span.start),
            end: lines.location(text, span.end),
            span,
            kind: self.kind,
            table: self.table,
            column: self.column,
            path: self.path,
            via: self.via,
            resolved: self.resolved,
            write: self.write,
            candidates: self.candidates,
            output: false,
        }
    }
}

/// One statement of a fragment.
#[derive(Debug, Clone, Default)]
pub(super) struct Found {
    pub range: Range<usize>,
    pub writes: Vec<String>,
    pub outputs: Vec<Output>,
    pub references: Vec<FoundRef>,
    /// Spans of column names selected bare (`SELECT o.amount`): the name of
    /// the output column too.
    pub bare_outputs: Vec<Range<usize>>,
    /// Unaliased items named after their text.
    pub expression_outputs: Vec<ExpressionOutput>,
    pub parsed: bool,
    /// Its bind parameters, in order.
    pub parameters: Vec<FoundParameter>,
    /// The range of the query it writes the rows of, when it writes, and
    /// whether it writes them by position.
    pub query: Option<(Range<usize>, bool)>,
}

impl Found {
    /// A statement scanned token by token: its names are all unresolved
    /// candidates.
    pub fn scanned(range: Range<usize>, writes: Vec<String>, references: Vec<FoundRef>) -> Self {
        Found { range, writes, references, ..Found::default() }
    }
}
