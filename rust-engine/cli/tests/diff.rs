//! `ripple diff` and `ripple impact`: JSON on stdout, exit codes, messages.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;

fn ripple() -> Command {
    Command::cargo_bin("ripple").unwrap()
}

/// The engine's fixtures: pairs of real schema files.
fn fixture(path: &str) -> String {
    format!("{}/../engine/tests/diff/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn diff_prints_the_change_suggestions_and_undecided() {
    let out = ripple().arg("diff").arg(fixture("shop/old/shop.sql")).arg(fixture("shop/new/shop.sql")).args(["--dialect", "duckdb"]).output().unwrap();
    let diff = json(&out);
    assert_eq!(diff["dataset"], "shop.orders");
    assert_eq!(
        diff["change"],
        serde_json::json!({"dataset": "shop.orders", "dialect": "duckdb", "changes": [
            {"kind": "change_type", "column": "amount", "to": "DECIMAL(12,2)"},
            {"kind": "drop_column", "column": "customer_id"}]})
    );
    assert_eq!(diff["suggestions"][0]["change"], serde_json::json!({"kind": "rename_column", "column": "customer_id", "to": "customer"}));
    assert_eq!(diff["suggestions"][0]["line"], 8);
    assert_eq!(diff["undecided"], serde_json::json!([]));
}

#[test]
fn diff_takes_a_declared_rename_from_a_dbt_property_file_and_the_table_option() {
    let out = ripple().arg("diff").arg(fixture("jaffle/old/schema.yml")).arg(fixture("jaffle/new/schema.yml")).args(["--table", "stg_orders"]).output().unwrap();
    let diff = json(&out);
    assert_eq!(diff["change"]["changes"], serde_json::json!([{"kind": "rename_column", "column": "status", "to": "order_status"}]));
    // Its output is what `ripple rewrite` and `check-change` take.
    let dir = tempfile::tempdir().unwrap();
    let change = dir.path().join("change.json");
    fs::write(&change, diff["change"].to_string()).unwrap();
    ripple().arg("check-change").arg("--change").arg(&change).assert().success();
}

#[test]
fn diff_exits_2_on_bad_input_naming_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("schema.yml");
    fs::write(&bad, "models:\n  - name: x\n    columns: [\n").unwrap();
    let good = fixture("jaffle/old/schema.yml");
    ripple().arg("diff").arg(&good).arg(&bad).assert().code(2).stdout("").stderr(predicate::str::contains("schema.yml:4:1: invalid YAML"));
    let unknown = dir.path().join("notes.yaml");
    fs::write(&unknown, "title: not a schema\nitems: [1]\n").unwrap();
    ripple().arg("diff").arg(&unknown).arg(&good).assert().code(2).stdout("").stderr(predicate::str::contains("notes.yaml:1:1: unknown schema format"));
    ripple().arg("diff").arg(&good).arg(dir.path().join("missing.yml")).assert().code(2).stderr(predicate::str::contains("cannot read"));
    ripple().arg("diff").arg(&good).arg(&good).args(["--format", "xml"]).assert().code(2).stderr(predicate::str::contains("unknown schema format `xml`"));
}

#[test]
fn impact_gives_each_consumer_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write("change.json", r#"{"dataset": "proj.ds.orders", "dialect": "bigquery", "changes": [{"kind": "drop_column", "column": "legacy_flag"}]}"#);
    write("billing/q.sql", "SELECT id\nFROM proj.ds.orders\nWHERE legacy_flag");
    write("mirror/m.sql", "CREATE VIEW m AS SELECT * FROM proj.ds.orders");
    write("status/s.sql", "SELECT status FROM proj.ds.orders");
    let out = ripple().current_dir(dir.path()).args(["impact", "--change", "change.json", "billing", "mirror", "status"]).output().unwrap();
    let report = json(&out);
    let verdicts: Vec<(&str, &str)> = report["consumers"].as_array().unwrap().iter().map(|c| (c["consumer"].as_str().unwrap(), c["verdict"].as_str().unwrap())).collect();
    assert_eq!(verdicts, [("billing", "breaking"), ("mirror", "partially_breaking"), ("status", "unaffected")]);
    let reason = &report["consumers"][0]["reasons"][0];
    assert_eq!((reason["kind"].as_str(), reason["path"].as_str(), reason["start"]["line"].as_u64()), (Some("dropped_column"), Some("billing/q.sql"), Some(3)));
    assert_eq!(report["summary"], serde_json::json!({"consumers": 3, "breaking": 1, "partially_breaking": 1, "unaffected": 1}));
    ripple().current_dir(dir.path()).args(["impact", "--change", "missing.json", "billing"]).assert().code(2).stdout("");
}
