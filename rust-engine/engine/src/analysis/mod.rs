//! Column-level dependency analysis: which tables and columns each statement
//! of a consumer reads and writes, where exactly, and which source columns
//! each output column derives from.

mod blocks;
mod fallback;
mod found;
mod output_names;
mod resolve;
mod runnable;
mod spans;
mod statements;
mod tokens;

use statements::Findings;

use std::ops::Range;

use serde::Serialize;

use crate::source::{self, Fragment, Language};
use crate::{Dialect, LineIndex, Location, Schema};

/// What the analysis needs besides the code.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub dialect: Dialect,
    pub schema: Option<&'a Schema>,
}

/// The analysis of one consumer file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct FileAnalysis {
    pub path: String,
    pub language: Language,
    pub statements: Vec<StatementAnalysis>,
    pub diagnostics: Vec<Diagnostic>,
}

/// One SQL statement: what it reads and writes, its output columns'
/// lineage, and every reference to a table or column, located in the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct StatementAnalysis {
    pub start: Location,
    /// Just past the statement's last character.
    pub end: Location,
    pub reads: Vec<TableRead>,
    pub writes: Vec<TableWrite>,
    pub outputs: Vec<Output>,
    pub references: Vec<Reference>,
    /// False when the statement did not parse and was scanned token by
    /// token: its references are all unresolved candidates.
    pub parsed: bool,
    /// The bind parameters the program running it fills in, in the order
    /// they are written (a statement that did not parse has none listed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub parameters: Vec<Parameter>,
    /// For a statement that writes the rows of a query (`INSERT ...
    /// SELECT`, `CREATE TABLE ... AS`, `CREATE VIEW ... AS`): where that
    /// query is, so it can run alone without writing anything. `MERGE`,
    /// `UPDATE` and `DELETE` have none: what they write depends on the
    /// target's own rows, which no query of theirs gives.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub query: Option<QueryPart>,
    /// Unaliased SELECT items the dialect names after their text: a rename
    /// inside one renames its output column unless an alias keeps it.
    #[serde(skip)]
    pub expression_outputs: Vec<ExpressionOutput>,
}

/// A bind parameter: a placeholder that the program running the statement
/// fills in with a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Parameter {
    /// As written: `?`, `?1`, `$1`, `$day`, `:day`, `:1`, `@day`, `%s`,
    /// `%(day)s`.
    pub text: String,
    /// The value's name, for a named parameter (`day` for `:day`, `@day`,
    /// `$day` and `%(day)s`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub name: Option<String>,
    /// The value's position, from 1, for a numbered one (`$1`, `?1`,
    /// `:1`). A parameter with neither (`?`, `%s`) takes the next value in
    /// the order they are written.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub number: Option<u32>,
    pub start: Location,
    /// Just past its last character.
    pub end: Location,
    /// Byte range in the file.
    #[serde(skip)]
    pub span: Range<usize>,
}

impl Parameter {
    fn new(text: String, span: Range<usize>, text_of_file: &str, lines: &LineIndex) -> Self {
        let (name, number) = parameter_key(&text);
        Parameter { name, number, start: lines.location(text_of_file, span.start), end: lines.location(text_of_file, span.end), span, text }
    }
}

/// What a placeholder binds to, by its form: a name, a position, or
/// neither (the next value).
fn parameter_key(text: &str) -> (Option<String>, Option<u32>) {
    let body = match text.strip_prefix("%(") {
        Some(rest) => rest.strip_suffix(")s").unwrap_or(rest),
        None if text == "%s" => "",
        None => text.get(1..).unwrap_or(""),
    };
    if body.is_empty() {
        (None, None)
    } else if body.bytes().all(|b| b.is_ascii_digit()) {
        match body.parse() {
            Ok(number) => (None, Some(number)),
            Err(_) => (Some(body.to_string()), None),
        }
    } else {
        (Some(body.to_string()), None)
    }
}

/// Where a statement's query part is in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct QueryPart {
    pub start: Location,
    /// Just past its last character.
    pub end: Location,
    /// True when the statement writes the query's rows by position (an
    /// INSERT): the query's output names then write nothing, and its rows
    /// are compared column by column in order.
    pub by_position: bool,
    /// Byte range in the file.
    #[serde(skip)]
    pub span: Range<usize>,
}

