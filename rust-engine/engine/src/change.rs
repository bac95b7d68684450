//! The change spec: what happens to a dataset. One JSON format everywhere
//! (CLI, WebAssembly, backend, scaffolder):
//!
//! ```json
//! {"dataset": "proj.ds.orders", "dialect": "bigquery", "changes": [
//!   {"kind": "rename_column", "column": "amount", "to": "amount_usd"},
//!   {"kind": "drop_column", "column": "legacy_flag"},
//!   {"kind": "change_type", "column": "id", "to": "STRING"},
//!   {"kind": "rename_table", "to": "proj.sales.orders_v2"},
//!   {"kind": "replace_table", "to": "proj.core.orders",
//!    "columns": {"amount": "amount_usd", "cust": "customer.id", "ts": "TIMESTAMP_MILLIS(ts_ms)"}}]}
//! ```
//!
//! Every column a change names is a column of the dataset as it is today:
//! the changes describe one step from the old table to the new one, not a
//! sequence of edits applied one after the other.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::compat::VIEW_OPERATORS;
use crate::depth::MAX_OPERATORS;
use crate::schema::names_match;
use crate::{ColumnSchema, Dialect, EngineError, Schema, TableSchema};

/// The change to a dataset: its table, the consumers' dialect, and every
/// change from the old table to the new one. The engine also checks what a
/// schema cannot say (names are names, a mapping is one expression of the
/// dialect), each problem naming its field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChangeSpec {
    /// The dataset's table, fully qualified (`proj.ds.orders`).
    pub dataset: String,
    /// The consumers' dialect when the caller does not name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    pub changes: Vec<Change>,
    /// When a renamed column is selected bare, keep the output column's name
    /// (`amount_usd AS amount`) so the consumer's own consumers do not break.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub preserve_output_names: bool,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Change {
    RenameColumn {
        column: String,
        to: String,
    },
    DropColumn {
        column: String,
    },
    /// `to` is the new SQL type, in the dialect's spelling.
    ChangeType {
        column: String,
        to: String,
    },
    RenameTable {
        to: String,
    },
    /// The dataset is retired for another table. `columns` maps an old
    /// column to what stands for it in the new table: a column name, a
    /// struct field path (`customer.id`) or an expression over the new
    /// table's columns (`TIMESTAMP_MILLIS(ts_ms)`). Unmapped columns keep
    /// their names.
    ReplaceTable {
        to: String,
        #[serde(default)]
        columns: BTreeMap<String, String>,
    },
}

/// One thing wrong with a change spec: the field at fault, as its path in
/// the JSON (`changes[0].columns.amount`; absent for malformed JSON), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ChangeProblem {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub field: Option<String>,
    pub message: String,
}

impl From<ChangeProblem> for EngineError {
    fn from(problem: ChangeProblem) -> Self {
        EngineError::InvalidChange { field: problem.field, message: problem.message }
    }
}

/// Everything wrong with the change spec `json` when its SQL is written in
/// `dialect` (by default the spec's own `dialect`, then `generic`); empty
/// when the spec can be used. What the backend checks a new migration with,
/// and what `ripple check-change` and the package's `validateChange` return.
pub fn check_change(json: &str, dialect: Option<Dialect>) -> Vec<ChangeProblem> {
    match crate::json::read::<ChangeSpec>(json) {
        Ok(spec) => {
            let dialect = dialect.or(spec.dialect).unwrap_or(Dialect::Generic);
            spec.problems(dialect)
        }
        Err(e) => vec![ChangeProblem { field: e.field, message: e.message }],
    }
}

impl ChangeSpec {
    /// Reads a change spec from JSON and checks it in its own dialect
    /// (`generic` when it names none). Errors name the field at fault
    /// (`changes[1].to`) and, for malformed JSON, the line and column.
    pub fn from_json(json: &str) -> Result<ChangeSpec, EngineError> {
        Self::from_json_in(json, None)
    }

    /// [`ChangeSpec::from_json`], checking the spec's SQL (mappings, types)
    /// in `dialect` when given: the dialect it will be written in.
    pub fn from_json_in(json: &str, dialect: Option<Dialect>) -> Result<ChangeSpec, EngineError> {
        let spec: ChangeSpec = crate::json::read(json).map_err(|e| EngineError::InvalidChange { field: e.field, message: e.message })?;
        spec.validate_in(dialect.or(spec.dialect).unwrap_or(Dialect::Generic))?;
        Ok(spec)
    }

    /// [`ChangeSpec::validate_in`] the spec's own dialect (`generic` when it
    /// names none).
    pub fn validate(&self) -> Result<(), EngineError> {
        self.validate_in(self.dialect.unwrap_or(Dialect::Generic))
    }

