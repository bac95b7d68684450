//! Compatibility views: the DDL for every change kind in every dialect, with
//! a schema of the old table and without one. The DDL runs for real on
//! PostgreSQL and DuckDB in `packages/engine/test/compat-view.test.js`.

use std::fmt::Write;

use ripple_engine::{compat_view, ChangeSpec, Dialect, EngineError, Schema};

/// The old table `proj.ds.orders`.
const SCHEMA: &str = r#"{"tables": {"proj.ds.orders": {"columns": [
  {"name": "id", "type": "INT64"},
  {"name": "amount", "type": "NUMERIC"},
  {"name": "legacy_flag", "type": "BOOL"},
  {"name": "cust", "type": "INT64"},
  {"name": "ts", "type": "TIMESTAMP"},
  {"name": "status"}]}}}"#;

fn spec(changes: &str) -> ChangeSpec {
    ChangeSpec::from_json(&format!(r#"{{"dataset": "proj.ds.orders", "changes": [{changes}]}}"#)).expect("valid change")
}

/// The DDL of `changes` in every dialect, with and without the schema.
fn every_dialect(changes: &str) -> String {
    let spec = spec(changes);
    let schema = Schema::from_json(SCHEMA).unwrap();
    let mut out = format!("change: [{changes}]\n");
    for dialect in Dialect::ALL {
        for (label, schema) in [("with the schema", Some(&schema)), ("without a schema", None)] {
            write!(out, "\n-- {dialect}, {label}\n").unwrap();
            match compat_view(&spec, dialect, schema) {
                Ok(view) => writeln!(out, "{}\n-- cleanup\n{}", view.create, view.cleanup).unwrap(),
                Err(error) => writeln!(out, "error: {error}").unwrap(),
            }
        }
    }
    out
}

macro_rules! check {
    ($value:expr) => {
        insta::with_settings!({ omit_expression => true }, { insta::assert_snapshot!($value) })
    };
}

const MOVE: &str = r#"{"kind": "rename_table", "to": "proj.sales.orders_v2"}"#;

#[test]
fn rename_table_selects_everything_from_the_new_name() {
    check!(every_dialect(MOVE));
}

#[test]
fn rename_column_becomes_an_alias() {
    check!(every_dialect(&format!(r#"{{"kind": "rename_column", "column": "amount", "to": "amount_usd"}}, {MOVE}"#)));
}

#[test]
fn drop_column_becomes_a_typed_null() {
    check!(every_dialect(&format!(r#"{{"kind": "drop_column", "column": "legacy_flag"}}, {MOVE}"#)));
}

#[test]
fn change_type_casts_back_to_the_old_type() {
    check!(every_dialect(&format!(r#"{{"kind": "change_type", "column": "id", "to": "STRING"}}, {MOVE}"#)));
}

#[test]
fn replace_table_maps_names_paths_and_expressions() {
    check!(every_dialect(
        r#"{"kind": "replace_table", "to": "proj.core.orders",
            "columns": {"amount": "amount_usd", "cust": "customer.id", "ts": "TIMESTAMP_MILLIS(ts_ms)"}}"#
    ));
}

#[test]
fn the_issue_example_combines_every_column_change_with_a_replacement() {
    check!(every_dialect(
        r#"{"kind": "drop_column", "column": "legacy_flag"},
           {"kind": "change_type", "column": "id", "to": "STRING"},
           {"kind": "replace_table", "to": "proj.core.orders",
            "columns": {"amount": "amount_usd", "cust": "customer.id", "ts": "TIMESTAMP_MILLIS(ts_ms)"}}"#
    ));
}

#[test]
fn names_are_quoted_per_dialect_only_when_needed() {
    let spec = ChangeSpec::from_json(
        r#"{"dataset": "my-proj.select.orders", "changes": [
            {"kind": "rename_column", "column": "order", "to": "unit price"},
            {"kind": "replace_table", "to": "my-proj.core.Order Lines", "columns": {"group": "from.to"}}]}"#,
    )
    .unwrap();
    let schema = Schema::from_json(
        r#"{"tables": {"my-proj.select.orders": {"columns": [{"name": "Id"}, {"name": "order"}, {"name": "group"}, {"name": "a\"b`c"}]}}}"#,
    )
    .unwrap();
    let mut out = String::new();
    for dialect in Dialect::ALL {
        let view = compat_view(&spec, dialect, Some(&schema)).unwrap();
        write!(out, "-- {dialect}\n{}\n-- cleanup\n{}\n\n", view.create, view.cleanup).unwrap();
    }
    check!(out);
}

fn error(changes: &str, dialect: Dialect, schema: Option<&str>) -> EngineError {
    let schema = schema.map(|s| Schema::from_json(s).unwrap());
    compat_view(&spec(changes), dialect, schema.as_ref()).unwrap_err()
}

#[test]
fn an_in_place_change_is_refused_because_the_old_name_is_still_the_table() {
    let e = error(r#"{"kind": "rename_column", "column": "amount", "to": "amount_usd"}"#, Dialect::Postgres, Some(SCHEMA));
    assert_eq!(
        e.to_string(),
        "cannot build a compatibility view: the change keeps proj.ds.orders in place, and a view cannot take the name \
         of the table it reads; a compatibility view needs the table to move (add a rename_table or replace_table change)"
    );
    assert_eq!(serde_json::to_value(&e).unwrap()["kind"], "compat_view");
}

#[test]
fn a_dropped_or_retyped_column_without_its_old_type_is_an_error_naming_it() {
    let e = error(&format!(r#"{{"kind": "drop_column", "column": "status"}}, {MOVE}"#), Dialect::DuckDb, Some(SCHEMA));
    assert_eq!(e, EngineError::CompatView {
        column: Some("status".into()),
        message: "the schema gives no type for column status, which the view must rebuild with its old type".into(),
    });
    let e = error(&format!(r#"{{"kind": "change_type", "column": "id", "to": "STRING"}}, {MOVE}"#), Dialect::BigQuery, None);
    assert_eq!(e, EngineError::CompatView {
        column: Some("id".into()),
        message: "the view must rebuild column id with its old type, which only a schema of proj.ds.orders gives".into(),
    });
}

#[test]
fn without_star_modifiers_a_rename_needs_a_schema() {
    let e = error(&format!(r#"{{"kind": "rename_column", "column": "amount", "to": "amount_usd"}}, {MOVE}"#), Dialect::Postgres, None);
    assert_eq!(
        e.to_string(),
        "cannot build a compatibility view: postgres SQL cannot select * without some columns (amount_usd), so the \
         view must list the old columns: give a schema of proj.ds.orders"
    );
}

#[test]
fn the_schema_must_describe_the_old_table_and_every_column_the_change_names() {
    let other = r#"{"tables": {"proj.core.orders": {"columns": [{"name": "id"}]}}}"#;
    let e = error(MOVE, Dialect::Snowflake, Some(other));
    assert_eq!(
        e.to_string(),
        "cannot build a compatibility view: the schema has no table proj.ds.orders; it must list the dataset's columns \
         as they are before the change"
    );
    let e = error(&format!(r#"{{"kind": "drop_column", "column": "gone"}}, {MOVE}"#), Dialect::Snowflake, Some(SCHEMA));
    assert_eq!(e, EngineError::CompatView {
        column: Some("gone".into()),
        message: "the change names column gone, which the schema of proj.ds.orders does not list".into(),
    });
}

#[test]
fn a_schema_keyed_by_a_shorter_name_describes_the_dataset() {
    let schema = Schema::from_json(r#"{"tables": {"ds.orders": {"columns": [{"name": "id"}, {"name": "amount"}]}}}"#).unwrap();
    let spec = spec(&format!(r#"{{"kind": "rename_column", "column": "amount", "to": "amount_usd"}}, {MOVE}"#));
    let view = compat_view(&spec, Dialect::Postgres, Some(&schema)).unwrap();
    assert_eq!(view.create, "CREATE OR REPLACE VIEW proj.ds.orders AS\nSELECT\n  id,\n  amount_usd AS amount\nFROM proj.sales.orders_v2;");
    assert_eq!(view.cleanup, "DROP VIEW IF EXISTS proj.ds.orders;");
    assert_eq!((view.view.as_str(), view.table.as_str()), ("proj.ds.orders", "proj.sales.orders_v2"));
}