/// An unaliased SELECT item other than a bare column whose output name the
/// dialect takes from its text (`sum(amount)` in DuckDB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressionOutput {
    /// The item, from its first to its last character; `None` when its
    /// extent could not be measured.
    pub span: Option<Range<usize>>,
    /// Where its first column reference starts.
    pub at: usize,
    /// Its output name, when Ripple can reproduce the dialect's.
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct TableRead {
    pub table: String,
    /// The columns read, in order of first reference; `*` when all columns of
    /// a table without a known schema are read.
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct TableWrite {
    pub table: String,
}

/// An output column and the source columns it derives from (column lineage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Output {
    pub name: Option<String>,
    pub sources: Vec<ColumnSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ColumnSource {
    pub table: String,
    pub column: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum ReferenceKind {
    /// A table name (in FROM, JOIN, INTO, ...).
    Table,
    /// A column name.
    Column,
    /// A `*` or `t.*` standing for all columns of `table`.
    Wildcard,
}

/// A place in the file that names a table or a column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Reference {
    pub kind: ReferenceKind,
    /// The source table named or read, as qualified as the SQL writes it.
    /// For an unresolved column: absent, or the qualifier as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Struct fields after the column (`col.a.b` gives `["a", "b"]`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub path: Vec<String>,
    /// The CTE or derived table the column is reached through, when the
    /// reference names a column of it that passes a source column through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The first character of the name (of its first part for a table).
    pub start: Location,
    /// Just past the name's last character.
    pub end: Location,
    pub resolved: bool,
    /// True for a name the statement writes: a target table, or a column in
    /// an INSERT column list or an UPDATE's SET.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub write: bool,
    /// For an ambiguous reference: the tables it could belong to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub candidates: Vec<String>,
    /// True for a column selected bare (`SELECT o.amount`), whose name is
    /// also the output column's name.
    #[serde(skip)]
    pub output: bool,
    /// Byte range of the name in the file.
    #[serde(skip)]
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub line: u64,
    pub column: u64,
}

/// The largest file analysed; larger ones get one error and no statements.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Analyses one consumer file. Never fails: what cannot be read becomes a
/// diagnostic, and statements that do not parse are scanned token by token.
pub fn analyze(path: &str, language: Language, text: &str, options: Options) -> FileAnalysis {
    let host_lines = LineIndex::new(text);
    let mut analysis = FileAnalysis { path: path.to_string(), language, statements: Vec::new(), diagnostics: Vec::new() };
    if text.len() > MAX_FILE_BYTES {
        analysis.diagnostics.push(Diagnostic { severity: Severity::Error, message: format!("file is {} bytes, over the {MAX_FILE_BYTES}-byte limit; not analysed", text.len()), line: 1, column: 1 });
        return analysis;
    }
    for fragment in source::fragments(language, text) {
        let unparsed = |f: &Findings| f.statements.iter().filter(|s| !s.parsed).count();
        let (fragment, found) = source::best_rendering(language, text, fragment, |f| statements::analyze_fragment(f, options), unparsed);
        let host = |offset: usize| host_lines.location(text, fragment.map.host_offset(offset));
        for diagnostic in found.diagnostics {
            let at = host(diagnostic.at);
            analysis.diagnostics.push(Diagnostic { severity: diagnostic.severity, message: diagnostic.message, line: at.line, column: at.column });
        }
        let first = analysis.statements.len();
        for statement in found.statements {
            analysis.statements.push(locate(statement, &fragment, text, &host_lines));
        }
        alternates(&fragment, text, &host_lines, &mut analysis.statements, first);
    }
    analysis
}

/// Names in the fragment's template branches that were not rendered join
/// its statements (those from `first` on) as unresolved candidates. A
/// fragment of only template code that stands for statements (`{{
/// not_null(columns=["id"]) }}`) gets an empty statement for its names to
/// belong to.
fn alternates(fragment: &Fragment, text: &str, lines: &LineIndex, statements: &mut Vec<StatementAnalysis>, first: usize) {
    if statements.len() == first {
        if let Some(range) = fragment.alternates.first() {
            let at = lines.location(text, range.start);
            statements.push(StatementAnalysis {
                start: at,
                end: at,
                reads: Vec::new(),
                writes: Vec::new(),
                outputs: Vec::new(),
                references: Vec::new(),
                parsed: false,
                parameters: Vec::new(),
                query: None,
                expression_outputs: Vec::new(),
            });
        }
    }
    let statements = &mut statements[first..];
    let mut touched = vec![false; statements.len()];
    for range in &fragment.alternates {
        if let Some(i) = scan_alternate(text, range.clone(), lines, statements) {
            touched[i] = true;
        }
    }
    for (statement, _) in statements.iter_mut().zip(&touched).filter(|(_, t)| **t) {
        statement.references.sort_by_key(|r| (r.span.start, r.span.end));
        statement.reads = reads(&statement.references);
    }
}

/// Names in a template branch that was not rendered join the statement the
/// branch sits in (or the first, for a branch before any), as unresolved
/// candidates. Returns that statement's index.
fn scan_alternate(text: &str, range: Range<usize>, lines: &LineIndex, statements: &mut [StatementAnalysis]) -> Option<usize> {
    let found = fallback::scan_text(&text[range.clone()])?;
    let at = lines.location(text, range.start);
    let i = statements.iter().rposition(|s| s.start <= at).unwrap_or(0);
    statements.get(i)?;
    for r in found.references {
        let span = range.start + r.span.start..range.start + r.span.end;
        statements[i].references.push(r.located(span, text, lines));
    }
    Some(i)
}

/// Analyses SQL text (a `.sql` file without templating).
pub fn analyze_sql(sql: &str, options: Options) -> FileAnalysis {
    analyze("", Language::Sql, sql, options)
}

/// Maps a statement found in a fragment to the file's positions.
fn locate(found: found::Found, fragment: &Fragment, text: &str, lines: &LineIndex) -> StatementAnalysis {
    let host_range = |r: &Range<usize>| {
        let start = fragment.map.host_offset(r.start);
        // The end of a range is the offset after its last byte.
        let end = if r.end > r.start { fragment.map.host_offset(r.end - 1) + 1 } else { start };
        start..end.max(start)
    };
    let statement_range = host_range(&found.range);
    // A set: a SELECT of tens of thousands of bare columns has as many.
    let bare_outputs: std::collections::HashSet<&Range<usize>> = found.bare_outputs.iter().collect();
    let mut references = found
        .references
        .into_iter()
        .map(|r| {
            let output = bare_outputs.contains(&r.span);
            let span = host_range(&r.span);
            Reference { output, ..r.located(span, text, lines) }
        })
        .collect::<Vec<_>>();
    references.sort_by_key(|r| (r.span.start, r.span.end));
    let parameters = found.parameters.into_iter().map(|p| Parameter::new(p.text, host_range(&p.span), text, lines)).collect();
    let query = found.query.as_ref().map(|(range, by_position)| {
        let span = host_range(range);
        QueryPart { start: lines.location(text, span.start), end: lines.location(text, span.end), by_position: *by_position, span }
    });
    let expression_outputs = found.expression_outputs.into_iter().map(|o| ExpressionOutput { span: o.span.as_ref().map(host_range), at: fragment.map.host_offset(o.at), name: o.name }).collect();
    StatementAnalysis {
        start: lines.location(text, statement_range.start),
        end: lines.location(text, statement_range.end),
        reads: reads(&references),
        writes: found.writes.into_iter().map(|table| TableWrite { table }).collect(),
        outputs: found.outputs,
        references,
        parsed: found.parsed,
        parameters,
        query,
        expression_outputs,
    }
}

/// The tables and columns a statement reads, from its references.
fn reads(references: &[Reference]) -> Vec<TableRead> {
    let mut reads: Vec<TableRead> = Vec::new();
    for r in references {
        let Some(table) = &r.table else { continue };
        if r.write || (!r.resolved && r.kind != ReferenceKind::Table) {
            continue;
        }
        let entry = match reads.iter_mut().position(|t| &t.table == table) {
            Some(i) => &mut reads[i],
            None => {
                reads.push(TableRead { table: table.clone(), columns: Vec::new() });
                reads.last_mut().unwrap()
            }
        };
        let column = match r.kind {
            ReferenceKind::Column => r.column.clone(),
            ReferenceKind::Wildcard => Some(r.column.clone().unwrap_or_else(|| "*".into())),
            ReferenceKind::Table => None,
        };
        if let Some(column) = column {
            if !entry.columns.contains(&column) {
                entry.columns.push(column);
            }
        }
    }
    reads
}
