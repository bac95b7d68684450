//! SQL written in a property file (a semantic model's `expr`, a metric's
//! `sql`, a test's `to_condition`) rewritten by the engine's own SQL
//! rewrite, so it follows the same rules and verification as a model's SQL.

use crate::{Change, ChangeSpec, Dialect, Language, Options, RewriteStatus};

use super::edits::is_plain;
use super::names::last_part;

/// Rewrites a SQL expression over the dataset's columns with the engine's
/// SQL rewrite, as the one item of `SELECT ... FROM` the dataset. `Ok(None)`
/// when it needs no edit; the reasons when a person must edit it.
pub(crate) fn rewrite_expression(expr: &str, spec: &ChangeSpec) -> Result<Option<String>, Vec<String>> {
    let table = Some(last_part(&spec.dataset)).filter(|t| is_plain(t) && !t.contains('.')).unwrap_or("t");
    let changes: Vec<Change> = spec
        .changes
        .iter()
        .filter_map(|change| match change {
            Change::RenameTable { .. } => None,
            Change::ReplaceTable { columns, .. } if columns.is_empty() => None,
            // Only the columns' fates matter here; the table's new name is a stand-in.
            Change::ReplaceTable { columns, .. } => Some(Change::ReplaceTable { to: format!("{table}_replaced"), columns: columns.clone() }),
            other => Some(other.clone()),
        })
        .collect();
    if changes.is_empty() {
        return Ok(None);
    }
    // New names are what the expression must read: no alias keeps old ones.
    let spec = ChangeSpec { dataset: table.to_string(), dialect: spec.dialect, changes, preserve_output_names: false };
    // Aliased, so the rewrite never adds an alias to keep the item's name.
    let sql = format!("SELECT\n{expr}\nAS {ALIAS}\nFROM {table}\n");
    let language = if expr.contains("{{") || expr.contains("{%") { Language::Dbt } else { Language::Sql };
    let options = Options { dialect: spec.dialect.unwrap_or(Dialect::Generic), schema: None };
    let result = crate::rewrite::rewrite("expression.sql", language, &sql, &spec, options);
    match result.status {
        RewriteStatus::Unaffected => Ok(None),
        RewriteStatus::Rewritten => {
            let content = result.content.unwrap_or_default();
            let body = content.strip_prefix("SELECT\n").and_then(|b| b.rfind(&format!("\nAS {ALIAS}\nFROM ")).map(|end| b[..end].to_string()));
            body.map(Some).ok_or_else(|| vec!["the rewritten expression could not be read back".to_string()])
        }
        // Positions in the stand-in query mean nothing in the YAML file.
        RewriteStatus::NeedsEdit | RewriteStatus::Error => Err(result.reasons.iter().map(|r| without_position(r).to_string()).collect()),
    }
}

const ALIAS: &str = "ripple_expression";

fn without_position(reason: &str) -> &str {
    match reason.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((position, rest)) if position.contains(", column ") => rest,
        _ => reason,
    }
}
