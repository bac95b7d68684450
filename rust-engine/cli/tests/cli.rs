//! The `ripple` command's contract: JSON on stdout, exit codes, messages.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;

fn ripple() -> Command {
    Command::cargo_bin("ripple").unwrap()
}

#[test]
fn version_is_the_engine_version() {
    ripple().arg("--version").assert().success().stdout(format!("ripple {}\n", ripple_engine::VERSION));
}

#[test]
fn tables_prints_json_for_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.sql");
    let b = dir.path().join("b.sql");
    fs::write(&a, "SELECT id FROM `proj.ds.orders`;").unwrap();
    fs::write(&b, "INSERT INTO proj.ds.daily SELECT * FROM proj.ds.orders").unwrap();

    let out = ripple().args(["tables", "--dialect", "bigquery"]).arg(&a).arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["statements"][0]["reads"], serde_json::json!(["proj.ds.orders"]));
    assert_eq!(files[1]["statements"][0]["writes"], serde_json::json!(["proj.ds.daily"]));
    assert_eq!(files[1]["statements"][0]["reads"], serde_json::json!(["proj.ds.orders"]));
}

#[test]
fn syntax_error_is_reported_with_location_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.sql");
    fs::write(&bad, "SELECT a\nFROM t WHERE").unwrap();
    let out = ripple().arg("tables").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.sql:2:13: Expected: an expression, found: EOF"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = &json["files"][0]["error"];
    assert_eq!(error["kind"], "syntax");
    assert_eq!((error["line"].as_u64(), error["column"].as_u64()), (Some(2), Some(13)));
}

#[test]
fn unreadable_file_exits_2_with_nothing_on_stdout() {
    ripple().args(["tables", "does/not/exist.sql"]).assert().code(2).stdout("").stderr(predicate::str::contains("cannot read does/not/exist.sql"));
}

#[test]
fn unknown_dialect_exits_2_and_lists_the_known_ones() {
    ripple().args(["tables", "--dialect", "oracle9", "x.sql"]).assert().code(2).stderr(predicate::str::contains("unknown dialect `oracle9`").and(predicate::str::contains("bigquery")));
}

#[test]
fn missing_files_is_bad_usage() {
    ripple().arg("tables").assert().code(2).stderr(predicate::str::contains("FILES"));
}

