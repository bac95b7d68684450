//! `ripple check` on real git repositories: a producer's dbt project whose
//! model renames, drops and retypes columns across commits, its downstream
//! models and consumer SQL elsewhere, and the exact consumers that break.

use assert_cmd::Command;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// A producer repository in a temporary folder, committed with a fixed
/// author and date so commits are the same on every run.
struct Producer {
    dir: tempfile::TempDir,
}

impl Producer {
    fn new() -> Producer {
        let producer = Producer { dir: tempfile::tempdir().unwrap() };
        producer.git(&["init", "-q", "-b", "main"]);
        for (path, text) in BASE {
            producer.write(path, text);
        }
        producer.commit("base");
        producer
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, path: &str, text: &str) {
        let file = self.path().join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(file, text).unwrap();
    }

    fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_AUTHOR_NAME", "Producer")
            .env("GIT_AUTHOR_EMAIL", "producer@example.com")
            .env("GIT_COMMITTER_NAME", "Producer")
            .env("GIT_COMMITTER_EMAIL", "producer@example.com")
            .env("GIT_AUTHOR_DATE", "2026-12-01T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-12-01T12:00:00Z")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// `ripple check` in the repository.
    fn check(&self, args: &[&str]) -> std::process::Output {
        Command::cargo_bin("ripple").unwrap().arg("check").args(args).current_dir(self.path()).output().unwrap()
    }
}

const STG_ORDERS: &str = "models/staging/stg_orders.sql";
const STG_SCHEMA: &str = "models/staging/schema.yml";

const BASE: &[(&str, &str)] = &[
    ("dbt_project.yml", "name: shop\nversion: '1.0'\nprofile: shop\nmodel-paths: [\"models\"]\n"),
    (STG_ORDERS, "select\n    id,\n    amount,\n    status,\n    cast(created_at as date) as created_day,\n    customer_id,\n    note\nfrom {{ source('shop', 'raw_orders') }}\n"),
    (
        STG_SCHEMA,
        "version: 2\nsources:\n  - name: shop\n    tables:\n      - name: raw_orders\nmodels:\n  - name: stg_orders\n    columns:\n      - name: id\n      - name: amount\n      - name: status\n",
    ),
    ("models/marts/revenue.sql", "select sum(amount) as revenue\nfrom {{ ref('stg_orders') }}\n"),
    ("models/marts/order_status.sql", "select id, status\nfrom {{ ref('stg_orders') }}\nwhere status <> 'void'\n"),
    ("models/marts/by_day.sql", "select created_day, count(*) as orders\nfrom {{ ref('stg_orders') }}\ngroup by created_day\n"),
    ("models/marts/customers.sql", "select customer_id, count(*) as orders\nfrom {{ ref('stg_orders') }}\ngroup by customer_id\n"),
    ("models/marts/everything.sql", "select *\nfrom {{ ref('stg_orders') }}\n"),
    ("models/marts/unrelated.sql", "select amount from {{ source('shop', 'raw_orders') }}\n"),
];

