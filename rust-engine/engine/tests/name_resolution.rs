//! Names that follow each dialect's rules: an output alias against a FROM
//! column of the same name (`Dialect::alias_rule`), and the output names
//! dialects take from an unaliased item's text (`Dialect::expression_names`).
//! The rules and their sources are in docs/engine.md.

use ripple_engine::{ChangeSpec, Dialect, FileRewrite, Language, Options, RewriteStatus, Schema};

fn schema() -> Schema {
    Schema::from_json(r#"{"tables":{"t":{"columns":[{"name":"x","type":"int"},{"name":"y","type":"int"},{"name":"z","type":"int"}]}}}"#).unwrap()
}

fn rewrite(dialect: Dialect, sql: &str, change: &str, schema: Option<&Schema>) -> FileRewrite {
    let spec = ChangeSpec::from_json(&format!(r#"{{"dataset":"t","changes":[{change}]}}"#)).unwrap();
    ripple_engine::rewrite("q.sql", Language::Sql, sql, &spec, Options { dialect, schema })
}

const RENAME_X: &str = r#"{"kind":"rename_column","column":"x","to":"x_v2"}"#;

fn rewritten(dialect: Dialect, sql: &str, change: &str) -> String {
    let result = rewrite(dialect, sql, change, Some(&schema()));
    assert_eq!(result.status, RewriteStatus::Rewritten, "{dialect}: {:?}", result.reasons);
    result.content.unwrap()
}

/// The query that broke on a real benchmark: the second `x` is the FROM's
/// column in DuckDB, PostgreSQL and BigQuery (an alias there would even be
/// a nested aggregate).
#[test]
fn a_later_item_names_the_from_column_where_the_dialect_says_so() {
    let sql = "SELECT sum(x) AS x, sum(y) / sum(x) AS r FROM t";
    for dialect in [Dialect::DuckDb, Dialect::Postgres, Dialect::BigQuery, Dialect::Spark, Dialect::Redshift] {
        assert_eq!(rewritten(dialect, sql, RENAME_X), "SELECT sum(x_v2) AS x, sum(y) / sum(x_v2) AS r FROM t", "{dialect}");
    }
    // Snowflake does not document which wins: a person decides.
    let result = rewrite(Dialect::Snowflake, sql, RENAME_X, Some(&schema()));
    assert_eq!(result.status, RewriteStatus::NeedsEdit);
    assert!(result.reasons.iter().any(|r| r.contains("the output alias x")), "{:?}", result.reasons);
}

#[test]
fn without_a_schema_a_name_the_from_may_have_is_not_guessed() {
    // In DuckDB the FROM's column would win, but without a schema Ripple
    // cannot tell whether `t` has `x`.
    let result = rewrite(Dialect::DuckDb, "SELECT sum(x) AS x, sum(y) / sum(x) AS r FROM t", RENAME_X, None);
    assert_eq!(result.status, RewriteStatus::NeedsEdit);
    // An alias no FROM column shares is the alias in DuckDB: nothing to decide.
    let sql = "SELECT x + 1 AS total, total * 2 AS double FROM t";
    let result = rewrite(Dialect::DuckDb, sql, RENAME_X, Some(&schema()));
    assert_eq!(result.content.as_deref(), Some("SELECT x_v2 + 1 AS total, total * 2 AS double FROM t"));
}

#[test]
fn postgres_groups_by_the_input_column_and_orders_by_the_output_name() {
    // GROUP BY x is t.x (renamed); ORDER BY x is the output `x` (kept);
    // ORDER BY x + 1 is an expression of input columns (renamed).
    let sql = "SELECT y + 1 AS x FROM t GROUP BY x, y ORDER BY x, x + 1";
    assert_eq!(rewritten(Dialect::Postgres, sql, RENAME_X), "SELECT y + 1 AS x FROM t GROUP BY x_v2, y ORDER BY x, x_v2 + 1");
    // MySQL: GROUP BY searches the FROM first, ORDER BY the SELECT list.
    assert_eq!(rewritten(Dialect::MySql, sql, RENAME_X), "SELECT y + 1 AS x FROM t GROUP BY x_v2, y ORDER BY x, x + 1");
}

#[test]
fn duckdb_output_names_taken_from_the_text_are_kept() {
    let sql = "SELECT z, sum(x), max(t.x) + 1, count(*) FROM t GROUP BY z";
    assert_eq!(rewritten(Dialect::DuckDb, sql, RENAME_X), r#"SELECT z, sum(x_v2) AS "sum(x)", max(t.x_v2) + 1 AS "(max(t.x) + 1)", count(*) FROM t GROUP BY z"#);
    // A table move renames the qualifier inside the name too.
    let moved = r#"{"kind":"rename_table","to":"t2"}"#;
    assert_eq!(rewritten(Dialect::DuckDb, "SELECT max(t.x) FROM t", moved), r#"SELECT max(t2.x) AS "max(t.x)" FROM t2"#);
    // A name Ripple does not reproduce (DuckDB prints `COALESCE(x, 0)`) is left for a person.
    let result = rewrite(Dialect::DuckDb, "SELECT coalesce(x, 0) FROM t", RENAME_X, Some(&schema()));
    assert_eq!(result.status, RewriteStatus::NeedsEdit);
    assert!(result.reasons.iter().any(|r| r.contains("named after its text in duckdb")), "{:?}", result.reasons);
}

#[test]
fn a_subquerys_output_name_nobody_reads_needs_no_alias() {
    let sql = "SELECT z FROM t WHERE x > (SELECT avg(x) FROM t)";
    assert_eq!(rewritten(Dialect::DuckDb, sql, RENAME_X), "SELECT z FROM t WHERE x_v2 > (SELECT avg(x_v2) FROM t)");
    assert_eq!(rewritten(Dialect::Snowflake, sql, RENAME_X), "SELECT z FROM t WHERE x_v2 > (SELECT avg(x_v2) FROM t)");
}

#[test]
fn postgres_names_a_cast_after_its_column_and_a_call_after_its_function() {
    let sql = "SELECT CAST(x AS int), x::text, sum(x) FROM t";
    assert_eq!(rewritten(Dialect::Postgres, sql, RENAME_X), "SELECT CAST(x_v2 AS int) AS x, x_v2::text AS x, sum(x_v2) FROM t");
}

#[test]
fn generated_names_stay_and_unknown_ones_go_to_a_person() {
    // BigQuery names both `f0_`, `f1_`: nothing to keep.
    assert_eq!(rewritten(Dialect::BigQuery, "SELECT sum(x), CAST(x AS INT64) FROM t", RENAME_X), "SELECT sum(x_v2), CAST(x_v2 AS INT64) FROM t");
    for dialect in [Dialect::Snowflake, Dialect::Spark, Dialect::Databricks, Dialect::MySql, Dialect::Redshift, Dialect::Generic, Dialect::Ansi] {
        let result = rewrite(dialect, "SELECT sum(x) FROM t", RENAME_X, Some(&schema()));
        assert_eq!(result.status, RewriteStatus::NeedsEdit, "{dialect}");
    }
}
