//! Forward views, the inverse of compatibility views: the dataset as it will
//! be after the change (new column names and types), read from the table as
//! it is now, under a name in a scratch schema. A consumer's patched query
//! can then run before the producer has changed anything, and its rows be
//! compared with the old query's on the same data.
//!
//! ```sql
//! CREATE OR REPLACE VIEW ripple_scratch.orders_v2 AS
//! SELECT
//!   id,
//!   amount AS amount_usd,
//!   CAST(placed_at AS TIMESTAMP) AS placed_at
//! FROM shop.orders;
//! ```

use serde::{Deserialize, Serialize};

use super::sql::Sql;
use super::{changed_columns, old_columns};
use crate::dialect::ReplaceView;
use crate::{ChangeSpec, ColumnFate, Dialect, EngineError, Schema};

/// The DDL of a forward view, in one dialect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ForwardView {
    /// The view's name, as given (in a scratch schema).
    pub view: String,
    /// The table it reads: the dataset as it is now.
    pub table: String,
    /// Creates (or replaces) the view; one or more statements, each ending with `;`.
    pub create: String,
    /// Removes it.
    pub cleanup: String,
}

/// What building a forward view takes besides the change (the WebAssembly
/// package's `forwardView(change, options)`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ForwardViewOptions {
    /// The view's name (`ripple_scratch.orders_v2`): a schema of its own,
    /// never the dataset's or its new table's name.
    pub view: String,
    /// Defaults to the change spec's dialect, then `generic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    /// The dataset's table as it is before the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Schema>,
}

/// The forward view of `spec` in `dialect`, named `view`.
///
/// With `schema` (listing the dataset's columns), the view lists the new
/// columns in the old order: kept columns as they are, renamed ones as
/// aliases (`amount AS amount_usd`), retyped ones cast to their new type;
/// dropped ones are left out. Without it, the view selects `*` minus the
/// changed columns (`* EXCEPT`/`* EXCLUDE`) plus one item per renamed or
/// retyped column, so a dialect without such a modifier needs a schema as
/// soon as a column changes.
///
/// A `replace_table` mapping to a field path or an expression says how to
/// compute an old column from the new table; the new table's columns cannot
/// be computed back from it, so such a view is refused naming the column
/// (the patched query then runs against the new table once it exists).
pub fn forward_view(spec: &ChangeSpec, dialect: Dialect, schema: Option<&Schema>, view: &str) -> Result<ForwardView, EngineError> {
    spec.validate_in(dialect)?;
    let sql = Sql { dialect };
    check_view_name(spec, view)?;
    for name in spec.dataset.split('.').chain(view.split('.')).chain(changed_columns(spec)) {
        if let Some(why) = dialect.unquotable(name) {
            return Err(refuse(None, format!("{dialect} SQL cannot name `{name}` so that the engine reads it back: {why}")));
        }
    }
    let items = match schema {
        Some(schema) => {
            let (_, columns) = old_columns(spec, schema).map_err(|error| match error {
                EngineError::CompatView { column, message } => EngineError::ForwardView { column, message },
                other => other,
            })?;
            let mut items = Vec::with_capacity(columns.len());
            for column in columns {
                if let Some(item) = forward_item(spec, &sql, &column.name)? {
                    items.push(item);
                }
            }
            items
        }
        None => star_and_changes(spec, &sql)?,
    };
    if items.is_empty() {
        return Err(refuse(None, format!("the change drops every column of {}: the view would have none", spec.dataset)));
    }
    let name = sql.name(view);
    let select = format!("SELECT\n  {}\nFROM {};", items.join(",\n  "), sql.name(&spec.dataset));
    // The view is Ripple's own, in its scratch schema: replaced freely.
    let create = match dialect.replace_view() {
        ReplaceView::OrReplace => format!("CREATE OR REPLACE VIEW {name} AS\n{select}"),
        ReplaceView::Never | ReplaceView::DropFirst => {
            format!("DROP VIEW IF EXISTS {name};\nCREATE VIEW {name} AS\n{select}")
        }
    };
    Ok(ForwardView { view: view.to_string(), table: spec.dataset.clone(), create, cleanup: format!("DROP VIEW IF EXISTS {name};") })
}

