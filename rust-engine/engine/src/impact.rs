//! What a change does to one consumer, from its column lineage: whether it
//! breaks (it reads a column the change removes, renames or retypes, or a
//! table the change moves), partially breaks (it outputs the table through
//! `*`, so its own output changes shape), or is unaffected (it reads none
//! of the changed columns). Each verdict has its reasons, each at the
//! reference in the file. Built on the analysis alone: no rewrite runs, so
//! it is cheap enough for every consumer of a fleet.

use serde::{Deserialize, Serialize};

use crate::analysis::{FileAnalysis, Reference, ReferenceKind, StatementAnalysis};
use crate::schema::names_match;
use crate::{ChangeSpec, ColumnFate, Location};

/// What the change does to a consumer (or to one of its files). Ordered
/// from the least to the worst: a consumer's verdict is its worst file's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Verdict {
    /// It reads none of the changed columns.
    Unaffected,
    /// It outputs the dataset through `*`: its output changes shape.
    PartiallyBreaking,
    /// It reads a column the change removes, renames or retypes, or the
    /// table the change moves.
    Breaking,
}

/// Why a verdict: one kind per reason, so callers filter without parsing
/// messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum ImpactReasonKind {
    /// Reads (or writes) a column the change drops.
    DroppedColumn,
    /// Reads a column the change renames.
    RenamedColumn,
    /// Reads a column whose type changes.
    RetypedColumn,
    /// Reads a column that a `replace_table` maps to a field path or an
    /// expression of the new table.
    MappedColumn,
    /// Names the table the change moves (renames or replaces).
    MovedTable,
    /// Outputs the dataset's columns through `*`.
    Star,
    /// Reads the dataset, but none of the changed columns.
    UnchangedColumns,
    /// No file of the consumer reads the dataset.
    NotRead,
}

/// One reason for a verdict, at the reference it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ImpactReason {
    pub kind: ImpactReasonKind,
    /// The verdict this reason alone gives.
    pub verdict: Verdict,
    /// The file; absent for `not_read`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub path: Option<String>,
    /// Where the reference starts and ends (1-based, the column in
    /// characters); absent for `not_read`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub start: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub end: Option<Location>,
    /// The dataset's column the reference reads, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub column: Option<String>,
    pub message: String,
}

/// One file's share of the impact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct FileImpact {
    pub path: String,
    pub verdict: Verdict,
    /// The dataset's columns the file reads (`*` for a star over a table
    /// whose columns are unknown).
    pub columns: Vec<String>,
    /// Places in the file that name the dataset's table or a changed column.
    pub references: usize,
}

/// The impact of a change on one consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ConsumerImpact {
    pub verdict: Verdict,
    /// Every reason, worst first, then in file and position order.
    pub reasons: Vec<ImpactReason>,
    /// The files that read the dataset.
    pub files: Vec<FileImpact>,
}

