//! The `ripple` command's contract: JSON on stdout, exit codes, messages.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;

fn ripple() -> Command {
    Command::cargo_bin("ripple").unwrap()
}

#[test]
fn version_is_the_engine_version() {
    ripple()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("ripple {}\n", ripple_engine::VERSION));
}

#[test]
fn tables_prints_json_for_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.sql");
    let b = dir.path().join("b.sql");
    fs::write(&a, "SELECT id FROM `proj.ds.orders`;").unwrap();
    fs::write(&b, "INSERT INTO proj.ds.daily SELECT * FROM proj.ds.orders").unwrap();

    let out = ripple()
        .args(["tables", "--dialect", "bigquery"])
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
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
    ripple()
        .args(["tables", "does/not/exist.sql"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("cannot read does/not/exist.sql"));
}

#[test]
fn unknown_dialect_exits_2_and_lists_the_known_ones() {
    ripple()
        .args(["tables", "--dialect", "oracle9", "x.sql"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown dialect `oracle9`").and(predicate::str::contains("bigquery")));
}

#[test]
fn missing_files_is_bad_usage() {
    ripple().arg("tables").assert().code(2).stderr(predicate::str::contains("FILES"));
}