fn write(dir: &std::path::Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
fn analyze_walks_a_directory_and_picks_the_language_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "models/orders.sql", "select id from {{ ref('stg') }}");
    write(dir.path(), "jobs/daily.sql", "INSERT INTO ds.daily SELECT amount FROM ds.orders;");
    write(dir.path(), "etl/export.py", "q = \"SELECT amount FROM ds.orders\"");
    write(dir.path(), "src/Job.java", "String q = \"SELECT id FROM ds.orders\";");
    write(dir.path(), "src/Job.scala", "spark.sql(\"SELECT id FROM ds.orders\")");
    write(dir.path(), "README.md", "SELECT * FROM not_analysed");
    write(dir.path(), "node_modules/x/y.sql", "SELECT * FROM not_analysed");

    let out = ripple().current_dir(dir.path()).args(["analyze", "--dialect", "bigquery", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<(String, String)> = json["files"].as_array().unwrap().iter().map(|f| (f["path"].as_str().unwrap().to_string(), f["language"].as_str().unwrap().to_string())).collect();
    assert_eq!(
        files,
        [("./etl/export.py", "python"), ("./jobs/daily.sql", "sql"), ("./models/orders.sql", "dbt"), ("./src/Job.java", "java"), ("./src/Job.scala", "scala")]
            .map(|(p, l)| (p.to_string(), l.to_string()))
    );
    assert_eq!(json["summary"], serde_json::json!({"files": 5, "statements": 5, "files_with_errors": 0}));
    let daily = &json["files"][1]["statements"][0];
    assert_eq!(daily["reads"], serde_json::json!([{"table": "ds.orders", "columns": ["amount"]}]));
    assert_eq!(daily["writes"], serde_json::json!([{"table": "ds.daily"}]));
    assert_eq!(daily["references"][1]["start"], serde_json::json!({"line": 1, "column": 29}));
}

#[test]
fn analyze_exits_0_and_reports_diagnostics_for_sql_that_does_not_parse() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.sql", "SELECT amount FROM ds.orders WHERE;\nSELECT id FROM ds.t");
    let out = ripple().current_dir(dir.path()).args(["analyze", "bad.sql"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = &json["files"][0];
    assert_eq!(file["diagnostics"][0]["severity"], "error");
    assert_eq!((file["diagnostics"][0]["line"].as_u64(), file["diagnostics"][0]["column"].as_u64()), (Some(1), Some(35)));
    assert_eq!(file["statements"][0]["parsed"], false);
    assert_eq!(file["statements"][0]["reads"][0]["table"], "ds.orders");
    assert_eq!(file["statements"][1]["parsed"], true);
    assert_eq!(json["summary"]["files_with_errors"], 1);
}

/// Three files for the output formats: one with a newline inside a string
/// (which compact JSON must escape), one that does not parse.
fn formats_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.sql", "SELECT amount,\n  'two\nlines' AS s\nFROM ds.orders;");
    write(dir.path(), "b.sql", "SELECT id FROM ds.t WHERE;");
    write(dir.path(), "c.py", "q = \"SELECT id FROM ds.orders\"");
    dir
}

#[test]
fn analyze_prints_compact_json_to_a_program_and_indented_json_with_pretty() {
    let dir = formats_dir();
    // Run with stdout piped, as a program reading the output runs it.
    let compact = ripple().current_dir(dir.path()).args(["analyze", "."]).output().unwrap();
    assert_eq!(compact.status.code(), Some(0), "{}", String::from_utf8_lossy(&compact.stderr));
    let text = String::from_utf8(compact.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "compact JSON is one line:\n{text}");
    assert!(text.starts_with("{\"files\":[{\"path\":") && text.ends_with("}\n"), "{text}");
    let pretty = ripple().current_dir(dir.path()).args(["analyze", "--pretty", "."]).output().unwrap();
    assert_eq!(pretty.status.code(), Some(0));
    let indented = String::from_utf8(pretty.stdout).unwrap();
    assert!(indented.starts_with("{\n  \"files\": [\n") && indented.len() > text.len(), "{indented}");
    // The same value either way, summary included.
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json, serde_json::from_str::<serde_json::Value>(&indented).unwrap());
    assert_eq!(json["summary"], serde_json::json!({"files": 3, "statements": 3, "files_with_errors": 1}));
    assert_eq!(json["files"][0]["path"], "./a.sql");
}

