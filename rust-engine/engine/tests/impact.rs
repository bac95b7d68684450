//! Each consumer's verdict for a change, from its column lineage: every
//! snapshot lists the verdict, then each reason with its place.

mod common;

use std::fmt::Write;

use ripple_engine::{analyze, classify_impact, ChangeSpec, ConsumerImpact, Dialect, Language, Options, Schema, Verdict};

const CHANGE: &str = r#"{"dataset": "proj.ds.orders", "dialect": "bigquery", "changes": [
  {"kind": "rename_column", "column": "amount", "to": "amount_usd"},
  {"kind": "drop_column", "column": "legacy_flag"},
  {"kind": "change_type", "column": "id", "to": "STRING"}]}"#;

fn classify(files: &[(&str, &str)], change: &str, schema: Option<&Schema>, also_named: &[String]) -> ConsumerImpact {
    let spec = ChangeSpec::from_json(change).unwrap();
    let options = Options { dialect: Dialect::BigQuery, schema };
    let analyses: Vec<_> = files.iter().map(|(path, text)| analyze(path, Language::detect(path, text).unwrap_or(Language::Sql), text, options)).collect();
    classify_impact(&analyses.iter().collect::<Vec<_>>(), &spec, also_named)
}

fn render(impact: &ConsumerImpact) -> String {
    let mut out = format!("{:?}\n", impact.verdict);
    for r in &impact.reasons {
        let at = r.start.map(|s| format!("{}:{}:{} ", r.path.as_deref().unwrap_or(""), s.line, s.column)).unwrap_or_default();
        writeln!(out, "  {at}{:?} {:?}: {}", r.verdict, r.kind, r.message).unwrap();
    }
    for f in &impact.files {
        writeln!(out, "  file {} {:?} reads ({}), {} references", f.path, f.verdict, f.columns.join(", "), f.references).unwrap();
    }
    out
}

fn schema() -> Schema {
    Schema::from_json(r#"{"tables": {"proj.ds.orders": {"columns": [{"name": "id"}, {"name": "amount"}, {"name": "status"}, {"name": "legacy_flag"}]}}}"#).unwrap()
}

#[test]
fn reading_a_renamed_dropped_or_retyped_column_breaks() {
    let sql = "SELECT o.id, SUM(o.amount) AS total\nFROM `proj.ds.orders` AS o\nWHERE NOT o.legacy_flag\nGROUP BY o.id";
    check!(render(&classify(&[("report.sql", sql)], CHANGE, None, &[])));
}

#[test]
fn a_star_that_reaches_the_output_breaks_partially() {
    let star = "CREATE VIEW v AS\nSELECT * FROM proj.ds.orders";
    // The `*` inside the CTE is not the consumer's output: the outer query names its columns.
    let cte = "WITH o AS (SELECT * FROM proj.ds.orders)\nSELECT status FROM o";
    for schema in [None, Some(schema())] {
        let star_impact = classify(&[("star.sql", star)], CHANGE, schema.as_ref(), &[]);
        assert_eq!(star_impact.verdict, Verdict::PartiallyBreaking, "{}", render(&star_impact));
        let cte_impact = classify(&[("cte.sql", cte)], CHANGE, schema.as_ref(), &[]);
        assert_eq!(cte_impact.verdict, Verdict::Unaffected, "{}", render(&cte_impact));
    }
    check!(render(&classify(&[("star.sql", star), ("cte.sql", cte)], CHANGE, Some(&schema()), &[])));
}

#[test]
fn reading_only_unchanged_columns_or_not_reading_at_all_is_unaffected() {
    let sql = "SELECT status, COUNT(*) AS n FROM proj.ds.orders GROUP BY status";
    let other = "SELECT amount FROM proj.ds.payments";
    check!(render(&classify(&[("status.sql", sql), ("payments.sql", other)], CHANGE, None, &[])));
    let none = classify(&[("payments.sql", other)], CHANGE, None, &[]);
    assert_eq!((none.verdict, none.files.len(), none.reasons[0].message.as_str()), (Verdict::Unaffected, 0, "no file reads `proj.ds.orders`"));
}

#[test]
fn a_moved_table_breaks_every_reader_and_dbt_sources_count() {
    let moved = r#"{"dataset": "proj.ds.orders", "changes": [{"kind": "rename_table", "to": "proj.sales.orders"}]}"#;
    let model = "select status from {{ source('shop', 'orders') }}";
    let python = "rows = client.query(\"SELECT status FROM proj.ds.orders\")";
    check!(render(&classify(&[("models/stg.sql", model), ("jobs/export.py", python)], moved, None, &["shop.orders".to_string()])));
}

#[test]
fn an_unparsed_statement_naming_a_changed_column_may_break() {
    let sql = "SELECT amount FROM proj.ds.orders WHERE";
    let impact = classify(&[("broken.sql", sql)], CHANGE, None, &[]);
    assert_eq!(impact.verdict, Verdict::Breaking, "{}", render(&impact));
    assert!(impact.reasons[0].message.starts_with("may read `amount`"), "{}", render(&impact));
}
