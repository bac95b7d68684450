//! What a statement needs to run on its own: its bind parameters, per
//! dialect, and the query part of a statement that writes.

mod common;

use std::fmt::Write;

use common::{analyze, snapshot};
use ripple_engine::Language::Sql;
use ripple_engine::{Dialect, Language};

/// Which placeholder forms each dialect reads as bind parameters: the
/// parameter found (with what it binds to), or why none is.
#[test]
fn placeholder_forms_per_dialect() {
    let forms = ["?", "?1", "$1", "$day", ":day", ":1", "@day", "%s", "%(day)s"];
    let mut out = String::new();
    for dialect in Dialect::ALL {
        write!(out, "{:<10}", dialect.name()).unwrap();
        for form in forms {
            let sql = format!("SELECT id FROM shop.orders WHERE day = {form}");
            let analysis = analyze(dialect.name(), Sql, &sql, None);
            let statement = &analysis.statements[0];
            let cell = match statement.parameters.as_slice() {
                _ if !statement.parsed => "(no parse)".to_string(),
                [] => "(none)".to_string(),
                [p] => {
                    assert_eq!(&sql[p.span.clone()], form, "{dialect:?}: the span is the placeholder");
                    assert_eq!(p.text, form);
                    p.name.clone().or(p.number.map(|n| format!("#{n}"))).unwrap_or_else(|| "next".into())
                }
                more => panic!("{dialect:?} {form}: {more:?}"),
            };
            write!(out, " | {form} {cell:<10}").unwrap();
        }
        out.push('\n');
    }
    check!(out);
}

#[test]
fn parameters_are_listed_in_the_order_written() {
    check!(snapshot(
        "postgres",
        Sql,
        "\
SELECT id, amount * $2 AS scaled
FROM shop.orders
WHERE day BETWEEN $1 AND $3 AND status = 'paid: $9 ?'
ORDER BY id
LIMIT $4;
SELECT count(*) FROM shop.orders WHERE id IN (SELECT order_id FROM shop.refunds WHERE day = $1)",
        None
    ));
}

#[test]
fn bigquery_named_parameters_and_system_variables() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
SELECT id, amount FROM `proj.shop.orders`
WHERE day = @day AND region IN UNNEST(@regions) AND created < @@current_timestamp",
        None
    ));
}

/// psycopg's `%s` is a parameter only where no operand comes before it: `a
/// %s` is the modulo of `a` by a column `s`, and a `%` in a string is text.
#[test]
fn psycopg_parameters_and_the_modulo_operator() {
    check!(snapshot(
        "postgres",
        Sql,
        "\
SELECT id, amount %s AS rest, amount % 2 AS parity
FROM shop.orders
WHERE day = %s AND region = %(region)s AND note LIKE '%s%' AND (amount)%s = 0",
        None
    ));
}

#[test]
fn query_parts_of_statements_that_write() {
    check!(snapshot(
        "postgres",
        Sql,
        "\
INSERT INTO mart.daily (day, total)
SELECT day, sum(amount) FROM shop.orders GROUP BY day
ON CONFLICT (day) DO UPDATE SET total = excluded.total;
INSERT INTO mart.big (SELECT id FROM shop.orders WHERE amount > 100) RETURNING id;
INSERT INTO mart.recent WITH r AS (SELECT id, day FROM shop.orders) SELECT id FROM r WHERE day > $1;
CREATE TABLE mart.t AS (SELECT id FROM shop.orders) UNION ALL (SELECT id FROM shop.refunds);
CREATE MATERIALIZED VIEW mart.v AS SELECT id FROM shop.orders;
INSERT INTO mart.fixed VALUES (1, (SELECT max(amount) FROM shop.orders));
UPDATE mart.daily SET total = 0 WHERE day IN (SELECT day FROM shop.orders);
DELETE FROM mart.daily USING shop.orders o WHERE o.day = daily.day;
MERGE INTO mart.daily d USING (SELECT day, sum(amount) AS total FROM shop.orders GROUP BY day) s ON d.day = s.day
WHEN MATCHED THEN UPDATE SET total = s.total",
        None
    ));
}

#[test]
fn query_parts_in_other_dialects() {
    let cases = [
        ("spark", "INSERT OVERWRITE TABLE mart.daily PARTITION (day = '2024-05-01') SELECT id, amount FROM shop.orders"),
        ("snowflake", "CREATE OR REPLACE TABLE mart.daily AS WITH o AS (SELECT * FROM shop.orders) SELECT id FROM o"),
        ("duckdb", "CREATE OR REPLACE TABLE \"dev\".\"main\".\"daily\"\n  as (\n    select id from \"dev\".\"main\".\"orders\"\n  );"),
        ("bigquery", "CREATE OR REPLACE VIEW `p.mart.v` OPTIONS (description = 'x') AS SELECT id FROM `p.shop.orders`"),
        ("redshift", "CREATE VIEW mart.v AS SELECT id FROM shop.orders WITH NO SCHEMA BINDING"),
        ("bigquery", "CREATE TEMP TABLE t AS SELECT id FROM shop.orders |> WHERE id > 1"),
    ];
    let mut out = String::new();
    for (dialect, sql) in cases {
        writeln!(out, "{dialect}: {sql}\n{}", snapshot(dialect, Sql, sql, None).split("---\n").nth(1).unwrap()).unwrap();
    }
    check!(out);
}

/// A dbt model is a query: it writes nothing, so it has no query part; its
/// compiled SQL is plain SQL.
#[test]
fn a_query_alone_has_no_query_part() {
    let analysis = analyze("duckdb", Language::Dbt, "select id from {{ ref('orders') }} where day = :day", None);
    assert_eq!(analysis.statements.len(), 1);
    assert!(analysis.statements[0].query.is_none());
    assert_eq!(analysis.statements[0].parameters.len(), 1);
}

/// The serialized analysis lists parameters and the query part only where
/// there are some, so the analyses of other statements read as before.
#[test]
fn the_fields_serialize_only_when_set() {
    let analysis = analyze("postgres", Sql, "SELECT 1; INSERT INTO t SELECT a FROM s WHERE b = $1", None);
    let json = serde_json::to_value(&analysis).unwrap();
    assert!(json["statements"][0].get("parameters").is_none());
    assert!(json["statements"][0].get("query").is_none());
    assert_eq!(json["statements"][1]["parameters"], serde_json::json!([{"text": "$1", "number": 1, "start": {"line": 1, "column": 51}, "end": {"line": 1, "column": 53}}]));
    assert_eq!(json["statements"][1]["query"], serde_json::json!({"start": {"line": 1, "column": 25}, "end": {"line": 1, "column": 53}, "by_position": true}));
}

/// The deepest trees the engine parses (`depth.rs`) get their parameters
/// and query part too: nothing here recurses once per level.
#[test]
fn deep_statements_get_their_query_part_and_parameters() {
    let chain = vec!["a"; 3_900].join(" + ");
    let unions = vec!["SELECT a FROM s"; 1_900].join(" UNION ALL ");
    for (sql, query_start) in [(format!("INSERT INTO t SELECT {chain} + $1 FROM s"), 14), (format!("CREATE TABLE t AS (({unions}) UNION ALL SELECT $1)"), 18)] {
        let analysis = analyze("postgres", Sql, &sql, None);
        let statement = &analysis.statements[0];
        assert!(statement.parsed, "{:?}", analysis.diagnostics);
        assert_eq!(statement.parameters.len(), 1);
        let query = statement.query.as_ref().expect("a query part");
        assert_eq!((query.span.start, query.span.end), (query_start, sql.len()));
    }
}
