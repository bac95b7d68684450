//! Constructs whose columns only a schema tells: what they read, and what
//! a rename does to them.

use ripple_engine::analysis::ReferenceKind;
use ripple_engine::{ChangeSpec, Dialect, FileRewrite, Language, Options, RewriteStatus, Schema};

fn schema() -> Schema {
    Schema::from_json(
        r#"{"tables":{
            "orders":{"columns":[{"name":"id"},{"name":"cust"},{"name":"region"},{"name":"amount"}]},
            "customers":{"columns":[{"name":"cust"},{"name":"name"}]}}}"#,
    )
    .unwrap()
}

fn rewrite(dialect: Dialect, sql: &str, change: &str) -> FileRewrite {
    let spec = ChangeSpec::from_json(&format!(r#"{{"dataset":"orders","changes":[{change}]}}"#)).unwrap();
    ripple_engine::rewrite("q.sql", Language::Sql, sql, &spec, Options { dialect, schema: Some(&schema()) })
}

/// The columns each statement reads, as `table.column`.
fn reads(dialect: Dialect, sql: &str) -> Vec<String> {
    let analysis = ripple_engine::analyze_sql(sql, Options { dialect, schema: Some(&schema()) });
    analysis.statements[0].reads.iter().flat_map(|t| t.columns.iter().map(move |c| format!("{}.{c}", t.table))).collect()
}

const RENAME_CUST: &str = r#"{"kind":"rename_column","column":"cust","to":"customer_id"}"#;

#[test]
fn a_natural_join_reads_the_names_both_sides_share() {
    // `cust` is the join key: a rename changes what the join matches.
    let sql = "SELECT cust, name FROM orders NATURAL JOIN customers";
    let result = rewrite(Dialect::Postgres, sql, RENAME_CUST);
    assert_eq!(result.status, RewriteStatus::NeedsEdit, "{:?}", result.reasons);
    assert!(result.reasons.iter().any(|r| r.contains("NATURAL JOIN")), "{:?}", result.reasons);
    // Without a reference to `cust`, and without a schema, the join still changes.
    let spec = ChangeSpec::from_json(&format!(r#"{{"dataset":"orders","changes":[{RENAME_CUST}]}}"#)).unwrap();
    let sql = "SELECT o.id FROM orders o NATURAL JOIN customers";
    let result = ripple_engine::rewrite("q.sql", Language::Sql, sql, &spec, Options { dialect: Dialect::Postgres, schema: None });
    assert_eq!(result.status, RewriteStatus::NeedsEdit, "{:?}", result.reasons);
}

#[test]
fn pivot_and_unpivot_pass_their_other_columns_to_the_star() {
    let pivot = "SELECT * FROM orders PIVOT (sum(amount) FOR region IN ('north', 'south')) AS p";
    let read = reads(Dialect::Snowflake, pivot);
    for column in ["orders.amount", "orders.region", "orders.id", "orders.cust"] {
        assert!(read.contains(&column.to_string()), "{column} in {read:?}");
    }
    // The star outputs `cust` under its name: a rename must keep it, which
    // Ripple cannot do through a pivot, so a person does.
    let result = rewrite(Dialect::Snowflake, pivot, RENAME_CUST);
    assert_eq!(result.status, RewriteStatus::NeedsEdit, "{:?}", result.reasons);

    let unpivot = "SELECT * FROM orders UNPIVOT (value FOR field IN (amount, region)) AS u";
    let read = reads(Dialect::Snowflake, unpivot);
    assert!(read.contains(&"orders.cust".to_string()) && read.contains(&"orders.amount".to_string()), "{read:?}");
    // The value column is a new name, not a column read.
    assert!(!read.iter().any(|c| c.ends_with(".value")), "{read:?}");
}

#[test]
fn distinct_on_reads_its_columns() {
    let sql = "SELECT DISTINCT ON (cust) cust AS c, amount FROM orders ORDER BY cust, amount DESC";
    assert_eq!(rewrite(Dialect::Postgres, sql, RENAME_CUST).content.as_deref(), Some("SELECT DISTINCT ON (customer_id) customer_id AS c, amount FROM orders ORDER BY customer_id, amount DESC"));
}

#[test]
fn a_semi_join_outputs_its_left_side_only() {
    // `name` can only be `orders`'s after the semi join; orders has none.
    let sql = "SELECT * FROM orders LEFT SEMI JOIN customers ON orders.cust = customers.cust";
    let analysis = ripple_engine::analyze_sql(sql, Options { dialect: Dialect::Spark, schema: Some(&schema()) });
    let star: Vec<&str> = analysis.statements[0].references.iter().filter(|r| r.kind == ReferenceKind::Wildcard).filter_map(|r| r.table.as_deref()).collect();
    assert!(!star.is_empty() && star.iter().all(|t| *t == "orders"), "{star:?}");
    assert_eq!(analysis.statements[0].outputs.len(), 4);
}

#[test]
fn a_table_function_with_a_column_list_is_no_catalog_table() {
    let sql = "SELECT t.cust FROM read_parquet('orders.parquet') AS t(id, cust)";
    let analysis = ripple_engine::analyze_sql(sql, Options { dialect: Dialect::DuckDb, schema: Some(&schema()) });
    assert!(analysis.statements[0].reads.iter().all(|t| t.table != "orders" && t.table != "read_parquet"), "{:?}", analysis.statements[0].reads);
    assert_eq!(rewrite(Dialect::DuckDb, sql, RENAME_CUST).status, RewriteStatus::Unaffected);
}

#[test]
fn snowflake_positional_columns_resolve_by_position() {
    let sql = "SELECT $2, $4 FROM orders";
    assert_eq!(reads(Dialect::Snowflake, sql), ["orders.cust", "orders.amount"]);
    // A rename leaves a position as it is.
    assert_eq!(rewrite(Dialect::Snowflake, sql, RENAME_CUST).status, RewriteStatus::Unaffected);
    // A dropped column moves the ones after it.
    let result = rewrite(Dialect::Snowflake, sql, r#"{"kind":"drop_column","column":"region"}"#);
    assert_eq!(result.status, RewriteStatus::NeedsEdit, "{:?}", result.reasons);
    assert!(result.reasons.iter().any(|r| r.contains("by its position")), "{:?}", result.reasons);
}