#[test]
fn analyze_ndjson_prints_each_file_on_one_line() {
    let dir = formats_dir();
    let json = ripple().current_dir(dir.path()).args(["analyze", "--format", "json", "."]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let out = ripple().current_dir(dir.path()).args(["analyze", "--format", "ndjson", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with('\n'), "{text}");
    let lines: Vec<serde_json::Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    // One line per file, each that file's analysis as `json` lists it, in the same order.
    assert_eq!(serde_json::Value::Array(lines), json["files"]);
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn analyze_refuses_pretty_ndjson() {
    let dir = formats_dir();
    ripple().current_dir(dir.path()).args(["analyze", "--format", "ndjson", "--pretty", "."]).assert().code(2).stdout("").stderr(predicate::str::contains("--pretty cannot indent ndjson"));
    ripple().current_dir(dir.path()).args(["analyze", "--format", "yaml", "."]).assert().code(2).stdout("").stderr(predicate::str::contains("possible values: json, ndjson"));
}

#[test]
fn analyze_with_a_schema_expands_select_star() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "q.sql", "SELECT * FROM proj.ds.orders");
    write(dir.path(), "schema.json", r#"{"tables": {"proj.ds.orders": {"columns": [{"name": "id", "type": "INT64"}, {"name": "amount"}]}}}"#);
    let out = ripple().current_dir(dir.path()).args(["analyze", "--schema", "schema.json", "q.sql"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["files"][0]["statements"][0]["reads"], serde_json::json!([{"table": "proj.ds.orders", "columns": ["id", "amount"]}]));
}

#[test]
fn analyze_rejects_a_malformed_schema_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "q.sql", "SELECT 1");
    write(dir.path(), "schema.json", r#"{"tables": {"t": {"colums": []}}}"#);
    ripple()
        .current_dir(dir.path())
        .args(["analyze", "--schema", "schema.json", "q.sql"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("ripple: schema.json: invalid schema: tables.t.colums: unknown field `colums`, expected `columns`\n");
}

#[test]
fn analyze_exits_2_on_an_unreadable_path() {
    ripple().args(["analyze", "no/such/dir"]).assert().code(2).stdout("").stderr(predicate::str::contains("cannot read no/such/dir"));
}

const CHANGE: &str = r#"{"dataset": "proj.ds.orders", "dialect": "bigquery", "changes": [{"kind": "rename_column", "column": "amount", "to": "amount_usd"}]}"#;

#[test]
fn rewrite_prints_a_patch_git_applies_and_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", CHANGE);
    write(dir.path(), "jobs/revenue.sql", "SELECT amount\nFROM `proj.ds.orders`;\n");
    write(dir.path(), "jobs/other.sql", "SELECT amount FROM other.t;\n");
    let out = ripple().current_dir(dir.path()).args(["rewrite", "--change", "change.json", "--report", "report.json", "jobs"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let patch = String::from_utf8(out.stdout).unwrap();
    assert_eq!(patch, "--- a/jobs/revenue.sql\n+++ b/jobs/revenue.sql\n@@ -1,2 +1,2 @@\n-SELECT amount\n+SELECT amount_usd AS amount\n FROM `proj.ds.orders`;\n");
    let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report,
        serde_json::json!({
            "files": [
                {"path": "jobs/other.sql", "status": "unaffected", "findings": [], "reasons": [], "edits": 0},
                {"path": "jobs/revenue.sql", "status": "rewritten", "findings": [], "reasons": [], "edits": 2}
            ],
            "summary": {"files": 2, "rewritten": 1, "unaffected": 1, "needs_edit": 0, "needs_review": 0, "error": 0, "edits": 2},
            "warnings": []
        })
    );
    // The patch applies to the untouched files with git.
    fs::write(dir.path().join("change.patch"), &patch).unwrap();
    let git = std::process::Command::new("git").args(["apply", "--check", "change.patch"]).current_dir(dir.path()).output().unwrap();
    assert!(git.status.success(), "{}", String::from_utf8_lossy(&git.stderr));
}

#[test]
fn the_report_gives_each_finding_as_data_and_as_a_line_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", r#"{"dataset": "proj.ds.orders", "changes": [{"kind": "drop_column", "column": "legacy"}]}"#);
    write(dir.path(), "q.sql", "SELECT id,\n  legacy\nFROM proj.ds.orders");
    ripple().current_dir(dir.path()).args(["rewrite", "-c", "change.json", "--report", "report.json", "q.sql"]).assert().success().stdout("");
    let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(
        report["files"][0],
        serde_json::json!({
            "path": "q.sql",
            "status": "needs_edit",
            "findings": [{
                "kind": "dropped_column_used",
                "severity": "needs_edit",
                "start": {"line": 2, "column": 3},
                "end": {"line": 2, "column": 9},
                "message": "reads `legacy`, which the change drops"
            }],
            "reasons": ["line 2, column 3: reads `legacy`, which the change drops"],
            "edits": 0
        })
    );
}

#[test]
fn rewrite_write_applies_in_place() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", CHANGE);
    write(dir.path(), "q.sql", "SELECT o.amount FROM `proj.ds.orders` o WHERE o.amount > 0");
    ripple().current_dir(dir.path()).args(["rewrite", "-c", "change.json", "--write", "q.sql"]).assert().success();
    assert_eq!(fs::read_to_string(dir.path().join("q.sql")).unwrap(), "SELECT o.amount_usd AS amount FROM `proj.ds.orders` o WHERE o.amount_usd > 0");
}

#[test]
fn rewrite_rejects_a_bad_change_spec_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", r#"{"dataset": "t", "changes": [{"kind": "rename_column", "column": "a", "to": 3}]}"#);
    write(dir.path(), "q.sql", "SELECT a FROM t");
    ripple()
        .current_dir(dir.path())
        .args(["rewrite", "--change", "change.json", "q.sql"])
        .assert()
        .code(2)
        .stdout("")
        .stderr("ripple: change.json: invalid change spec: changes[0]: invalid type: integer `3`, expected a string\n");
}

const MOVE_CHANGE: &str = r#"{"dataset": "proj.ds.orders", "dialect": "bigquery", "changes": [
  {"kind": "rename_column", "column": "amount", "to": "amount_usd"},
  {"kind": "rename_table", "to": "proj.sales.orders_v2"}]}"#;

