//! `tables`: which tables each statement reads and writes, per dialect.

use ripple_engine::{tables, Dialect, EngineError};

fn run(dialect: &str, sql: &str) -> serde_json::Value {
    let dialect: Dialect = dialect.parse().expect("known dialect");
    serde_json::to_value(tables(sql, dialect).expect("valid SQL")).unwrap()
}

#[test]
fn bigquery_backquoted_names_and_ctes() {
    insta::assert_json_snapshot!(run(
        "bigquery",
        "-- daily revenue\n\
         WITH paid AS (SELECT * FROM `proj.ds.orders` WHERE status = 'paid')\n\
         SELECT day, SUM(amount) AS total\n\
         FROM paid JOIN proj.ds.customers c USING (customer_id)\n\
         GROUP BY day;"
    ));
}

#[test]
fn insert_select_reads_and_writes_the_same_table() {
    insta::assert_json_snapshot!(run(
        "postgres",
        "INSERT INTO analytics.events SELECT * FROM analytics.events WHERE ts > now() - interval '1 day';\n\
         CREATE TABLE analytics.daily AS SELECT count(*) FROM \"Analytics\".\"Raw Events\";"
    ));
}

#[test]
fn snowflake_merge_update_delete() {
    insta::assert_json_snapshot!(run(
        "snowflake",
        "MERGE INTO db.sch.dim_customer t USING db.sch.stg_customer s ON t.id = s.id\n\
           WHEN MATCHED THEN UPDATE SET t.name = s.name\n\
           WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name);\n\
         UPDATE db.sch.orders SET amount = 0 WHERE id IN (SELECT id FROM db.sch.refunds);\n\
         DELETE FROM db.sch.orders WHERE amount IS NULL;"
    ));
}

#[test]
fn spark_create_view_over_subquery() {
    insta::assert_json_snapshot!(run(
        "spark",
        "CREATE OR REPLACE VIEW lake.orders_v AS\n\
         SELECT o.id, x.total FROM lake.orders o\n\
         JOIN (SELECT order_id, SUM(price) AS total FROM lake.items GROUP BY order_id) x ON x.order_id = o.id"
    ));
}

#[test]
fn statements_are_located_across_lines() {
    let found = tables("SELECT 1;\n\n  SELECT a\n  FROM t ;", Dialect::Generic).unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!((found[1].start.line, found[1].start.column), (3, 3));
    assert_eq!((found[1].end.line, found[1].end.column), (4, 9));
    assert_eq!(found[1].reads, vec!["t"]);
}

#[test]
fn empty_input_has_no_statements() {
    assert!(tables("  -- nothing\n;;", Dialect::Generic).unwrap().is_empty());
}

#[test]
fn syntax_error_carries_line_and_column() {
    let err = tables("SELECT a\nFROM t\nWHERE (b = 1", Dialect::BigQuery).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"Expected: ), found: EOF at line 3, column 13");
    assert!(matches!(err, EngineError::Syntax { line: 3, column: 13, .. }));
}

#[test]
fn a_missing_delimiter_between_whole_statements_is_read_as_analyze_reads_it() {
    // Two whole statements without the `;` between them (as bigquery-etl's
    // checks files write them): `analyze` reads both with a warning, and
    // `tables` agrees with it.
    let found = tables("SELECT 1 FROM a\nSELECT 2 FROM b", Dialect::Postgres).unwrap();
    assert_eq!(found.iter().map(|s| s.reads.clone()).collect::<Vec<_>>(), [["a"], ["b"]]);
    // A statement cut short is still an error, where it stops.
    let err = tables("SELECT 1 FROM a WHERE\nSELECT 2 FROM b", Dialect::Postgres).unwrap_err();
    assert!(matches!(err, EngineError::Syntax { line: 2, .. }), "{err}");
}

#[test]
fn tokenizer_error_carries_line_and_column() {
    let err = tables("SELECT 'open\n", Dialect::Generic).unwrap_err();
    assert!(matches!(err, EngineError::Syntax { line: 1, column: 8, .. }), "{err}");
}

#[test]
fn unknown_dialect_lists_the_known_ones() {
    let err = "oracle9".parse::<Dialect>().unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"unknown dialect `oracle9` (expected one of: ansi, bigquery, databricks, duckdb, generic, hive, mysql, postgres, redshift, snowflake, spark)");
}

#[test]
fn dialect_names_round_trip() {
    for dialect in Dialect::ALL {
        assert_eq!(dialect.name().parse::<Dialect>().unwrap(), dialect);
    }
    assert_eq!("PostgreSQL".parse::<Dialect>().unwrap(), Dialect::Postgres);
}

#[test]
fn a_very_long_operator_chain_is_refused_not_walked() {
    // 200,000 operators nest 200,000 tree levels: walking them would overflow
    // the stack (a trap in WebAssembly).
    let sql = format!("SELECT 1;\nSELECT {} FROM t", vec!["a"; 200_000].join(" + "));
    let error = tables(&sql, Dialect::Generic).unwrap_err();
    assert_eq!(error, EngineError::Syntax { message: "statement has more than 4000 operators; analysed token by token".into(), line: 2, column: 1 });
    // Just under the limit, the statement is read.
    let sql = format!("SELECT {} FROM t", vec!["a"; 4_001].join(" + "));
    assert_eq!(tables(&sql, Dialect::Generic).unwrap()[0].reads, ["t"]);
}

/// `tables` is `analyze`'s tables: on every file of the corpus, statement by
/// statement, the same places, reads and writes.
#[test]
fn tables_and_analyze_agree_on_every_corpus_file() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut files = 0;
    for (folder, dialect) in [("tpch", Dialect::Ansi), ("tpcds", Dialect::Ansi), ("bigquery", Dialect::BigQuery), ("snowflake", Dialect::Snowflake)] {
        for entry in std::fs::read_dir(corpus.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "sql") {
                continue;
            }
            let sql = std::fs::read_to_string(&path).unwrap();
            let analysis = ripple_engine::analyze_sql(&sql, ripple_engine::Options { dialect, schema: None });
            let found = tables(&sql, dialect).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(found.len(), analysis.statements.len(), "{}", path.display());
            for (t, s) in found.iter().zip(&analysis.statements) {
                assert_eq!((t.start, t.end), (s.start, s.end), "{}", path.display());
                assert_eq!(t.reads, s.reads.iter().map(|r| r.table.clone()).collect::<Vec<_>>(), "{}", path.display());
                assert_eq!(t.writes, s.writes.iter().map(|w| w.table.clone()).collect::<Vec<_>>(), "{}", path.display());
            }
            files += 1;
        }
    }
    assert!(files >= 30, "only {files} corpus files");
}
