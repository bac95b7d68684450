//! dbt projects on the command line: `ripple project`, `--project` on
//! `analyze` and `rewrite`, and the warning for a dataset no file names.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

fn ripple() -> Command {
    Command::cargo_bin("ripple").unwrap()
}

/// A small project: a seed, a staging model over it, and a mart that reads
/// the staging model with the import-CTE pattern (`select *`).
fn project(dir: &Path) {
    let files = [
        ("dbt_project.yml", "name: shop\nprofile: shop\n"),
        ("seeds/raw_orders.csv", "id,customer,amount\n1,7,100\n"),
        ("models/staging/stg_orders.sql", "select id as order_id, customer as customer_id, amount from {{ ref('raw_orders') }}\n"),
        ("models/marts/orders.sql", "with orders as (\n    select * from {{ ref('stg_orders') }}\n)\nselect order_id, amount from orders\n"),
        ("models/schema.yml", "version: 2\nsources:\n  - name: ecom\n    tables:\n      - name: raw_customers\n"),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn project_prints_the_schema_and_where_each_table_came_from() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let out = json(&ripple().args(["project", "--dialect", "duckdb"]).arg(dir.path()).output().unwrap());
    assert_eq!(out["schema"]["tables"]["stg_orders"]["columns"], serde_json::json!([{"name": "order_id"}, {"name": "customer_id"}, {"name": "amount"}]));
    let origins: Vec<(String, String)> = out["origins"].as_array().unwrap().iter().map(|o| (o["table"].as_str().unwrap().into(), o["origin"].as_str().unwrap().into())).collect();
    assert!(origins.contains(&("raw_orders".into(), "seed".into())), "{origins:?}");
    assert!(origins.contains(&("orders".into(), "sql".into())), "{origins:?}");

    let empty = tempfile::tempdir().unwrap();
    let out = ripple().arg("project").arg(empty.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no dbt_project.yml"));
}

#[test]
fn rewrite_with_the_project_needs_no_schema_for_the_import_cte() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let change = dir.path().join("change.json");
    fs::write(&change, r#"{"dataset": "stg_orders", "changes": [{"kind": "rename_column", "column": "amount", "to": "amount_cents"}]}"#).unwrap();
    let report = dir.path().join("report.json");
    let rewrite = |project: bool| {
        let mut command = ripple();
        command.args(["rewrite", "--dialect", "duckdb", "--change"]).arg(&change).arg("--report").arg(&report);
        if project {
            command.arg("--project").arg(dir.path());
        }
        let out = command.arg(dir.path().join("models/marts")).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
        (String::from_utf8(out.stdout).unwrap(), report)
    };
    // Without the project, `select *` of an unknown model is left for a person.
    let (_, report) = rewrite(false);
    assert_eq!(report["files"][0]["status"], "needs_edit");
    let (patch, report) = rewrite(true);
    assert_eq!(report["files"][0]["status"], "rewritten", "{report}");
    assert!(patch.contains("+    select order_id, customer_id, amount_cents AS amount from {{ ref('stg_orders') }}"), "{patch}");
    assert_eq!(report["warnings"], serde_json::json!([]));
}

#[test]
fn a_dataset_no_file_names_is_a_warning_with_the_closest_names() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let change = dir.path().join("change.json");
    fs::write(&change, r#"{"dataset": "raw.stg_order", "changes": [{"kind": "rename_column", "column": "amount", "to": "amount_cents"}]}"#).unwrap();
    let report = dir.path().join("report.json");
    let out = ripple().args(["rewrite", "--change"]).arg(&change).arg("--report").arg(&report).arg(dir.path().join("models")).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: no file names `raw.stg_order`") && stderr.contains("ref('stg_orders')"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["warnings"][0]["closest"][0], "ref('stg_orders')");
}

#[test]
fn a_source_named_by_its_relation_is_rewritten_where_models_call_it() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    fs::write(
        dir.path().join("models/schema.yml"),
        "version: 2\nsources:\n  - name: ecom\n    schema: raw\n    tables:\n      - name: raw_customers\n        columns:\n          - name: id\n          - name: email\n",
    )
    .unwrap();
    fs::write(dir.path().join("models/staging/stg_customers.sql"), "select id as customer_id, email from {{ source('ecom', 'raw_customers') }}\n").unwrap();
    let change = dir.path().join("change.json");
    fs::write(&change, r#"{"dataset": "raw.raw_customers", "changes": [{"kind": "rename_column", "column": "email", "to": "email_address"}]}"#).unwrap();
    let report = dir.path().join("report.json");
    // The sources.yml among the files, or the project's, says `raw.raw_customers` is `source('ecom', 'raw_customers')`.
    for with_project in [false, true] {
        let mut command = ripple();
        command.args(["rewrite", "--dialect", "duckdb", "--change"]).arg(&change).arg("--report").arg(&report);
        if with_project {
            command.arg("--project").arg(dir.path()).arg(dir.path().join("models/staging"));
        } else {
            command.arg(dir.path().join("models"));
        }
        let out = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("warning"), "{stderr}");
        let patch = String::from_utf8(out.stdout).unwrap();
        assert!(patch.contains("+select id as customer_id, email_address AS email from {{ source('ecom', 'raw_customers') }}"), "{patch}");
        let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(report["warnings"], serde_json::json!([]));
    }
}

#[test]
fn a_dataset_only_property_files_name_is_no_warning() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    fs::write(dir.path().join("models/exposures.yml"), "version: 2\nexposures:\n  - name: board\n    type: dashboard\n    owner: {email: a@b.c}\n    depends_on:\n      - ref('orders')\n").unwrap();
    let change = dir.path().join("change.json");
    fs::write(&change, r#"{"dataset": "orders", "changes": [{"kind": "rename_table", "to": "fct_orders"}]}"#).unwrap();
    let out = ripple().args(["rewrite", "--change"]).arg(&change).arg(dir.path().join("models/exposures.yml")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("+      - ref('fct_orders')"));
}

#[test]
fn analyze_warns_when_no_file_names_the_dataset_given() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let analyze = |dataset: &str| ripple().args(["analyze", "--dataset", dataset, "--project"]).arg(dir.path()).arg(dir.path().join("models")).output().unwrap();
    let out = analyze("raw.stg_order");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let output = json(&out);
    assert!(stderr.contains("warning: no file names `raw.stg_order`"), "{stderr}");
    assert_eq!(output["warnings"][0]["closest"][0], "ref('stg_orders')");
    assert_eq!(output["summary"]["files"], 2);
    let out = analyze("stg_orders");
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
    assert!(json(&out).get("warnings").is_none());
}
