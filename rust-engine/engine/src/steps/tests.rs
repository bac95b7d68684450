//! Step plans per change kind and dialect, as a person reads them (the
//! snapshots), and the errors that name the field at fault.

use super::*;
use crate::{ColumnSchema, TableSchema};

fn schema(table: &str, columns: &[(&str, Option<&str>)]) -> Schema {
    let columns = columns.iter().map(|(name, data_type)| ColumnSchema { name: name.to_string(), data_type: data_type.map(str::to_string) }).collect();
    Schema { tables: [(table.to_string(), TableSchema { columns })].into_iter().collect() }
}

/// `shop.orders` as a warehouse of `dialect` types it.
fn orders(dialect: Dialect) -> Schema {
    let (int, text, boolean) = match dialect {
        Dialect::BigQuery => ("INT64", "STRING", "BOOL"),
        Dialect::Snowflake => ("NUMBER(38, 0)", "VARCHAR", "BOOLEAN"),
        Dialect::Postgres => ("integer", "text", "boolean"),
        _ => ("INTEGER", "VARCHAR", "BOOLEAN"),
    };
    schema("shop.orders", &[("id", Some(int)), ("amount", Some(int)), ("status", Some(text)), ("legacy", Some(boolean))])
}

fn spec(changes: &str) -> ChangeSpec {
    ChangeSpec::from_json(&format!(r#"{{"dataset": "shop.orders", "changes": [{changes}]}}"#)).unwrap()
}

fn plan(changes: &str, dialect: Dialect) -> Result<StepPlan, EngineError> {
    let options = StepPlanOptions { dialect: Some(dialect), schema: orders(dialect), key: None, batch_rows: Some(1000) };
    step_plan(&spec(changes), &options)
}

/// The plan as a person reads it: every statement of every step.
fn render(plan: &StepPlan) -> String {
    let mut out = format!(
        "-- {} ({}, {:?}): new {}, old {}, final {}, key {}, {} rows a batch\n",
        plan.dataset, plan.dialect, plan.layout, plan.new_table, plan.old_table, plan.final_table, plan.key, plan.batch_rows
    );
    for step in &plan.steps {
        out.push_str(&format!("\n-- {:?}\n", step.name));
        let mut section = |title: &str, statements: &[String]| {
            if !statements.is_empty() {
                out.push_str(&format!("---- {title}\n{}\n", statements.join("\n")));
            }
        };
        section("statements", &step.statements);
        section("rollback", &step.rollback);
        section("applied", step.applied.as_slice());
        section("differences", step.differences.as_slice());
        section("approval", &step.approval);
        if let Some(b) = &step.batch {
            let batch = [&b.count, &b.next, &b.next_first, &b.copy, &b.copy_first, &b.clear, &b.clear_first, &b.copy_nulls, &b.clear_nulls].map(String::clone);
            section("batch (count, next, next_first, copy, copy_first, clear, clear_first, copy_nulls, clear_nulls)", &batch);
        }
    }
    out
}

const RENAME: &str = r#"{"kind": "rename_column", "column": "amount", "to": "amount_usd"}"#;
const RETYPE_DUCKDB: &str = r#"{"kind": "change_type", "column": "amount", "to": "BIGINT"}"#;
const RETYPE_POSTGRES: &str = r#"{"kind": "change_type", "column": "amount", "to": "bigint"}"#;
const DROP: &str = r#"{"kind": "drop_column", "column": "legacy"}"#;
const MOVE: &str = r#"{"kind": "rename_table", "to": "sales.orders"}"#;
const REPLACE: &str = r#"{"kind": "replace_table", "to": "core.orders_v2", "columns": {"id": "order_id", "status": "state"}}"#;

macro_rules! snapshot {
    ($name:ident, $changes:expr, $dialect:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(render(&plan($changes, $dialect).unwrap()));
        }
    };
}

snapshot!(duckdb_column_rename_is_versioned_and_the_view_exposes_both_names, RENAME, Dialect::DuckDb);
snapshot!(postgres_column_rename_is_versioned_and_the_view_exposes_both_names, RENAME, Dialect::Postgres);
snapshot!(duckdb_retype_casts_in_the_copy_and_back_in_the_view, RETYPE_DUCKDB, Dialect::DuckDb);
snapshot!(postgres_retype_casts_in_the_copy_and_back_in_the_view, RETYPE_POSTGRES, Dialect::Postgres);
snapshot!(duckdb_drop_keeps_the_column_until_the_approval, DROP, Dialect::DuckDb);
snapshot!(postgres_drop_keeps_the_column_until_the_approval, DROP, Dialect::Postgres);
snapshot!(duckdb_table_move_switches_to_the_compatibility_view, MOVE, Dialect::DuckDb);
snapshot!(postgres_table_move_switches_to_the_compatibility_view, MOVE, Dialect::Postgres);
snapshot!(duckdb_replace_with_a_name_mapping_copies_into_the_mapped_columns, REPLACE, Dialect::DuckDb);
snapshot!(postgres_replace_with_a_name_mapping_copies_into_the_mapped_columns, REPLACE, Dialect::Postgres);
snapshot!(bigquery_column_rename_uses_the_datasets_information_schema, RENAME, Dialect::BigQuery);
snapshot!(snowflake_table_move_renames_to_a_qualified_name, MOVE, Dialect::Snowflake);

#[test]
fn the_plan_serializes_as_the_contract_says() {
    let json = serde_json::to_value(plan(DROP, Dialect::Postgres).unwrap()).unwrap();
    let names: Vec<&str> = json["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["expand", "backfill", "verify", "switch", "contract"]);
    assert_eq!(json["layout"], "versioned");
    assert_eq!(json["dialect"], "postgres");
    assert_eq!(json["new_table"], "shop.orders__ripple_v2");
    assert_eq!(json["key"], "id");
    // Absent, not null, where a step has none.
    assert!(json["steps"][0].get("batch").is_none() && json["steps"][0].get("approval").is_none());
    assert!(json["steps"][1]["batch"]["clear_nulls"].is_string());
    assert!(json["steps"][2].get("applied").is_none() && json["steps"][2]["differences"].is_string());
    assert_eq!(json["steps"][4]["approval"].as_array().unwrap().len(), 2);
}

#[test]
fn the_options_read_from_json_refuse_unknown_fields() {
    let options: StepPlanOptions = serde_json::from_str(r#"{"schema": {"tables": {}}, "batch_rows": 3, "key": "id"}"#).unwrap();
    assert_eq!((options.batch_rows, options.key.as_deref()), (Some(3), Some("id")));
    assert!(serde_json::from_str::<StepPlanOptions>(r#"{"schema": {"tables": {}}, "batchRows": 3}"#).is_err());
}

#[test]
fn the_key_defaults_to_the_first_column_the_change_keeps() {
    let retype_id = r#"{"kind": "change_type", "column": "id", "to": "BIGINT"}"#;
    assert_eq!(plan(retype_id, Dialect::DuckDb).unwrap().key, "amount");
    let options = StepPlanOptions { dialect: Some(Dialect::DuckDb), schema: orders(Dialect::DuckDb), key: Some("STATUS".into()), batch_rows: None };
    let plan = step_plan(&spec(RENAME), &options).unwrap();
    assert_eq!((plan.key.as_str(), plan.batch_rows), ("status", 1_966_080));
    let options = StepPlanOptions { dialect: Some(Dialect::Postgres), schema: orders(Dialect::Postgres), key: None, batch_rows: None };
    assert_eq!(step_plan(&spec(RENAME), &options).unwrap().batch_rows, DEFAULT_BATCH_ROWS);
}

fn refused(changes: &str, options: StepPlanOptions) -> (String, String) {
    match step_plan(&spec(changes), &options) {
        Err(EngineError::StepPlan { field, message }) => (field, message),
        other => panic!("expected a step plan error, got {other:?}"),
    }
}

fn options(dialect: Option<Dialect>, schema: Schema, key: Option<&str>) -> StepPlanOptions {
    StepPlanOptions { dialect, schema, key: key.map(str::to_string), batch_rows: None }
}

#[test]
fn a_dialect_that_is_no_warehouses_is_refused() {
    let (field, message) = refused(RENAME, options(Some(Dialect::MySql), orders(Dialect::MySql), None));
    assert_eq!(field, "dialect");
    assert!(message.contains("duckdb, postgres, bigquery or snowflake, not mysql"), "{message}");
    let (field, message) = refused(RENAME, options(None, orders(Dialect::DuckDb), None));
    assert_eq!(field, "dialect");
    assert!(message.contains("name its dialect"), "{message}");
}

#[test]
fn an_expression_mapping_is_refused_naming_the_column() {
    let changes = r#"{"kind": "replace_table", "to": "core.orders_v2", "columns": {"amount": "amount_cents / 100"}}"#;
    let (field, message) = refused(changes, options(Some(Dialect::DuckDb), orders(Dialect::DuckDb), None));
    assert_eq!(field, "changes[0].columns.amount");
    assert!(message.contains("a backfill cannot copy into"), "{message}");
    let path = r#"{"kind": "replace_table", "to": "core.orders_v2", "columns": {"amount": "money.amount"}}"#;
    assert_eq!(refused(path, options(Some(Dialect::DuckDb), orders(Dialect::DuckDb), None)).0, "changes[0].columns.amount");
}

#[test]
fn a_column_without_a_type_is_refused_naming_its_field() {
    let untyped = schema("shop.orders", &[("id", Some("INTEGER")), ("amount", None)]);
    let (field, message) = refused(RENAME, options(Some(Dialect::DuckDb), untyped, None));
    assert_eq!(field, "tables.shop.orders.columns[1].type");
    assert!(message.contains("no type for column amount"), "{message}");
    let bad = schema("shop.orders", &[("id", Some("INTEGER")), ("amount", Some("NOT A TYPE ("))]);
    assert_eq!(refused(RENAME, options(Some(Dialect::DuckDb), bad, None)).0, "tables.shop.orders.columns[1].type");
}

#[test]
fn a_schema_without_the_dataset_is_refused() {
    let other = schema("shop.customers", &[("id", Some("INTEGER"))]);
    let (field, message) = refused(RENAME, options(Some(Dialect::Postgres), other, None));
    assert_eq!(field, "tables");
    assert!(message.contains("no table shop.orders"), "{message}");
    let without_amount = schema("shop.orders", &[("id", Some("INTEGER"))]);
    assert_eq!(refused(RENAME, options(Some(Dialect::Postgres), without_amount, None)).0, "changes[0].column");
}

#[test]
fn a_key_that_is_no_column_or_loses_its_values_is_refused() {
    let (field, message) = refused(RENAME, options(Some(Dialect::DuckDb), orders(Dialect::DuckDb), Some("order_id")));
    assert_eq!(field, "key");
    assert!(message.contains("order_id is not a column of shop.orders (its columns: id, amount, status, legacy)"), "{message}");
    let moved_drop = format!("{MOVE}, {DROP}");
    assert_eq!(refused(&moved_drop, options(Some(Dialect::DuckDb), orders(Dialect::DuckDb), Some("legacy"))).0, "key");
    assert_eq!(refused(RETYPE_DUCKDB, options(Some(Dialect::DuckDb), orders(Dialect::DuckDb), Some("amount"))).0, "key");
}

#[test]
fn a_rename_onto_a_name_the_view_still_exposes_is_refused() {
    let swap = r#"{"kind": "rename_column", "column": "amount", "to": "status"}, {"kind": "rename_column", "column": "status", "to": "amount"}"#;
    let (field, message) = refused(swap, options(Some(Dialect::DuckDb), orders(Dialect::DuckDb), None));
    assert_eq!(field, "changes[0].column");
    assert!(message.contains("exposes both the old and the new names"), "{message}");
    let onto = r#"{"kind": "rename_column", "column": "amount", "to": "status"}"#;
    assert!(refused(onto, options(Some(Dialect::DuckDb), orders(Dialect::DuckDb), None)).1.contains("in the new table"));
}

#[test]
fn batch_rows_of_zero_is_refused() {
    let options = StepPlanOptions { batch_rows: Some(0), ..options(Some(Dialect::DuckDb), orders(Dialect::DuckDb), None) };
    assert_eq!(refused(RENAME, options).0, "batch_rows");
}

/// Every statement and query of a plan, whatever its role.
fn every_statement(plan: &StepPlan) -> Vec<&String> {
    let mut all = Vec::new();
    for step in &plan.steps {
        all.extend(step.statements.iter().chain(&step.rollback).chain(&step.approval).chain(&step.applied).chain(&step.differences));
        if let Some(b) = &step.batch {
            all.extend([&b.count, &b.next, &b.next_first, &b.copy, &b.copy_first, &b.clear, &b.clear_first, &b.copy_nulls, &b.clear_nulls]);
        }
    }
    all
}

#[test]
fn every_statement_is_one_statement_the_dialect_reads_back() {
    let cases = [
        (RENAME, Dialect::DuckDb),
        (RETYPE_DUCKDB, Dialect::DuckDb),
        (DROP, Dialect::Postgres),
        (RETYPE_POSTGRES, Dialect::Postgres),
        (MOVE, Dialect::Postgres),
        (REPLACE, Dialect::DuckDb),
        (RENAME, Dialect::BigQuery),
        (MOVE, Dialect::Snowflake),
        (DROP, Dialect::Snowflake),
    ];
    for (changes, dialect) in cases {
        let plan = plan(changes, dialect).unwrap();
        for statement in every_statement(&plan) {
            assert!(statement.ends_with(';'), "{statement}");
            let read = crate::tables(statement, dialect).unwrap_or_else(|e| panic!("{dialect}: {e}\n{statement}"));
            assert_eq!(read.len(), 1, "{dialect}: {statement}");
        }
    }
}

#[test]
fn names_are_quoted_where_the_dialect_needs_it() {
    let spec = ChangeSpec::from_json(r#"{"dataset": "shop.order", "changes": [{"kind": "rename_column", "column": "unit price", "to": "select"}]}"#).unwrap();
    let options = StepPlanOptions { dialect: Some(Dialect::Snowflake), schema: schema("shop.order", &[("id", Some("NUMBER")), ("unit price", Some("FLOAT"))]), key: None, batch_rows: None };
    let plan = step_plan(&spec, &options).unwrap();
    assert_eq!(plan.steps[0].statements[0], "CREATE TABLE shop.order__ripple_v2 (\n  id NUMBER,\n  \"SELECT\" FLOAT\n);");
    assert!(plan.steps[3].statements[1].contains("\"SELECT\" AS \"unit price\""), "{}", plan.steps[3].statements[1]);
    assert_eq!(plan.steps[3].statements[0], "ALTER TABLE shop.\"ORDER\" RENAME TO shop.order__ripple_old;");
}

#[test]
fn odd_names_and_dialects_give_a_plan_or_an_error_never_a_panic() {
    let names = ["orders", "a.b.c.d", "ds.Order Lines", "ds.`x", "ds.\"q\"", "ds.ünï", "ds._x"];
    let columns = ["id", "Unit Price", "select", "a\"b", "ü", "_c"];
    for dialect in Dialect::ALL {
        for dataset in names {
            for column in columns {
                let spec = ChangeSpec {
                    dataset: dataset.to_string(),
                    dialect: None,
                    changes: vec![crate::Change::RenameColumn { column: column.to_string(), to: format!("{column}_2") }],
                    preserve_output_names: true,
                };
                let schema = schema(dataset, &[("k", Some("INT")), (column, Some("INT"))]);
                let options = StepPlanOptions { dialect: Some(dialect), schema, key: None, batch_rows: Some(u64::MAX) };
                match step_plan(&spec, &options) {
                    Ok(plan) => assert!(STEP_PLAN_DIALECTS.contains(&dialect) && plan.steps.len() == 5),
                    Err(error) => assert!(!error.to_string().is_empty()),
                }
            }
        }
    }
}