    /// The first of [`ChangeSpec::problems`], as an error.
    pub fn validate_in(&self, dialect: Dialect) -> Result<(), EngineError> {
        match self.problems(dialect).into_iter().next() {
            Some(problem) => Err(problem.into()),
            None => Ok(()),
        }
    }

    /// Checks what the JSON's shape cannot, when the spec's SQL is written in
    /// `dialect`: names are present, each column is changed once, the table
    /// is renamed or replaced at most once, each type is one data type and
    /// each mapping one expression (without subqueries) of the dialect.
    /// Names are always written quoted where needed; types and expressions
    /// are written from their parsed form (`spec_sql.rs`).
    pub fn problems(&self, dialect: Dialect) -> Vec<ChangeProblem> {
        let mut problems = Vec::new();
        let mut problem = |field: String, message: String| problems.push(ChangeProblem { field: Some(field), message });
        if !is_name(&self.dataset) {
            problem("dataset".into(), "must name the dataset's table, e.g. proj.ds.orders".into());
        }
        if self.changes.is_empty() {
            problem("changes".into(), "must list at least one change".into());
        }
        // A set: a spec derived from a wide schema (`ripple diff`) changes
        // tens of thousands of columns.
        let mut columns: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut table_changes = 0;
        let mut view_operators = VIEW_OPERATORS;
        for (i, change) in self.changes.iter().enumerate() {
            let at = |field: &str| format!("changes[{i}].{field}");
            match change {
                Change::RenameColumn { column, to } => {
                    if !is_name(to) || to.contains('.') {
                        problem(at("to"), "must be a column name".into());
                    } else if to.eq_ignore_ascii_case(column) {
                        problem(at("to"), "is the column's current name".into());
                    }
                }
                Change::ChangeType { to, .. } => {
                    if let Err(why) = crate::spec_sql::data_type(to, dialect) {
                        problem(at("to"), format!("must be a SQL type of {dialect}: {why}"));
                    }
                }
                Change::RenameTable { to } | Change::ReplaceTable { to, .. } => {
                    table_changes += 1;
                    if !is_name(to) {
                        problem(at("to"), "must name a table, e.g. proj.ds.orders_v2".into());
                    } else if to.eq_ignore_ascii_case(&self.dataset) {
                        problem(at("to"), "is the dataset's current name".into());
                    }
                    if table_changes > 1 {
                        problem(at("kind"), "the table can be renamed or replaced only once".into());
                    }
                }
                Change::DropColumn { .. } => {}
            }
            let named: Vec<(String, &String)> = match change {
                Change::RenameColumn { column, .. } | Change::DropColumn { column } | Change::ChangeType { column, .. } => {
                    vec![(at("column"), column)]
                }
                Change::ReplaceTable { columns, .. } => columns.keys().map(|c| (at(&format!("columns.{c}")), c)).collect(),
                Change::RenameTable { .. } => Vec::new(),
            };
            for (field, column) in named {
                if !is_name(column) || column.contains('.') {
                    problem(field, "must be a column name".into());
                    continue;
                }
                if let Change::ReplaceTable { columns: mapping, .. } = change {
                    match check_mapping(&mapping[column], dialect) {
                        Ok(operators) => {
                            // The view holds every mapping in one statement,
                            // read back under the same operator cap.
                            let before = view_operators;
                            view_operators = view_operators.saturating_add(operators);
                            if view_operators > MAX_OPERATORS && before <= MAX_OPERATORS {
                                problem(
                                    field.clone(),
                                    format!(
                                        "makes the compatibility view, which holds every mapping in one statement, \
                                         count more than {MAX_OPERATORS} operators ({view_operators}); \
                                         a statement with more cannot be read back"
                                    ),
                                );
                            }
                        }
                        Err(why) => problem(field.clone(), why),
                    }
                }
                if !columns.insert(column.to_ascii_lowercase()) {
                    problem(field, "changes a column another change already changes".into());
                }
            }
        }
        problems
    }

    /// The dataset's columns the changes name, in the order they name them.
    pub fn changed_columns(&self) -> impl Iterator<Item = &str> {
        self.changes.iter().flat_map(|change| {
            let named: Vec<&str> = match change {
                Change::RenameColumn { column, .. } | Change::DropColumn { column } | Change::ChangeType { column, .. } => vec![column],
                Change::ReplaceTable { columns, .. } => columns.keys().map(String::as_str).collect(),
                Change::RenameTable { .. } => Vec::new(),
            };
            named
        })
    }

