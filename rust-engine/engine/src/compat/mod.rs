//! Compatibility views: while consumers migrate, a view under the dataset's
//! old name exposes the old columns from the new table, so unmigrated
//! consumers keep working; a cleanup statement removes it afterwards.
//!
//! ```sql
//! CREATE OR REPLACE VIEW proj.ds.orders AS
//! SELECT
//!   CAST(id AS INT64) AS id,
//!   amount_usd AS amount,
//!   CAST(NULL AS BOOL) AS legacy_flag,
//!   orders.customer.id AS cust
//! FROM proj.core.orders;
//! ```
//!
//! The view needs the table to move (`rename_table` or `replace_table`):
//! when only columns change, the old name still holds the table itself, and
//! one name cannot be both a table and a view. Such a spec is refused with an
//! error that says so, rather than inventing a name the change does not give.

use serde::{Deserialize, Serialize};

mod forward;
pub(crate) mod sql;

pub use forward::{forward_view, ForwardView, ForwardViewOptions};

use crate::dialect::{FieldAccess, ReplaceView};
use crate::{Change, ChangeSpec, ColumnFate, ColumnSchema, Dialect, EngineError, Schema};
use sql::Sql;

/// The DDL of a compatibility view, in one dialect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct CompatView {
    /// The view's name: the dataset's old name.
    pub view: String,
    /// The table the view reads: the dataset's new name.
    pub table: String,
    /// Creates (or replaces) the view; one or more statements, each ending with `;`.
    pub create: String,
    /// Removes the view once every consumer has migrated.
    pub cleanup: String,
}

/// What building a compatibility view takes besides the change (the
/// WebAssembly package's `compatView(change, options)`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct CompatViewOptions {
    /// Defaults to the change spec's dialect, then `generic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    /// The dataset's table as it is before the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Schema>,
}

/// The compatibility view of `spec` in `dialect`.
///
/// With `schema` (which must list the dataset's old table), the view lists
/// every old column in the old order: kept columns as they are, renamed ones
/// as aliases (`amount_usd AS amount`), retyped ones cast back to their old
/// type, dropped ones as typed NULLs, and `replace_table` mappings as their
/// path or expression.
///
/// Without a schema the view selects `*` from the new table, minus the new
/// names of renamed columns (`* EXCEPT` in BigQuery, Databricks and Spark,
/// `* EXCLUDE` in Snowflake and DuckDB), plus one item per renamed or mapped
/// column. Columns the new table added then stay visible and the order
/// differs from the old table's. A dialect without such a modifier needs a
/// schema as soon as a column must be left out of `*`; a dropped or retyped
/// column always needs its old type, hence a schema.
///
/// Errors ([`EngineError::CompatView`]) say what is missing: the table does
/// not move, a schema is needed, a column's old type is unknown (naming the
/// column), or the schema lacks the dataset or a column the change names.
pub fn compat_view(spec: &ChangeSpec, dialect: Dialect, schema: Option<&Schema>) -> Result<CompatView, EngineError> {
    // A spec built in Rust has not been through `from_json`'s checks, and
    // its SQL must read in the dialect the view is written in.
    spec.validate_in(dialect)?;
    let Some(table) = spec.new_table() else {
        return Err(refuse(
            None,
            format!(
                "the change keeps {} in place, and a view cannot take the name of the table it reads; \
                 a compatibility view needs the table to move (add a rename_table or replace_table change)",
                spec.dataset
            ),
        ));
    };
    if let Some((name, why)) = written_names(spec, table, schema).into_iter().find_map(|name| Some((name, dialect.unquotable(name)?))) {
        return Err(refuse(None, format!("{dialect} SQL cannot name `{name}` so that the engine reads it back: {why}")));
    }
    let sql = Sql { dialect };
    let from = sql.name(table);
    // Struct paths are qualified with the new table's name, so a column that
    // shares the table's name is never read as the table itself.
    let qualifier = sql.ident(table.rsplit('.').next().unwrap_or(table));

    let items = match schema {
        Some(schema) => {
            let (key, columns) = old_columns(spec, schema)?;
            listed_columns(spec, &sql, &qualifier, key, columns)?
        }
        None => star_and_changes(spec, &sql, &qualifier)?,
    };
    let view = sql.name(&spec.dataset);
    let select = format!("SELECT\n  {}\nFROM {from};", items.join(",\n  "));
    let create = match dialect.replace_view() {
        // Without OR REPLACE, the view is new during a migration.
        ReplaceView::Never => format!("CREATE VIEW {view} AS\n{select}"),
        ReplaceView::DropFirst => {
            format!("DROP VIEW IF EXISTS {view};\nCREATE VIEW {view} AS\n{select}")
        }
        // PostgreSQL (and Redshift) replace a view only when the new one
        // keeps its columns, names, order and types; the view always exposes
        // exactly the old table's columns, so running this again succeeds,
        // and an incompatible older view fails loudly instead of being
        // dropped with whatever depends on it.
        ReplaceView::OrReplace => format!("CREATE OR REPLACE VIEW {view} AS\n{select}"),
    };
    // The DDL must read back like any statement, within the same caps
    // (`depth.rs`). Its depth is bounded by construction: names and paths
    // are flat, and each mapping and type was checked for the depth it has
    // inside the view (`spec_sql::VIEW_NESTING`). Its operators are the
    // mappings' (bounded by the spec's checks, with [`VIEW_OPERATORS`]) plus
    // those of the changed columns' old types, which only the schema gives:
    // counted here. (Only counted: a name the dialect itself accepts but
    // `sqlparser` does not, such as `` `a\`b` `` in BigQuery, must not refuse
    // the view.)
    let parser_dialect = dialect.parser_dialect();
    if let Ok(tokens) = sqlparser::tokenizer::Tokenizer::new(parser_dialect.as_ref(), &create).tokenize() {
        let operators = crate::depth::operators(&tokens);
        if operators > crate::depth::MAX_OPERATORS {
            return Err(refuse(
                None,
                format!(
                    "{UNREADABLE}: it counts {operators} operators, more than the {} any statement may hold; \
                     the mappings and the old types of the changed columns together are too large for one view",
                    crate::depth::MAX_OPERATORS
                ),
            ));
        }
    }
    // No CASCADE: a view someone built on the compatibility view must fail
    // the cleanup, not disappear with it.
    let cleanup = format!("DROP VIEW IF EXISTS {view};");
    Ok(CompatView { view: spec.dataset.clone(), table: table.to_string(), create, cleanup })
}