/// The view's name must be a name of its own: not the dataset's (which it
/// reads) nor the new table's (which may exist, or soon will).
fn check_view_name(spec: &ChangeSpec, view: &str) -> Result<(), EngineError> {
    if view.is_empty() || view.split('.').any(|part| part.is_empty() || part.trim() != part) {
        return Err(refuse(None, format!("the view's name `{view}` is not a table name (dot-separated parts, none empty or padded)")));
    }
    let clashes = |other: &str| crate::schema::names_match(other, view) || crate::schema::names_match(view, other);
    if let Some(other) = std::iter::once(spec.dataset.as_str()).chain(spec.new_table()).find(|other| clashes(other)) {
        return Err(refuse(None, format!("the view `{view}` would take the name of {other}; give it a name in a scratch schema of its own")));
    }
    Ok(())
}

/// The item of one old column, `None` when the change drops it.
fn forward_item(spec: &ChangeSpec, sql: &Sql, column: &str) -> Result<Option<String>, EngineError> {
    let name = sql.ident(column);
    Ok(match spec.column_fate(column) {
        ColumnFate::Kept => Some(name),
        ColumnFate::Renamed(to) => Some(format!("{name} AS {}", sql.ident(to))),
        ColumnFate::Retyped(to) => Some(format!("CAST({name} AS {}) AS {name}", new_type(sql, column, to)?)),
        ColumnFate::Dropped => None,
        ColumnFate::Path(to) | ColumnFate::Expression(to) => {
            return Err(refuse(
                Some(column),
                format!("column {column} is mapped to `{to}`, computed from the new table: the new table's columns cannot be computed back from the old one, so no forward view can be made"),
            ))
        }
    })
}

/// `*` without the changed columns, then the renamed and retyped ones.
fn star_and_changes(spec: &ChangeSpec, sql: &Sql) -> Result<Vec<String>, EngineError> {
    let mut excluded = Vec::new();
    let mut items = Vec::new();
    for column in changed_columns(spec) {
        if matches!(spec.column_fate(column), ColumnFate::Kept) {
            continue;
        }
        excluded.push(sql.ident(column));
        items.extend(forward_item(spec, sql, column)?);
    }
    if excluded.is_empty() {
        return Ok(vec!["*".to_string()]);
    }
    let Some(keyword) = sql.dialect.star_except() else {
        return Err(refuse(None, format!("{} SQL cannot select * without some columns ({}), so the view must list the columns: give a schema of {}", sql.dialect, excluded.join(", "), spec.dataset)));
    };
    items.insert(0, format!("* {keyword} ({})", excluded.join(", ")));
    Ok(items)
}

fn refuse(column: Option<&str>, message: String) -> EngineError {
    EngineError::ForwardView { column: column.map(str::to_string), message }
}