/// The impact of `spec` on the consumer whose files `analyses` are (each
/// analysed with the dataset's columns when known, so that `*` expands).
/// `also_named`: other names the consumer's code gives the dataset's table
/// (a dbt source's `source.table`, when a `sources.yml` maps it).
pub fn classify_impact(analyses: &[&FileAnalysis], spec: &ChangeSpec, also_named: &[String]) -> ConsumerImpact {
    let names: Vec<&str> = std::iter::once(spec.dataset.as_str()).chain(also_named.iter().map(String::as_str)).collect();
    let is_dataset = |table: &str| names.iter().any(|name| names_match(name, table) || names_match(table, name));
    let mut reasons = Vec::new();
    let mut files = Vec::new();
    for analysis in analyses {
        let mut file = FileImpact { path: analysis.path.clone(), verdict: Verdict::Unaffected, columns: Vec::new(), references: 0 };
        let mut first_read: Option<&Reference> = None;
        let before = reasons.len();
        for statement in &analysis.statements {
            for read in statement.reads.iter().filter(|r| is_dataset(&r.table)) {
                for column in &read.columns {
                    if !file.columns.iter().any(|c| c.eq_ignore_ascii_case(column)) {
                        file.columns.push(column.clone());
                    }
                }
            }
            let reads_dataset = statement.references.iter().any(|r| r.kind == ReferenceKind::Table && r.table.as_deref().is_some_and(is_dataset));
            let mut stars_seen: Vec<Location> = Vec::new();
            for r in &statement.references {
                let of_dataset = r.table.as_deref().is_some_and(is_dataset) || r.candidates.iter().any(|c| is_dataset(c));
                let reason = match r.kind {
                    ReferenceKind::Table if of_dataset && !r.write => {
                        first_read.get_or_insert(r);
                        spec.new_table().map(|to| {
                            let message = format!("reads `{}`, which moves to `{to}`", r.table.as_deref().unwrap_or_default());
                            (ImpactReasonKind::MovedTable, Verdict::Breaking, None, message)
                        })
                    }
                    ReferenceKind::Column => {
                        let Some(column) = r.column.as_deref() else { continue };
                        // A name traced to no table, in a statement that reads the
                        // dataset, may be its column: counted, as the rewrite does.
                        let unresolved = !r.resolved && r.candidates.is_empty() && r.table.is_none() && reads_dataset;
                        if !(of_dataset || unresolved) {
                            continue;
                        }
                        column_reason(spec, column, r)
                    }
                    ReferenceKind::Wildcard if of_dataset && !stars_seen.contains(&r.start) && star_shapes_output(statement, &is_dataset) && spec.changed_columns().next().is_some() => {
                        stars_seen.push(r.start);
                        let message = format!("outputs `{}` through `*`: its output changes shape", r.table.as_deref().unwrap_or_default());
                        Some((ImpactReasonKind::Star, Verdict::PartiallyBreaking, None, message))
                    }
                    _ => None,
                };
                if let Some((kind, verdict, column, message)) = reason {
                    file.references += 1;
                    file.verdict = file.verdict.max(verdict);
                    reasons.push(ImpactReason { kind, verdict, path: Some(analysis.path.clone()), start: Some(r.start), end: Some(r.end), column, message });
                }
            }
        }
        if let Some(r) = first_read {
            file.references += usize::from(spec.new_table().is_none());
            if reasons.len() == before {
                // Its `columns` may list changed ones a `*` reads without passing them on.
                let message = format!("reads `{}`, but names none of the changed columns and outputs none through `*`", r.table.as_deref().unwrap_or_default());
                reasons.push(ImpactReason {
                    kind: ImpactReasonKind::UnchangedColumns,
                    verdict: Verdict::Unaffected,
                    path: Some(analysis.path.clone()),
                    start: Some(r.start),
                    end: Some(r.end),
                    column: None,
                    message,
                });
            }
        }
        if first_read.is_some() || file.references > 0 {
            files.push(file);
        }
    }
    if files.is_empty() {
        let message = format!("no file reads `{}`", spec.dataset);
        reasons.push(ImpactReason { kind: ImpactReasonKind::NotRead, verdict: Verdict::Unaffected, path: None, start: None, end: None, column: None, message });
    }
    // Worst first; the sort is stable, so the files' order stays within.
    reasons.sort_by_key(|r| std::cmp::Reverse(r.verdict));
    let verdict = files.iter().map(|f| f.verdict).max().unwrap_or(Verdict::Unaffected);
    ConsumerImpact { verdict, reasons, files }
}

type Reason = (ImpactReasonKind, Verdict, Option<String>, String);

/// The reason a reference to the dataset's `column` gives, if the change
/// touches the column.
fn column_reason(spec: &ChangeSpec, column: &str, r: &Reference) -> Option<Reason> {
    let verb = match (r.write, r.resolved) {
        (true, _) => "writes",
        (false, true) => "reads",
        (false, false) => "may read",
    };
    let (kind, message) = match spec.column_fate(column) {
        ColumnFate::Kept => return None,
        ColumnFate::Dropped => (ImpactReasonKind::DroppedColumn, format!("{verb} `{column}`, which the change drops")),
        ColumnFate::Renamed(to) => (ImpactReasonKind::RenamedColumn, format!("{verb} `{column}`, which the change renames to `{to}`")),
        ColumnFate::Retyped(to) => (ImpactReasonKind::RetypedColumn, format!("{verb} `{column}`, whose type changes to {to}")),
        ColumnFate::Path(to) | ColumnFate::Expression(to) => (ImpactReasonKind::MappedColumn, format!("{verb} `{column}`, which the new table has as `{to}`")),
    };
    Some((kind, Verdict::Breaking, Some(column.to_string()), message))
}

/// Whether a `*` over the dataset reaches the statement's output: an
/// output that comes from the dataset and that no column selected by name
/// explains, passed on under its own name (a `*` inside a CTE whose columns the outer query names does
/// not change the consumer's output).
fn star_shapes_output(statement: &StatementAnalysis, is_dataset: &dyn Fn(&str) -> bool) -> bool {
    statement.outputs.iter().any(|output| {
        output.sources.iter().any(|source| {
            let passed = output.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(&source.column));
            let named = |r: &Reference| r.kind == ReferenceKind::Column && r.output && r.column.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(&source.column));
            is_dataset(&source.table) && (source.column == "*" || passed && !statement.references.iter().any(named))
        })
    })
}