/// `ripple compat-view ARGS` in `dir`, which must exit 2 with nothing on stdout.
fn compat_view_refused(dir: &std::path::Path, args: &[&str]) -> assert_cmd::assert::Assert {
    ripple().current_dir(dir).arg("compat-view").args(args).assert().code(2).stdout("")
}

#[test]
fn compat_view_prints_the_ddl_in_the_change_specs_dialect() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", MOVE_CHANGE);
    ripple()
        .current_dir(dir.path())
        .args(["compat-view", "--change", "change.json"])
        .assert()
        .success()
        .stdout("CREATE OR REPLACE VIEW proj.ds.orders AS\nSELECT\n  * EXCEPT (amount_usd),\n  amount_usd AS amount\nFROM proj.sales.orders_v2;\n");
    ripple().current_dir(dir.path()).args(["compat-view", "--change", "change.json", "--cleanup"]).assert().success().stdout("DROP VIEW IF EXISTS proj.ds.orders;\n");
}

#[test]
fn compat_view_with_a_schema_lists_the_old_columns_in_the_dialect_given() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", MOVE_CHANGE);
    write(dir.path(), "schema.json", r#"{"tables": {"proj.ds.orders": {"columns": [{"name": "id"}, {"name": "amount"}, {"name": "user"}]}}}"#);
    ripple()
        .current_dir(dir.path())
        .args(["compat-view", "--change", "change.json", "--dialect", "postgres", "--schema", "schema.json"])
        .assert()
        .success()
        .stdout("CREATE OR REPLACE VIEW proj.ds.orders AS\nSELECT\n  id,\n  amount_usd AS amount,\n  \"user\"\nFROM proj.sales.orders_v2;\n");
}

#[test]
fn compat_view_dialect_defaults_to_generic_which_needs_a_schema_for_a_rename() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", &MOVE_CHANGE.replace(r#""dialect": "bigquery", "#, ""));
    compat_view_refused(dir.path(), &["--change", "change.json"]).stderr(
        "ripple: cannot build a compatibility view: generic SQL cannot select * without some columns (amount_usd), \
             so the view must list the old columns: give a schema of proj.ds.orders\n",
    );
}

#[test]
fn compat_view_rejects_a_bad_change_spec_naming_the_field_or_the_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", r#"{"dataset": "t", "changes": [{"kind": "drop_column", "colum": "a"}]}"#);
    write(dir.path(), "broken.json", "{\"dataset\": \"t\",\n \"changes\": [,]}");
    compat_view_refused(dir.path(), &["--change", "change.json"]).stderr(predicate::str::starts_with("ripple: change.json: invalid change spec: changes[0]: unknown field `colum`, expected `column`"));
    compat_view_refused(dir.path(), &["--change", "broken.json"]).stderr("ripple: broken.json: invalid change spec: expected value at line 2, column 14\n");
}

