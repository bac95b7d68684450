//! Every rewritten file is checked before it is proposed: it parses as well
//! as before, its analysis is the original analysis with the change applied,
//! no reference to an old name is left, and rewriting it again changes nothing.

use std::collections::HashMap;

use super::plan::{Plan, Planner};
use crate::analysis::{analyze, FileAnalysis, ReferenceKind, Severity};
use crate::schema::names_match;
use crate::{ChangeSpec, ColumnFate, Dialect, Language, LineIndex, Options};

/// A reference with its position forgotten and the dataset's table named by
/// role, so the two analyses can be compared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    column_like: bool,
    table: Option<String>,
    column: Option<String>,
    path: Vec<String>,
    resolved: bool,
    write: bool,
}

const DATASET: &str = "\u{0}dataset";

/// Why a rewritten file did not verify, and in which statement (its index,
/// the same before and after the rewrite), when one is at fault.
#[derive(Debug, Clone)]
pub(super) struct Unverified {
    pub statement: Option<usize>,
    pub message: String,
}

fn unverified(statement: Option<usize>, message: String) -> Unverified {
    Unverified { statement, message }
}

pub(super) fn verify(before: &FileAnalysis, text: &str, language: Language, spec: &ChangeSpec, options: Options, plan: &Plan) -> Result<(), Unverified> {
    let left = plan.left.as_slice();
    let schema = options.schema.map(|s| spec.schema_after(s));
    let options = Options { dialect: options.dialect, schema: schema.as_ref() };
    let after = analyze(&before.path, language, text, options);

    // It parses as well as before.
    let unparsed = |a: &FileAnalysis| a.statements.iter().filter(|s| !s.parsed).count();
    let errors = |a: &FileAnalysis| a.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    if after.statements.len() != before.statements.len() || unparsed(&after) > unparsed(before) || errors(&after) > errors(before) {
        let first = after.diagnostics.iter().find(|d| d.severity == Severity::Error);
        let same_split = after.statements.len() == before.statements.len();
        let broken = before.statements.iter().zip(&after.statements).position(|(b, a)| b.parsed && !a.parsed).filter(|_| same_split);
        return Err(unverified(
            broken,
            match first {
                Some(d) => format!("the rewritten file does not parse: {} at line {}, column {}", d.message, d.line, d.column),
                None => "the rewritten file splits into different statements".to_string(),
            },
        ));
    }

    let dbt = language == Language::Dbt;
    let dropped: Vec<String> = spec.changed_columns().filter(|c| spec.column_fate(c) == ColumnFate::Dropped).map(str::to_ascii_lowercase).collect();
    for (i, (old, new)) in before.statements.iter().zip(&after.statements).enumerate() {
        let mut expected = counts(old.references.iter().flat_map(|r| expected_keys(r, spec, options.dialect, dbt, left.contains(&r.span.start))), &dropped);
        let mut actual = counts(new.references.iter().filter(|r| r.via.is_none()).map(|r| key(r, spec, false, dbt)), &dropped);
        // An unresolved name left for a person (`GROUP BY amount`, ambiguous)
        // may now name an output alias, one the rewrite added (`amount_usd AS
        // amount`) or one whose source column was renamed, and no longer be
        // reported. The person still decides about it (the file needs review).
        let unresolved_left: Vec<Key> = old.references.iter().filter(|r| !r.resolved && left.contains(&r.span.start)).map(|r| key(r, spec, true, dbt)).collect();
        let named_by_alias: Vec<Key> = expected
            .iter()
            .filter(|(k, n)| {
                let left_or_aliased = unresolved_left.contains(k) || k.column.as_ref().is_some_and(|c| plan.aliased.contains(c));
                !k.resolved && left_or_aliased && actual.get(*k).is_none_or(|a| a <= *n)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in &named_by_alias {
            expected.remove(k);
            actual.remove(k);
        }
        left_on_replaced_table(old, spec, left, dbt, &mut actual);
        if expected != actual {
            let missing = expected.keys().find(|k| expected.get(*k) != actual.get(*k)).or_else(|| actual.keys().find(|k| expected.get(*k) != actual.get(*k)));
            return Err(unverified(Some(i), format!("statement {} at line {} reads differently after the rewrite ({})", i + 1, new.start.line, missing.map(describe).unwrap_or_default())));
        }
        // Output columns keep their names when asked to, and derive from the mapped sources.
        let decided_by_person = old.references.iter().any(|r| left.contains(&r.span.start));
        // A statement that writes the dataset names its outputs after the dataset's new columns.
        let writes_dataset = old.writes.iter().any(|w| names_match(&spec.dataset, &w.table));
        if spec.preserve_output_names && old.parsed && !decided_by_person && !writes_dataset {
            let names = |s: &crate::analysis::StatementAnalysis| s.outputs.iter().map(|o| o.name.clone().map(|n| n.to_ascii_lowercase())).collect::<Vec<_>>();
            if names(old) != names(new) {
                return Err(unverified(Some(i), format!("statement {} at line {} changes its output column names", i + 1, new.start.line)));
            }
        }
    }

    // No reference to an old name is left, unless a person must decide about it.
    if left.is_empty() {
        no_old_names(&after, spec, options.dialect)?;
    }

    // Rewriting again changes nothing (a partial patch leaves work for a person).
    if !left.is_empty() {
        return Ok(());
    }
    let again = Planner::new(text, language, spec, options.dialect).with_widened(super::widening::widened_columns(spec, options.schema)).plan(&after);
    if let Some(edit) = again.edits().next() {
        let at = LineIndex::new(text).location(text, edit.range().start);
        let statement = after.statements.iter().position(|s| s.start <= at && at <= s.end);
        return Err(unverified(statement, format!("a second rewrite would edit `{}` again", &text[edit.range()])));
    }
    Ok(())
}

/// References to dropped columns stay as they were (a person decides), and
/// the analysis after the change may no longer resolve them: they are left
/// out of the comparison.
/// A changed column left for a person on a table the change replaces is,
/// until the person edits it, a column the new table lacks: counted in
/// `actual` as the reference it was.
fn left_on_replaced_table(old: &crate::analysis::StatementAnalysis, spec: &ChangeSpec, left: &[usize], dbt: bool, actual: &mut HashMap<Key, usize>) {
    if spec.new_table().is_none() {
        return;
    }
    let left_keys: Vec<Key> = old.references.iter().filter(|r| r.resolved && left.contains(&r.span.start)).map(|r| key(r, spec, true, dbt)).collect();
    for k in left_keys.iter().filter(|k| k.table.as_deref() == Some(DATASET) && k.column.as_deref().is_some_and(|c| spec.column_fate(c) != ColumnFate::Kept)) {
        let missing = Key { table: None, resolved: false, ..k.clone() };
        if let Some(n) = actual.remove(&missing) {
            *actual.entry(k.clone()).or_insert(0) += n;
        }
    }
}

/// No resolved reference of the rewritten file names an old table or column.
fn no_old_names(after: &FileAnalysis, spec: &ChangeSpec, dialect: Dialect) -> Result<(), Unverified> {
    for (i, statement) in after.statements.iter().enumerate() {
        for r in statement.references.iter().filter(|r| r.resolved && r.via.is_none()) {
            let on_old_table = r.table.as_deref().is_some_and(|t| names_match(&spec.dataset, t));
            if spec.new_table().is_some() && on_old_table && !spec.new_table().is_some_and(|n| r.table.as_deref().is_some_and(|t| names_match(n, t))) {
                return Err(unverified(Some(i), format!("line {}, column {} still names `{}`", r.start.line, r.start.column, spec.dataset)));
            }
            let on_dataset = on_old_table || spec.new_table().is_some_and(|n| r.table.as_deref().is_some_and(|t| names_match(n, t)));
            if let (true, Some(column)) = (on_dataset, r.column.as_deref()) {
                let left = match spec.column_fate(column) {
                    ColumnFate::Renamed(to) | ColumnFate::Path(to) => !to.split('.').next().unwrap_or("").eq_ignore_ascii_case(column),
                    ColumnFate::Expression(e) => !crate::change::expression_columns(e, dialect).contains(&column.to_ascii_lowercase()),
                    _ => false,
                };
                if left {
                    return Err(unverified(Some(i), format!("line {}, column {} still reads `{column}`", r.start.line, r.start.column)));
                }
            }
        }
    }
    Ok(())
}

fn counts(keys: impl Iterator<Item = Key>, dropped: &[String]) -> HashMap<Key, usize> {
    let mut counts = HashMap::new();
    for k in keys.filter(|k| !k.column.as_ref().is_some_and(|c| dropped.contains(c))) {
        *counts.entry(k).or_insert(0) += 1;
    }
    counts
}

fn key(r: &crate::analysis::Reference, spec: &ChangeSpec, before: bool, dbt: bool) -> Key {
    // The old table is named as the planner names it. dbt names the new one
    // by its last part only: a `source('shop', 'orders')` moved to another
    // schema keeps its source label.
    let last_part_matches = |full: &str, t: &str| full.rsplit('.').next().zip(t.rsplit('.').next()).is_some_and(|(a, b)| a.eq_ignore_ascii_case(b));
    let table = r.table.as_deref().map(|t| {
        // Candidates of a statement that did not parse are left as written.
        let old = r.resolved && names_match(&spec.dataset, t);
        let new = r.resolved && spec.new_table().is_some_and(|n| names_match(n, t) || dbt && !before && last_part_matches(n, t));
        // Before the change, the dataset's table is the table the change makes.
        if (before && old) || (!before && (new || (old && spec.new_table().is_none()))) {
            DATASET.to_string()
        } else {
            t.to_ascii_lowercase()
        }
    });
    Key {
        // A `*` expanded into its columns reads the same columns.
        column_like: r.kind != ReferenceKind::Table,
        table,
        column: r.column.as_ref().map(|c| c.to_ascii_lowercase()),
        path: r.path.iter().map(|p| p.to_ascii_lowercase()).collect(),
        resolved: r.resolved,
        write: r.write,
    }
}

/// What the rewritten file should say in place of the original reference `r`.
fn expected_keys(r: &crate::analysis::Reference, spec: &ChangeSpec, dialect: Dialect, dbt: bool, left: bool) -> Vec<Key> {
    if r.via.is_some() {
        return Vec::new();
    }
    let mut key = key(r, spec, true, dbt);
    // A `*` left as it is still reads the columns under their new names.
    if key.table.as_deref() != Some(DATASET) || !r.resolved || (left && r.kind != ReferenceKind::Wildcard) {
        return vec![key];
    }
    let Some(column) = r.column.as_deref() else {
        return vec![key];
    };
    match spec.column_fate(column) {
        ColumnFate::Renamed(to) => key.column = Some(to.to_ascii_lowercase()),
        ColumnFate::Path(to) => {
            let mut parts = to.split('.').map(str::to_ascii_lowercase);
            key.column = parts.next();
            key.path = parts.chain(key.path).collect();
        }
        ColumnFate::Expression(e) => {
            return crate::change::expression_columns(e, dialect).into_iter().map(|c| Key { column: Some(c), ..key.clone() }).collect();
        }
        _ => {}
    }
    vec![key]
}

fn describe(key: &Key) -> String {
    let table = match key.table.as_deref() {
        Some(DATASET) => "the dataset",
        Some(t) => t,
        None => "no table",
    };
    match &key.column {
        Some(c) => format!("`{c}` of {table}"),
        None => format!("table {table}"),
    }
}