/// Consumer code outside the repository, as `--paths` reads it.
fn consumers() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("finance_report.sql"), "-- the finance team's report\nselect o.id, o.amount\nfrom analytics.stg_orders o\n").unwrap();
    fs::write(dir.path().join("ops_dashboard.sql"), "select customer_id from analytics.stg_orders\n").unwrap();
    fs::write(dir.path().join("other.sql"), "select amount, status from billing.invoices\n").unwrap();
    dir
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// `(consumer, verdict)` of a dataset's report, as listed.
fn verdicts(dataset: &serde_json::Value) -> Vec<(String, String)> {
    dataset["consumers"].as_array().unwrap().iter().map(|c| (c["consumer"].as_str().unwrap().to_string(), c["verdict"].as_str().unwrap().to_string())).collect()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The model renames `amount` (declared), drops `status` and casts
/// `created_day` to another type.
fn rename_drop_retype(producer: &Producer) -> String {
    producer.write(STG_ORDERS, "select\n    id,\n    amount as total,\n    cast(created_at as timestamp) as created_day,\n    customer_id,\n    note\nfrom {{ source('shop', 'raw_orders') }}\n");
    producer.write(
        STG_SCHEMA,
        "version: 2\nsources:\n  - name: shop\n    tables:\n      - name: raw_orders\nmodels:\n  - name: stg_orders\n    columns:\n      - name: id\n      - name: total\n        meta:\n          renamed_from: amount\n",
    );
    producer.commit("stg_orders: total, no status, created_day a timestamp")
}

#[test]
fn reports_exactly_the_consumers_a_model_change_breaks() {
    let producer = Producer::new();
    let head = rename_drop_retype(&producer);
    let consumers = consumers();
    let paths = consumers.path().to_str().unwrap();
    let out = producer.check(&["--base", "main~1", "--head", &head, "--format", "json", "--dialect", "duckdb", "--paths", paths]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let datasets = report["datasets"].as_array().unwrap();
    assert_eq!(datasets.len(), 1, "{report:#}");
    let orders = &datasets[0];
    assert_eq!(orders["dataset"], "stg_orders");
    assert_eq!(orders["origin"], "dbt_model");
    assert_eq!(orders["status"], "blocking");
    assert_eq!(
        orders["change"]["changes"],
        serde_json::json!([
            {"kind": "rename_column", "column": "amount", "to": "total"},
            {"kind": "change_type", "column": "created_day", "to": "TIMESTAMP"},
            {"kind": "drop_column", "column": "status"},
        ]),
        "{orders:#}"
    );
    assert_eq!(orders["suggestions"], serde_json::json!([]));
    let report_path = format!("{}", PathBuf::from(paths).join("finance_report.sql").display());
    let ops_path = format!("{}", PathBuf::from(paths).join("ops_dashboard.sql").display());
    let mut found = verdicts(orders);
    found.sort();
    let mut expected: Vec<(String, String)> = vec![
        ("models/marts/revenue.sql".into(), "breaking".into()),
        ("models/marts/order_status.sql".into(), "breaking".into()),
        ("models/marts/by_day.sql".into(), "breaking".into()),
        (report_path.clone(), "breaking".into()),
        ("models/marts/everything.sql".into(), "partially_breaking".into()),
        ("models/marts/customers.sql".into(), "unaffected".into()),
        (ops_path, "unaffected".into()),
    ];
    expected.sort();
    assert_eq!(found, expected);
    // Each reason at its line: `amount` on line 2 of the finance report.
    let finance = orders["consumers"].as_array().unwrap().iter().find(|c| c["consumer"] == report_path.as_str()).unwrap();
    assert_eq!(finance["reasons"][0]["kind"], "renamed_column");
    assert_eq!(finance["reasons"][0]["start"]["line"], 2);
}

#[test]
fn the_markdown_report_reads_as_a_pull_request_comment() {
    let producer = Producer::new();
    let head = rename_drop_retype(&producer);
    let out = producer.check(&["--base", "main~1", "--head", "main", "--dialect", "duckdb"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let markdown = String::from_utf8(out.stdout).unwrap().replace(&head[..12], "HEAD_COMMIT");
    let base = producer.git(&["rev-parse", "main~1"]);
    insta::assert_snapshot!(markdown.replace(&base[..12], "BASE_COMMIT"));
}

#[test]
fn an_inferred_rename_is_a_suggestion_and_the_drop_stays() {
    let producer = Producer::new();
    producer.write(
        STG_ORDERS,
        "select\n    id,\n    amount as amount_usd,\n    status,\n    cast(created_at as date) as created_day,\n    customer_id,\n    note\nfrom {{ source('shop', 'raw_orders') }}\n",
    );
    let head = producer.commit("stg_orders: amount_usd");
    let out = producer.check(&["--base", "HEAD~1", "--head", &head, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let orders = &json(&out)["datasets"][0];
    assert_eq!(orders["change"]["changes"], serde_json::json!([{"kind": "drop_column", "column": "amount"}]));
    let suggestion = &orders["suggestions"][0];
    assert_eq!(suggestion["change"], serde_json::json!({"kind": "rename_column", "column": "amount", "to": "amount_usd"}));
    assert_eq!(suggestion["path"], STG_ORDERS);
    assert_eq!(suggestion["line"], 3);
    let breaking: Vec<String> = verdicts(orders).into_iter().filter(|(_, v)| v == "breaking").map(|(c, _)| c).collect();
    assert_eq!(breaking, vec!["models/marts/revenue.sql"]);
}

#[test]
fn a_change_nobody_reads_exits_zero() {
    let producer = Producer::new();
    // `note` is read by no consumer but the one that selects `*`.
    producer.write(STG_ORDERS, "select\n    id,\n    amount,\n    status,\n    cast(created_at as date) as created_day,\n    customer_id\nfrom {{ source('shop', 'raw_orders') }}\n");
    producer.commit("stg_orders: no note");
    let out = producer.check(&["--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let orders = &json(&out)["datasets"][0];
    assert_eq!(orders["status"], "no_breaking_consumers");
    assert_eq!(verdicts(orders).iter().filter(|(_, v)| v != "unaffected").cloned().collect::<Vec<_>>(), vec![("models/marts/everything.sql".to_string(), "partially_breaking".to_string())]);
}

#[test]
fn an_added_column_changes_no_dataset() {
    let producer = Producer::new();
    producer.write(
        STG_ORDERS,
        "select\n    id,\n    amount,\n    status,\n    cast(created_at as date) as created_day,\n    customer_id,\n    note,\n    currency\nfrom {{ source('shop', 'raw_orders') }}\n",
    );
    producer.commit("stg_orders: currency");
    let out = producer.check(&["--base", "HEAD~1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Ripple check: no dataset changes"));
}

#[test]
fn a_changed_ddl_file_is_a_dataset() {
    let producer = Producer::new();
    producer.write("warehouse/orders.sql", "CREATE TABLE raw.orders (\n  id INT,\n  amount DECIMAL(10, 2)\n);\n");
    producer.write("models/marts/raw_amounts.sql", "select amount from raw.orders\n");
    producer.commit("the raw table's DDL");
    producer.write("warehouse/orders.sql", "CREATE TABLE raw.orders (\n  id INT\n);\n");
    producer.commit("drop amount");
    let out = producer.check(&["--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let orders = &report["datasets"][0];
    assert_eq!(orders["dataset"], "raw.orders");
    assert_eq!(orders["origin"], "schema_file");
    assert_eq!(verdicts(orders), vec![("models/marts/raw_amounts.sql".to_string(), "breaking".to_string())]);
}

#[test]
fn a_ref_that_does_not_exist_is_named() {
    let producer = Producer::new();
    let out = producer.check(&["--base", "origin/nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("unknown ref `origin/nope`"), "{}", stderr(&out));
    let out = producer.check(&["--base", "--output=/tmp/x"]);
    assert_eq!(out.status.code(), Some(2));
    let out = producer.check(&["--base=-p", "--head", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad ref `-p`"), "{}", stderr(&out));
}

#[test]
fn malformed_yaml_names_the_commit_file_and_line() {
    let producer = Producer::new();
    producer.write(STG_SCHEMA, "version: 2\nmodels:\n  - name: stg_orders\n    columns: [\n      - name: id\n");
    producer.commit("broken property file");
    let out = producer.check(&["--base", "HEAD~1"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty());
    let message = stderr(&out);
    assert!(message.contains("HEAD") && message.contains("models/staging/schema.yml:"), "{message}");
    assert!(message.contains("invalid YAML"), "{message}");
}

#[test]
fn an_unknown_schema_format_is_refused() {
    let producer = Producer::new();
    producer.write("schemas/orders.schema.json", "{\"tables\": {\"orders\": {\"columns\": [\"id\"]}}}");
    producer.commit("orders schema");
    producer.write("schemas/orders.schema.json", "{\"what\": {\"x\": [1]}}");
    producer.commit("not a schema");
    let out = producer.check(&["--base", "HEAD~1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("schemas/orders.schema.json:1:1: unknown schema format"), "{}", stderr(&out));
}

/// A portal answering once with `status` and `body`, on a local port.
fn portal(status: u16, body: &'static str) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let mut request = vec![0; length];
        reader.read_exact(&mut request).unwrap();
        let mut stream = stream;
        write!(stream, "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).unwrap();
        format!("{head}{}", String::from_utf8(request).unwrap())
    });
    (url, handle)
}

#[test]
fn a_covering_migration_from_the_portal_makes_it_pass() {
    let producer = Producer::new();
    let head = rename_drop_retype(&producer);
    let (url, request) = portal(
        200,
        r#"{"datasetRef": "resource:default/stg-orders", "consumers": [{"consumerRef": "component:default/finance", "owner": "group:default/finance", "verdict": "breaking", "reasons": [{"kind": "renamed_column", "verdict": "breaking", "path": "report.sql", "line": 4, "column": 8, "message": "reads `amount`, which the change renames to `total`"}]}],
           "migrations": [{"id": "m-1", "title": "Rename amount", "state": "awaiting_review", "url": "http://portal/ripple/migrations/m-1"}],
           "newMigrationUrl": "http://portal/ripple/new?dataset=resource%3Adefault%2Fstg-orders"}"#,
    );
    let out = Command::cargo_bin("ripple")
        .unwrap()
        .args(["check", "--base", "main~1", "--head", &head, "--portal", &url, "--token-env", "RIPPLE_TEST_TOKEN"])
        .env("RIPPLE_TEST_TOKEN", "s3cr3t")
        .current_dir(producer.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let request = request.join().unwrap();
    assert!(request.starts_with("POST /api/ripple/impact "), "{request}");
    assert!(request.contains("authorization: Bearer s3cr3t") || request.contains("Authorization: Bearer s3cr3t"), "{request}");
    let body: serde_json::Value = serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["change"]["dataset"], "stg_orders");
    let markdown = String::from_utf8(out.stdout).unwrap();
    assert!(markdown.contains("covered by an open migration"), "{markdown}");
    assert!(markdown.contains("| `component:default/finance` | breaking | `group:default/finance` | `report.sql:4`: reads `amount`"), "{markdown}");
    assert!(markdown.contains("[Rename amount](http://portal/ripple/migrations/m-1) (awaiting_review)"), "{markdown}");
}

#[test]
fn a_portal_error_names_the_url_and_status() {
    let producer = Producer::new();
    let head = rename_drop_retype(&producer);
    let (url, request) = portal(403, r#"{"error": {"name": "NotAllowedError", "message": "You are not allowed"}}"#);
    let out = Command::cargo_bin("ripple")
        .unwrap()
        .args(["check", "--base", "main~1", "--head", &head, "--portal", &url, "--token-env", "RIPPLE_TEST_TOKEN"])
        .env("RIPPLE_TEST_TOKEN", "t")
        .current_dir(producer.path())
        .output()
        .unwrap();
    request.join().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("portal {url}/api/ripple/impact: HTTP 403: You are not allowed")), "{}", stderr(&out));
    // Nothing listens there any more.
    let out = Command::cargo_bin("ripple")
        .unwrap()
        .args(["check", "--base", "main~1", "--head", &head, "--portal", &url, "--token-env", "RIPPLE_TEST_TOKEN"])
        .env("RIPPLE_TEST_TOKEN", "t")
        .current_dir(producer.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("portal {url}/api/ripple/impact")), "{}", stderr(&out));
}

#[test]
fn a_dropped_model_is_undecided_and_sql_that_is_no_ddl_is_no_schema() {
    let producer = Producer::new();
    producer.write("jobs/nightly.sql", "create table tmp.x as select 1 as one;\n");
    producer.write("macros/cents.sql", "{% macro cents(c) %} create table {{ c }} (id int) {% endmacro %}\n");
    producer.commit("a job and a macro");
    fs::remove_file(producer.path().join(STG_ORDERS)).unwrap();
    // A job's SQL that writes a table, and a dbt macro, changed: neither is
    // a dataset's schema.
    producer.write("jobs/nightly.sql", "create table tmp.x as select 2 as two;\n");
    producer.write("macros/cents.sql", "{% macro cents(c) %} create table {{ c }} (id bigint) {% endmacro %}\n");
    producer.commit("no stg_orders");
    let out = producer.check(&["--base", "HEAD~1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let datasets = report["datasets"].as_array().unwrap();
    assert_eq!(datasets.len(), 1, "{report:#}");
    assert_eq!(datasets[0]["dataset"], "stg_orders");
    assert_eq!(datasets[0]["status"], "undecided");
    assert!(datasets[0]["undecided"][0]["reason"].as_str().unwrap().contains("dropped or moved"), "{report:#}");
}

#[test]
fn a_dataset_the_portal_does_not_know_keeps_its_local_consumers() {
    let producer = Producer::new();
    let head = rename_drop_retype(&producer);
    let (url, request) = portal(200, r#"{"consumers": [], "migrations": []}"#);
    let out = Command::cargo_bin("ripple")
        .unwrap()
        .args(["check", "--base", "main~1", "--head", &head, "--portal", &url, "--token-env", "RIPPLE_TEST_TOKEN"])
        .env("RIPPLE_TEST_TOKEN", "t")
        .current_dir(producer.path())
        .output()
        .unwrap();
    request.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let markdown = String::from_utf8(out.stdout).unwrap();
    assert!(markdown.contains("The portal has no dataset whose table is `stg_orders`"), "{markdown}");
    assert!(markdown.contains("| `models/marts/revenue.sql` | breaking |"), "{markdown}");
    assert!(!markdown.contains("Start the migration"), "{markdown}");
}