#[test]
fn compat_view_refuses_an_in_place_change_and_a_bad_schema() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", r#"{"dataset": "ds.t", "changes": [{"kind": "drop_column", "column": "a"}]}"#);
    write(dir.path(), "moved.json", r#"{"dataset": "ds.t", "changes": [{"kind": "rename_table", "to": "ds.u"}]}"#);
    write(dir.path(), "schema.json", r#"{"tables": {"ds.t": {"columns": [{"name": "a", "typ": "INT"}]}}}"#);
    compat_view_refused(dir.path(), &["--change", "change.json"]).stderr(predicate::str::contains("the change keeps ds.t in place").and(predicate::str::contains("rename_table or replace_table")));
    compat_view_refused(dir.path(), &["--change", "moved.json", "--schema", "schema.json"])
        .stderr(predicate::str::starts_with("ripple: schema.json: invalid schema: tables.ds.t.columns[0].typ: unknown field `typ`"));
    compat_view_refused(dir.path(), &["--change", "missing.json"]).stderr(predicate::str::contains("cannot read missing.json"));
}

#[test]
fn help_documents_every_command() {
    let out = ripple().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for command in ["analyze", "rewrite", "compat-view", "check-change", "tables"] {
        assert!(help.contains(&format!("\n  {command} ")), "{command} missing from:\n{help}");
        let out = ripple().args([command, "--help"]).output().unwrap();
        assert!(out.status.success(), "{command} --help failed");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Exit"), "{command} --help does not give its exit status:\n{help}");
    }
    // `analyze` says what it prints where: compact JSON to a program, ndjson on request.
    let out = ripple().args(["analyze", "--help"]).output().unwrap();
    let analyze = String::from_utf8(out.stdout).unwrap();
    assert!(analyze.contains("compact") && analyze.contains("ndjson") && analyze.contains("terminal"), "analyze --help does not say how it prints:\n{analyze}");
    assert!(help.contains("Exit status"), "{help}");
    assert!(help.contains("bigquery"), "{help}");
}

/// A `replace_table` mapping that smuggles statements into the view's DDL.
const INJECTED: &str = r#"{"dataset": "proj.ds.orders", "dialect": "postgres", "changes": [
  {"kind": "replace_table", "to": "proj.core.orders", "columns": {"amount": "1 FROM t; DROP TABLE x; SELECT 1"}}]}"#;
const INJECTED_MESSAGE: &str = "changes[0].columns.amount: must be a column, a field path or one SQL expression of postgres";