    /// What becomes of the dataset's table: its new name, if any.
    pub fn new_table(&self) -> Option<&str> {
        self.changes.iter().find_map(|c| match c {
            Change::RenameTable { to } | Change::ReplaceTable { to, .. } => Some(to.as_str()),
            _ => None,
        })
    }

    /// The schema once the change is made: the dataset's table under its new
    /// name, with its columns renamed, dropped or mapped.
    pub fn schema_after(&self, schema: &Schema) -> Schema {
        let mut after = schema.clone();
        // Every name the schema gives the dataset (a dbt source's name beside
        // its relation, `marts.fct_orders` and `proj.marts.fct_orders`), the
        // exact one first, then in name order: a HashMap's order would make
        // the result, and the rewrite's verification, vary from run to run.
        let mut names: Vec<&String> = schema.tables.keys().filter(|name| names_match(name, &self.dataset) || names_match(&self.dataset, name)).collect();
        names.sort_by_key(|name| (*name != &self.dataset, name.to_ascii_lowercase()));
        for name in names {
            let columns = self.columns_after(&schema.tables[name].columns);
            match self.new_table() {
                Some(to) => {
                    after.tables.remove(name);
                    after.tables.entry(to.to_string()).or_insert(TableSchema { columns });
                }
                None => {
                    after.tables.insert(name.clone(), TableSchema { columns });
                }
            }
        }
        after
    }

    /// The dataset's columns once the change is made: renamed, retyped,
    /// dropped, or mapped (the columns a mapping reads).
    fn columns_after(&self, before: &[ColumnSchema]) -> Vec<ColumnSchema> {
        let mut columns: Vec<ColumnSchema> = Vec::new();
        let mut push = |column: ColumnSchema| {
            if !columns.iter().any(|c| c.name.eq_ignore_ascii_case(&column.name)) {
                columns.push(column);
            }
        };
        for column in before {
            match self.column_fate(&column.name) {
                ColumnFate::Kept => push(column.clone()),
                ColumnFate::Renamed(to) => push(ColumnSchema { name: to.to_string(), data_type: column.data_type.clone() }),
                ColumnFate::Retyped(to) => push(ColumnSchema { name: column.name.clone(), data_type: Some(to.to_string()) }),
                ColumnFate::Path(to) => push(ColumnSchema { name: to.split('.').next().unwrap_or(to).to_string(), data_type: None }),
                ColumnFate::Expression(e) => {
                    for c in expression_columns(e, self.dialect.unwrap_or(Dialect::Generic)) {
                        push(ColumnSchema { name: c, data_type: None });
                    }
                }
                ColumnFate::Dropped => {}
            }
        }
        columns
    }

    /// What becomes of the dataset's column `column` (case-insensitive).
    pub fn column_fate(&self, column: &str) -> ColumnFate<'_> {
        for change in &self.changes {
            match change {
                Change::RenameColumn { column: c, to } if c.eq_ignore_ascii_case(column) => return ColumnFate::Renamed(to),
                Change::DropColumn { column: c } if c.eq_ignore_ascii_case(column) => return ColumnFate::Dropped,
                Change::ChangeType { column: c, to } if c.eq_ignore_ascii_case(column) => return ColumnFate::Retyped(to),
                Change::ReplaceTable { columns, .. } => {
                    if let Some((_, to)) = columns.iter().find(|(c, _)| c.eq_ignore_ascii_case(column)) {
                        return ColumnFate::mapped(to);
                    }
                }
                _ => {}
            }
        }
        ColumnFate::Kept
    }
}

/// The column names an expression reads, lowercase.
pub(crate) fn expression_columns(expression: &str, dialect: Dialect) -> Vec<String> {
    let dialect = dialect.parser_dialect();
    let Ok(tokens) = Tokenizer::new(dialect.as_ref(), expression).tokenize() else {
        return Vec::new();
    };
    let significant: Vec<&Token> = tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_))).collect();
    significant
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Token::Word(w)
                if (w.keyword == Keyword::NoKeyword || w.quote_style.is_some())
                    && !matches!(significant.get(i + 1), Some(Token::LParen))
                    && !matches!(i.checked_sub(1).map(|j| significant[j]), Some(Token::Period)) =>
            {
                Some(w.value.to_ascii_lowercase())
            }
            _ => None,
        })
        .collect()
}

