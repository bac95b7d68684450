//! `ripple plan`: the step plan as a script or as JSON, and its refusals.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;

fn ripple() -> Command {
    Command::cargo_bin("ripple").unwrap()
}

const RENAME: &str = r#"{"dataset": "shop.orders", "dialect": "duckdb", "changes": [{"kind": "rename_column", "column": "amount", "to": "amount_usd"}]}"#;
const SCHEMA: &str = r#"{"tables": {"shop.orders": {"columns": [{"name": "id", "type": "INTEGER"}, {"name": "amount", "type": "DECIMAL(10, 2)"}]}}}"#;

fn dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("change.json"), RENAME).unwrap();
    fs::write(dir.path().join("schema.json"), SCHEMA).unwrap();
    dir
}

#[test]
fn plan_prints_each_step_with_its_rollback_commented_out() {
    let dir = dir();
    let out = ripple().current_dir(dir.path()).args(["plan", "--change", "change.json", "--schema", "schema.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn plan_as_json_lists_the_five_steps_in_order_with_the_batches() {
    let dir = dir();
    let out = ripple()
        .current_dir(dir.path())
        .args(["plan", "--change", "change.json", "--schema", "schema.json", "--dialect", "postgres", "--format", "json", "--key", "amount", "--batch-rows", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = json["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["expand", "backfill", "verify", "switch", "contract"]);
    assert_eq!((json["dialect"].as_str(), json["layout"].as_str(), json["key"].as_str(), json["batch_rows"].as_u64()), (Some("postgres"), Some("versioned"), Some("amount"), Some(3)));
    assert_eq!(json["steps"][0]["statements"][0], "CREATE TABLE shop.orders__ripple_v2 (\n  id INTEGER,\n  amount_usd DECIMAL(10,2)\n);");
    assert_eq!(json["steps"][0]["rollback"][0], "DROP TABLE IF EXISTS shop.orders__ripple_v2;");
    assert_eq!(json["steps"][1]["batch"]["next"], "SELECT max(amount) FROM (SELECT amount FROM shop.orders WHERE amount > $1 ORDER BY amount LIMIT 3) AS next_keys;");
    assert_eq!(json["steps"][4]["approval"][0], "DROP TABLE IF EXISTS shop.orders__ripple_old;");
}

#[test]
fn plan_refuses_a_dialect_that_is_no_warehouses() {
    let dir = dir();
    ripple()
        .current_dir(dir.path())
        .args(["plan", "--change", "change.json", "--schema", "schema.json", "--dialect", "mysql"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("ripple: cannot build a step plan: dialect: a step plan is written for duckdb, postgres, bigquery or snowflake, not mysql\n");
}

#[test]
fn plan_refuses_a_key_that_is_no_column_and_needs_a_schema() {
    let dir = dir();
    ripple()
        .current_dir(dir.path())
        .args(["plan", "--change", "change.json", "--schema", "schema.json", "--key", "order_id"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with("ripple: cannot build a step plan: key: order_id is not a column of shop.orders"));
    ripple().current_dir(dir.path()).args(["plan", "--change", "change.json"]).assert().code(2).stdout("").stderr(predicate::str::contains("--schema"));
    fs::write(dir.path().join("untyped.json"), r#"{"tables": {"shop.orders": {"columns": [{"name": "id"}, {"name": "amount"}]}}}"#).unwrap();
    ripple()
        .current_dir(dir.path())
        .args(["plan", "--change", "change.json", "--schema", "untyped.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("ripple: cannot build a step plan: tables.shop.orders.columns[0].type: the schema gives no type for column id"));
}