#[test]
fn every_command_refuses_a_mapping_that_is_not_one_expression() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", INJECTED);
    write(dir.path(), "q.sql", "SELECT amount FROM proj.ds.orders");
    compat_view_refused(dir.path(), &["--change", "change.json"]).stderr(predicate::str::contains(INJECTED_MESSAGE));
    ripple().current_dir(dir.path()).args(["rewrite", "--change", "change.json", "q.sql"]).assert().code(2).stdout("").stderr(predicate::str::contains(INJECTED_MESSAGE));
    let out = ripple().current_dir(dir.path()).args(["check-change", "--change", "change.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["problems"][0]["field"], "changes[0].columns.amount");
    assert!(json["problems"][0]["message"].as_str().unwrap().contains("`FROM` at line 1, column 3"), "{json}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("change.json: {INJECTED_MESSAGE}")));
}

#[test]
fn check_change_checks_in_the_dialect_given() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", r#"{"dataset": "t", "changes": [{"kind": "replace_table", "to": "u", "columns": {"a": "`unit price` * 2"}}]}"#);
    let check = |dialect: &str| ripple().current_dir(dir.path()).args(["check-change", "--change", "change.json", "--dialect", dialect]).assert();
    check("mysql").code(0).stdout("{\n  \"problems\": []\n}\n").stderr("");
    check("postgres").code(1).stderr(predicate::str::contains("changes[0].columns.a: "));
}

#[test]
fn schema_is_the_one_the_api_spec_holds() {
    // scripts/generate-openapi.sh puts `ripple schema` into the backend's
    // OpenAPI spec and keeps it as engineSchemas.json: a change to the Rust
    // types that is not regenerated fails here.
    let out = ripple().arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kept = concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugins/ripple-backend/src/schema/engineSchemas.json");
    let kept: serde_json::Value = serde_json::from_str(&fs::read_to_string(kept).unwrap()).unwrap();
    assert_eq!(printed, kept, "run ./scripts/generate-openapi.sh");
    // The spec's kinds, each one closed to unknown fields as the engine is.
    let kinds: Vec<&str> = printed["Change"]["oneOf"].as_array().unwrap().iter().map(|c| c["properties"]["kind"]["enum"][0].as_str().unwrap()).collect();
    assert_eq!(kinds, ["rename_column", "drop_column", "change_type", "rename_table", "replace_table"]);
    assert_eq!(printed["ChangeSpec"]["additionalProperties"], false);
    // A finding's kind and severity, each one enum of snake_case names.
    let names = |schema: &serde_json::Value| schema["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(names(&printed["FindingSeverity"]), ["note", "needs_edit", "error"]);
    let kinds = names(&printed["FindingKind"]);
    assert!(kinds.contains(&"dropped_column_used".to_string()) && kinds.contains(&"overlapping_edits".to_string()), "{kinds:?}");
    assert!(kinds.iter().all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_')), "{kinds:?}");
}

#[test]
fn rewrite_takes_dbt_property_files_with_the_models() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", r#"{"dataset": "analytics.stg_orders", "changes": [{"kind": "rename_column", "column": "order_id", "to": "order_key"}]}"#);
    write(dir.path(), "dbt_project.yml", "name: shop\nmodels:\n  shop:\n    +materialized: view\n");
    write(dir.path(), "models/orders.sql", "select order_id, status\nfrom {{ ref('stg_orders') }}\n");
    write(dir.path(), "models/staging/_stg.yml", "models:\n  - name: stg_orders\n    columns:\n      - name: order_id\n        data_tests: [unique]\n");
    write(
        dir.path(),
        "models/_orders.yaml",
        "models:\n  - name: orders\n    columns:\n      - name: order_id  # kept: the mart keeps its column's name\n        data_tests:\n          - relationships: {to: ref('stg_orders'), field: order_id}\n",
    );
    write(dir.path(), "models/broken.yml", "models: [\n");
    write(dir.path(), ".github/workflows/ci.yml", "on: [push]\n");
    let out = ripple().current_dir(dir.path()).args(["rewrite", "--change", "change.json", "--report", "report.json", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let patch = String::from_utf8(out.stdout).unwrap();
    assert!(patch.contains("+          - relationships: {to: ref('stg_orders'), field: order_key}\n"), "{patch}");
    assert!(patch.contains("+select order_key AS order_id, status\n"), "{patch}");
    let report: serde_json::Value = serde_json::from_str(&fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    let statuses: Vec<(String, String)> = report["files"].as_array().unwrap().iter().map(|f| (f["path"].as_str().unwrap().to_string(), f["status"].as_str().unwrap().to_string())).collect();
    assert_eq!(
        statuses,
        [
            ("./dbt_project.yml", "unaffected"),
            ("./models/_orders.yaml", "rewritten"),
            ("./models/broken.yml", "error"),
            ("./models/orders.sql", "rewritten"),
            ("./models/staging/_stg.yml", "unaffected"),
        ]
        .map(|(p, s)| (p.to_string(), s.to_string()))
    );
    assert_eq!(report["files"][2]["reasons"][0], "line 2, column 1: invalid YAML: while parsing a node, did not find expected node content");
    assert!(report["files"][4]["reasons"][0].as_str().unwrap().contains("producer's change"));
    fs::write(dir.path().join("change.patch"), &patch).unwrap();
    let git = std::process::Command::new("git").args(["apply", "change.patch"]).current_dir(dir.path()).output().unwrap();
    assert!(git.status.success(), "{}", String::from_utf8_lossy(&git.stderr));
    assert!(fs::read_to_string(dir.path().join("models/_orders.yaml")).unwrap().contains("field: order_key}"));
}

#[test]
fn forward_view_prints_the_new_shape_over_the_old_table() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "change.json", MOVE_CHANGE);
    ripple()
        .current_dir(dir.path())
        .args(["forward-view", "--change", "change.json", "--view", "proj.ripple_scratch.orders_v2"])
        .assert()
        .success()
        .stdout("CREATE OR REPLACE VIEW proj.ripple_scratch.orders_v2 AS\nSELECT\n  * EXCEPT (amount),\n  amount AS amount_usd\nFROM proj.ds.orders;\n");
    ripple()
        .current_dir(dir.path())
        .args(["forward-view", "--change", "change.json", "--view", "proj.ripple_scratch.orders_v2", "--cleanup"])
        .assert()
        .success()
        .stdout("DROP VIEW IF EXISTS proj.ripple_scratch.orders_v2;\n");
    // Never under the dataset's or the new table's name.
    ripple().current_dir(dir.path()).args(["forward-view", "--change", "change.json", "--view", "sales.orders_v2"]).assert().code(2).stdout("").stderr(
        "ripple: cannot build a forward view: the view `sales.orders_v2` would take the name of proj.sales.orders_v2; \
             give it a name in a scratch schema of its own\n",
    );
}