/// The new type of a retyped column, written from its parsed form.
fn new_type(sql: &Sql, column: &str, to: &str) -> Result<String, EngineError> {
    crate::spec_sql::data_type(to, sql.dialect)
        .map(|t| t.to_string())
        .map_err(|why| EngineError::InvalidChange { field: None, message: format!("the new type `{to}` of column {column} must be a SQL type of {}: {why}", sql.dialect) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> ChangeSpec {
        ChangeSpec::from_json(json).unwrap()
    }

    fn schema() -> Schema {
        Schema::from_json(r#"{"tables": {"shop.orders": {"columns": [{"name": "id", "type": "INTEGER"}, {"name": "amount", "type": "INTEGER"}, {"name": "placed_at", "type": "VARCHAR"}, {"name": "legacy", "type": "BOOLEAN"}]}}}"#).unwrap()
    }

    const CHANGE: &str = r#"{"dataset": "shop.orders", "changes": [
        {"kind": "rename_column", "column": "amount", "to": "amount_usd"},
        {"kind": "change_type", "column": "placed_at", "to": "TIMESTAMP"},
        {"kind": "drop_column", "column": "legacy"},
        {"kind": "rename_table", "to": "shop.orders_v2"}]}"#;

    #[test]
    fn with_a_schema_the_view_lists_the_new_columns_in_the_old_order() {
        let view = forward_view(&spec(CHANGE), Dialect::DuckDb, Some(&schema()), "ripple_scratch.orders_v2").unwrap();
        assert_eq!(view.create, "CREATE OR REPLACE VIEW ripple_scratch.orders_v2 AS\nSELECT\n  id,\n  amount AS amount_usd,\n  CAST(placed_at AS TIMESTAMP) AS placed_at\nFROM shop.orders;");
        assert_eq!(view.cleanup, "DROP VIEW IF EXISTS ripple_scratch.orders_v2;");
        assert_eq!(view.table, "shop.orders");
    }

    #[test]
    fn without_a_schema_the_changed_columns_leave_the_star() {
        let view = forward_view(&spec(CHANGE), Dialect::Snowflake, None, "ripple_scratch.orders_v2").unwrap();
        assert!(view.create.contains("  * EXCLUDE (amount, placed_at, legacy),\n  amount AS amount_usd,\n  CAST(placed_at AS TIMESTAMP) AS placed_at\nFROM shop.orders;"), "{}", view.create);
        let error = forward_view(&spec(CHANGE), Dialect::Postgres, None, "ripple_scratch.orders_v2").unwrap_err();
        assert!(error.to_string().contains("give a schema of shop.orders"), "{error}");
        // Nothing changes but the name: `*` as it is.
        let moved = spec(r#"{"dataset": "shop.orders", "changes": [{"kind": "rename_table", "to": "sales.orders"}]}"#);
        let view = forward_view(&moved, Dialect::Postgres, None, "ripple_scratch.orders").unwrap();
        assert_eq!(view.create, "CREATE OR REPLACE VIEW ripple_scratch.orders AS\nSELECT\n  *\nFROM shop.orders;");
    }

    #[test]
    fn what_cannot_be_computed_back_or_named_is_refused() {
        let mapped = spec(r#"{"dataset": "shop.orders", "changes": [{"kind": "replace_table", "to": "shop.orders_v2", "columns": {"amount": "amount_cents / 100", "id": "order_id"}}]}"#);
        let error = forward_view(&mapped, Dialect::DuckDb, Some(&schema()), "ripple_scratch.orders_v2").unwrap_err();
        assert!(error.to_string().contains("column amount is mapped to `amount_cents / 100`"), "{error}");
        // A mapping to a plain column is a rename.
        let renamed = spec(r#"{"dataset": "shop.orders", "changes": [{"kind": "replace_table", "to": "shop.orders_v2", "columns": {"id": "order_id"}}]}"#);
        let view = forward_view(&renamed, Dialect::DuckDb, Some(&schema()), "ripple_scratch.orders_v2").unwrap();
        assert!(view.create.contains("  id AS order_id,\n  amount,"), "{}", view.create);
        for clash in ["shop.orders", "orders", "shop.orders_v2", ""] {
            assert!(forward_view(&spec(CHANGE), Dialect::DuckDb, None, clash).is_err(), "{clash}");
        }
        let dropped = spec(r#"{"dataset": "t", "changes": [{"kind": "drop_column", "column": "a"}]}"#);
        let one = Schema::from_json(r#"{"tables": {"t": {"columns": [{"name": "a"}]}}}"#).unwrap();
        assert!(forward_view(&dropped, Dialect::DuckDb, Some(&one), "s.u").unwrap_err().to_string().contains("drops every column"));
    }
}