/// What the view adds to the operators its mappings hold (`depth.rs`),
/// whatever the schema: the `OR` of `CREATE OR REPLACE` and the `*` of a
/// view without a schema.
pub(crate) const VIEW_OPERATORS: usize = 2;

/// How a view whose DDL would not read back is refused.
const UNREADABLE: &str = "the view's DDL would not read back";

/// Every name part the view writes: the dataset's and the table's, the
/// changed columns, what they are renamed or mapped to (names and paths),
/// and the old table's columns when the schema lists them. Found by the
/// `change` fuzz target: `` `proj\`c` `` in BigQuery did not read back.
fn written_names<'a>(spec: &'a ChangeSpec, table: &'a str, schema: Option<&'a Schema>) -> Vec<&'a str> {
    let mut names: Vec<&str> = spec.dataset.split('.').chain(table.split('.')).collect();
    for column in changed_columns(spec) {
        names.push(column);
        match spec.column_fate(column) {
            ColumnFate::Renamed(to) => names.push(to),
            ColumnFate::Path(path) => names.extend(path.split('.')),
            _ => {}
        }
    }
    if let Some((_, columns)) = schema.and_then(|schema| old_columns(spec, schema).ok()) {
        names.extend(columns.iter().map(|c| c.name.as_str()));
    }
    names
}

/// The old columns the change names, as the change spells them.
fn changed_columns(spec: &ChangeSpec) -> Vec<&str> {
    let mut columns = Vec::new();
    for change in &spec.changes {
        match change {
            Change::RenameColumn { column, .. } | Change::DropColumn { column } | Change::ChangeType { column, .. } => {
                columns.push(column.as_str());
            }
            Change::ReplaceTable { columns: mapping, .. } => columns.extend(mapping.keys().map(String::as_str)),
            Change::RenameTable { .. } => {}
        }
    }
    columns
}

fn refuse(column: Option<&str>, message: String) -> EngineError {
    EngineError::CompatView { column: column.map(str::to_string), message }
}