/// What a change does to one column of the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnFate<'a> {
    Kept,
    Renamed(&'a str),
    /// A struct field path in the new table (`customer.id`).
    Path(&'a str),
    /// An expression over the new table's columns.
    Expression(&'a str),
    Dropped,
    Retyped(&'a str),
}

/// What a `replace_table` mapping must be: a column name or a field path
/// (written quoted where needed), or else one expression of `dialect`.
/// Returns what it adds to the operators of the compatibility view: an
/// expression's own, 1 for a field path (`:` in Snowflake, `->>` in MySQL).
fn check_mapping(to: &str, dialect: Dialect) -> Result<usize, String> {
    if to.trim().is_empty() {
        return Err("must map to a column, a field path or an expression".into());
    }
    match ColumnFate::mapped(to) {
        ColumnFate::Expression(expression) => crate::spec_sql::expression(expression, dialect)
            .map(|expr| crate::spec_sql::operators(&crate::spec_sql::spelled(&expr), dialect))
            .map_err(|why| format!("must be a column, a field path or one SQL expression of {dialect} over the new table's columns; the expression {why}")),
        ColumnFate::Path(_) => Ok(1),
        _ => Ok(0),
    }
}

impl<'a> ColumnFate<'a> {
    fn mapped(to: &'a str) -> Self {
        let to = to.trim();
        if is_plain_name(to) {
            ColumnFate::Renamed(to)
        } else if to.split('.').all(is_plain_name) {
            ColumnFate::Path(to)
        } else {
            ColumnFate::Expression(to)
        }
    }
}

fn is_plain_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// A table or column name: dot-separated parts, none empty or padded.
fn is_name(text: &str) -> bool {
    !text.is_empty() && text.split('.').all(|part| !part.is_empty() && part.trim() == part)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(json: &str) -> String {
        ChangeSpec::from_json(json).unwrap_err().to_string()
    }

    #[test]
    fn reads_every_change_kind() {
        let spec = ChangeSpec::from_json(
            r#"{"dataset":"proj.ds.orders","dialect":"bigquery","changes":[
              {"kind":"rename_column","column":"amount","to":"amount_usd"},
              {"kind":"drop_column","column":"legacy_flag"},
              {"kind":"change_type","column":"id","to":"STRING"},
              {"kind":"replace_table","to":"proj.core.orders","columns":{"cust":"customer.id","ts":"TIMESTAMP_MILLIS(ts_ms)","x":"y"}}]}"#,
        )
        .unwrap();
        assert_eq!(spec.dialect, Some(Dialect::BigQuery));
        assert!(spec.preserve_output_names);
        assert_eq!(spec.new_table(), Some("proj.core.orders"));
        assert_eq!(spec.column_fate("AMOUNT"), ColumnFate::Renamed("amount_usd"));
        assert_eq!(spec.column_fate("legacy_flag"), ColumnFate::Dropped);
        assert_eq!(spec.column_fate("id"), ColumnFate::Retyped("STRING"));
        assert_eq!(spec.column_fate("cust"), ColumnFate::Path("customer.id"));
        assert_eq!(spec.column_fate("ts"), ColumnFate::Expression("TIMESTAMP_MILLIS(ts_ms)"));
        assert_eq!(spec.column_fate("x"), ColumnFate::Renamed("y"));
        assert_eq!(spec.column_fate("other"), ColumnFate::Kept);
    }

    #[test]
    fn errors_name_the_field_or_the_position() {
        assert_eq!(error(r#"{"dataset":"t","changes":[{"kind":"rename_column","column":"a"}]}"#), "invalid change spec: changes[0]: missing field `to`");
        assert_eq!(
            error(r#"{"dataset":"t","changes":[{"kind":"rename","column":"a"}]}"#),
            "invalid change spec: changes[0].kind: unknown variant `rename`, expected one of `rename_column`, `drop_column`, `change_type`, `rename_table`, `replace_table`"
        );
        assert_eq!(error("{\"dataset\":\"t\",\n\"changes\":[}"), "invalid change spec: expected value at line 2, column 12");
        assert_eq!(error(r#"{"dataset":"t","changes":[]}"#), "invalid change spec: changes: must list at least one change");
        assert_eq!(
            error(r#"{"dataset":"t","changes":[{"kind":"drop_column","column":"a"},{"kind":"rename_column","column":"A","to":"b"}]}"#),
            "invalid change spec: changes[1].column: changes a column another change already changes"
        );
        assert_eq!(
            error(r#"{"dataset":"t","changes":[{"kind":"rename_table","to":"u"},{"kind":"replace_table","to":"v"}]}"#),
            "invalid change spec: changes[1].kind: the table can be renamed or replaced only once"
        );
        assert!(error(r#"{"dataset":"t","dialect":"oracle","changes":[]}"#).starts_with("invalid change spec: dialect: unknown variant `oracle`"));
        assert!(error(r#"{"dataset":"t","changes":[{"kind":"drop_column","column":"a"}],"extra":1}"#).starts_with("invalid change spec: extra: unknown field `extra`"));
    }
}
