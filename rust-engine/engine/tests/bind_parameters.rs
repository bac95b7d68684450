//! Sample values bound to a statement's parameters: each placeholder
//! replaced by a literal of the dialect, nothing else changed; a value that
//! is not there is an error naming the placeholder and where it is.

mod common;

use std::fmt::Write;

use ripple_engine::{bind_parameters, Dialect, EngineError};
use serde_json::{json, Value};

fn bound(dialect: &str, sql: &str, values: Value) -> String {
    let dialect: Dialect = dialect.parse().unwrap();
    match bind_parameters(sql, dialect, &values) {
        Ok(sql) => sql,
        Err(error) => format!("error: {error}"),
    }
}

#[test]
fn values_bind_by_position_by_number_and_by_name() {
    let cases = [
        ("duckdb", "SELECT id FROM shop.orders WHERE day = ? AND amount > ? LIMIT ?", json!(["2024-05-01", 10.5, 3])),
        ("postgres", "SELECT id FROM shop.orders WHERE day BETWEEN $1 AND $2 OR day = $1", json!(["2024-05-01", "2024-05-31"])),
        ("postgres", "SELECT id FROM shop.orders WHERE day = :day AND region = :region", json!({"day": "2024-05-01", "region": "EU", "unused": 1})),
        ("bigquery", "SELECT id FROM `p.shop.orders` WHERE day = @day AND paid = @paid AND note = @none", json!({"day": "2024-05-01", "paid": true, "none": null})),
        ("postgres", "SELECT id FROM shop.orders WHERE day = %s AND region = %(region)s", json!({"region": "EU"})),
        ("postgres", "SELECT id FROM shop.orders WHERE day = %s AND amount > %s", json!(["2024-05-01", 5])),
        ("snowflake", "SELECT id FROM shop.orders WHERE day = :1 AND region = :2", json!(["2024-05-01", "EU"])),
        ("generic", "SELECT id FROM t WHERE a = ?;\nSELECT id FROM t WHERE b = ?", json!([1, 2])),
    ];
    let mut out = String::new();
    for (dialect, sql, values) in cases {
        writeln!(out, "{dialect}: {sql}\n  {values}\n  => {}\n", bound(dialect, sql, values.clone())).unwrap();
    }
    check!(out);
}

#[test]
fn literals_are_written_as_each_dialect_reads_them() {
    let tricky = json!(["it's \\ a\nline", -5, 1e21, false]);
    let mut out = String::new();
    for dialect in Dialect::ALL {
        writeln!(out, "{:<10} {}", dialect.name(), bound(dialect.name(), "SELECT a - :1 AS x FROM t WHERE b = :2 AND c = :3 AND d = :4", json!([-5, tricky[0], tricky[2], tricky[3]]))).unwrap();
    }
    check!(out);
}

/// `LIMIT?` must not become `LIMIT5`, nor `x=N?` a national string `N'...'`.
#[test]
fn a_literal_never_runs_into_the_text_around_it() {
    assert_eq!(bound("duckdb", "SELECT id FROM t LIMIT?", json!([5])), "SELECT id FROM t LIMIT 5");
    assert_eq!(bound("duckdb", "SELECT id FROM t WHERE x=?AND y=?", json!(["a", 1])), "SELECT id FROM t WHERE x='a' AND y=1");
    assert_eq!(bound("postgres", "SELECT $1::date AS day", json!(["2024-05-01"])), "SELECT '2024-05-01'::date AS day");
}

#[test]
fn sql_without_parameters_is_unchanged() {
    assert_eq!(bound("postgres", "SELECT '?' AS q, a % 2 FROM t -- $1", json!([])), "SELECT '?' AS q, a % 2 FROM t -- $1");
}

#[test]
fn what_cannot_be_bound_is_an_error_naming_the_placeholder() {
    let cases = [
        ("postgres", "SELECT id\nFROM t\nWHERE day = :day AND region = :region", json!({"day": "2024-05-01"})),
        ("duckdb", "SELECT id FROM t WHERE a = ? AND b = ?", json!([1])),
        ("postgres", "SELECT id FROM t WHERE a = $2", json!([1])),
        ("postgres", "SELECT id FROM t WHERE a = $0", json!([1])),
        ("postgres", "SELECT id FROM t WHERE a = :a", json!([1])),
        ("duckdb", "SELECT id FROM t WHERE a = ?", json!({"a": 1})),
        ("duckdb", "SELECT id FROM t WHERE a = ?", json!("1")),
        ("duckdb", "SELECT id FROM t WHERE a IN (?)", json!([[1, 2]])),
        ("hive", "SELECT id FROM t WHERE a = ?", json!(["C:\\temp"])),
        ("postgres", "SELECT id FROM t WHERE a = $1 AND b = )", json!([1])),
    ];
    let mut out = String::new();
    for (dialect, sql, values) in cases {
        writeln!(out, "{dialect}: {sql:?} with {values}\n  {}", bound(dialect, sql, values.clone())).unwrap();
    }
    check!(out);
}

#[test]
fn the_error_is_of_kind_bind_parameter_with_its_place() {
    let error = bind_parameters("SELECT 1\nWHERE x = @day", Dialect::BigQuery, &json!({})).unwrap_err();
    assert_eq!(error, EngineError::BindParameter { parameter: "@day".into(), line: 2, column: 11, message: "no value named `day`".into() });
    assert_eq!(serde_json::to_value(&error).unwrap(), json!({"kind": "bind_parameter", "parameter": "@day", "line": 2, "column": 11, "message": "no value named `day`"}));
}