/// The old table's key in the schema and its columns; every column the
/// change names must be among them.
fn old_columns<'s>(spec: &ChangeSpec, schema: &'s Schema) -> Result<(&'s str, &'s [ColumnSchema]), EngineError> {
    let (key, columns) = schema
        .table(&spec.dataset)
        .or_else(|| {
            // A schema keyed by a shorter name (`ds.orders`) also describes it.
            let mut found = schema.tables.iter().filter(|(name, _)| crate::schema::names_match(&spec.dataset, name));
            let first = found.next()?;
            found.next().is_none().then_some((first.0.as_str(), first.1.columns.as_slice()))
        })
        .ok_or_else(|| refuse(None, format!("the schema has no table {}; it must list the dataset's columns as they are before the change", spec.dataset)))?;
    for column in changed_columns(spec) {
        if !columns.iter().any(|c| c.name.eq_ignore_ascii_case(column)) {
            return Err(refuse(Some(column), format!("the change names column {column}, which the schema of {} does not list", spec.dataset)));
        }
    }
    Ok((key, columns))
}

/// One select item per old column, in the old order. `key` is the old
/// table's key in the schema, to name a type at fault.
fn listed_columns(spec: &ChangeSpec, sql: &Sql, qualifier: &str, key: &str, columns: &[ColumnSchema]) -> Result<Vec<String>, EngineError> {
    let mut items = Vec::with_capacity(columns.len());
    for (i, column) in columns.iter().enumerate() {
        let name = sql.ident(&column.name);
        let known_type = column.data_type.as_deref().filter(|t| !t.trim().is_empty());
        // Written from its parsed form, like every type and expression the
        // view holds (`spec_sql.rs`); parsed only where it is written.
        let parsed_type = |text: &str| {
            crate::spec_sql::data_type(text, sql.dialect)
                .map_err(|why| EngineError::InvalidSchema { field: Some(format!("tables.{key}.columns[{i}].type")), message: format!("must be a SQL type of {}: {why}", sql.dialect) })
        };
        let old_type = || match known_type {
            Some(text) => parsed_type(text),
            None => Err(refuse(Some(&column.name), format!("the schema gives no type for column {}, which the view must rebuild with its old type", column.name))),
        };
        items.push(match spec.column_fate(&column.name) {
            ColumnFate::Kept => name,
            ColumnFate::Renamed(to) => format!("{} AS {name}", sql.ident(to)),
            ColumnFate::Retyped(_) => format!("CAST({name} AS {}) AS {name}", old_type()?),
            ColumnFate::Dropped => format!("CAST(NULL AS {}) AS {name}", old_type()?),
            ColumnFate::Path(path) => {
                // Only VARIANT values are cast back to their type.
                let cast = match (sql.dialect.field_access(), known_type) {
                    (FieldAccess::Variant, Some(text)) => Some(parsed_type(text)?.to_string()),
                    _ => None,
                };
                format!("{} AS {name}", sql.path(qualifier, path, cast.as_deref()))
            }
            ColumnFate::Expression(expression) => {
                format!("{} AS {name}", sql.expression(expression)?)
            }
        });
    }
    Ok(items)
}

/// `*` from the new table, without the new names of renamed columns, then
/// one item per changed column.
fn star_and_changes(spec: &ChangeSpec, sql: &Sql, qualifier: &str) -> Result<Vec<String>, EngineError> {
    let mut excluded = Vec::new();
    let mut items = Vec::new();
    for column in changed_columns(spec) {
        let name = sql.ident(column);
        match spec.column_fate(column) {
            ColumnFate::Kept => {}
            ColumnFate::Renamed(to) => {
                excluded.push(sql.ident(to));
                items.push(format!("{} AS {name}", sql.ident(to)));
            }
            ColumnFate::Path(path) => items.push(format!("{} AS {name}", sql.path(qualifier, path, None))),
            ColumnFate::Expression(expression) => items.push(format!("{} AS {name}", sql.expression(expression)?)),
            ColumnFate::Retyped(_) | ColumnFate::Dropped => {
                return Err(refuse(Some(column), format!("the view must rebuild column {column} with its old type, which only a schema of {} gives", spec.dataset)));
            }
        }
    }
    let star = if excluded.is_empty() {
        "*".to_string()
    } else {
        let Some(keyword) = sql.dialect.star_except() else {
            return Err(refuse(
                None,
                format!(
                    "{} SQL cannot select * without some columns ({}), so the view must list the old columns: \
                     give a schema of {}",
                    sql.dialect,
                    excluded.join(", "),
                    spec.dataset
                ),
            ));
        };
        format!("* {keyword} ({})", excluded.join(", "))
    };
    items.insert(0, star);
    Ok(items)
}
