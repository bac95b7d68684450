//! Rewrites: every change kind in every dialect, then the features a
//! rewrite must handle (output names, stars, dbt, host languages, USING,
//! struct paths, what a person must decide). Each snapshot shows the status,
//! the findings (severity, kind, place, message) and the patch exactly as
//! `git apply` would take it.

mod common;

use std::fmt::Write;

use ripple_engine::{ChangeSpec, Dialect, Language, Options, RewriteStatus, Schema};

const CHANGES: [(&str, &str); 6] = [
    ("rename column", r#"{"kind":"rename_column","column":"amount","to":"amount_usd"}"#),
    ("drop column", r#"{"kind":"drop_column","column":"legacy_flag"}"#),
    ("change type", r#"{"kind":"change_type","column":"id","to":"STRING"}"#),
    ("rename table", r#"{"kind":"rename_table","to":"proj.sales.orders_v2"}"#),
    ("replace table", r#"{"kind":"replace_table","to":"proj.core.orders","columns":{"amount":"amount_usd","cust":"customer.id","ts":"TIMESTAMP_MILLIS(ts_ms)"}}"#),
    ("rename column and table", r#"{"kind":"rename_column","column":"amount","to":"amount_usd"},{"kind":"rename_table","to":"proj.ds.orders_v2"}"#),
];

fn spec(changes: &str, extra: &str) -> ChangeSpec {
    ChangeSpec::from_json(&format!(r#"{{"dataset":"proj.ds.orders","changes":[{changes}]{extra}}}"#)).unwrap()
}

fn render(path: &str, language: Language, text: &str, spec: &ChangeSpec, dialect: Dialect, schema: Option<&Schema>) -> String {
    let result = ripple_engine::rewrite(path, language, text, spec, Options { dialect, schema });
    let mut out = format!("status: {:?}, edits: {}\n", result.status, result.edits);
    for finding in &result.findings {
        let name = |value: serde_json::Value| value.as_str().unwrap_or_default().to_string();
        let (severity, kind) = (name(serde_json::to_value(finding.severity).unwrap()), name(serde_json::to_value(finding.kind).unwrap()));
        writeln!(out, "  {severity} {kind}: {finding}").unwrap();
    }
    if let Some(patch) = &result.patch {
        out.push_str(patch);
    }
    // The patch and the content say the same thing.
    if let Some(content) = &result.content {
        assert_ne!(content, text);
        assert!(matches!(result.status, RewriteStatus::Rewritten | RewriteStatus::NeedsEdit));
    }
    out
}

/// The same consumer written the way each dialect quotes its names.
fn consumer(dialect: Dialect) -> String {
    let table = match dialect {
        Dialect::BigQuery => "`proj.ds.orders`",
        Dialect::Snowflake => "PROJ.DS.ORDERS",
        Dialect::Postgres | Dialect::Redshift | Dialect::Ansi => "\"ds\".\"orders\"",
        Dialect::MySql | Dialect::Hive | Dialect::Spark | Dialect::Databricks => "`ds`.`orders`",
        Dialect::DuckDb | Dialect::Generic => "ds.orders",
    };
    format!(
        "-- revenue by customer\n\
         WITH recent AS (\n  SELECT o.id, o.amount, o.cust, o.ts\n  FROM {table} AS o  -- the source\n  WHERE o.legacy_flag IS NULL\n)\n\
         SELECT cust, SUM(amount) AS total, MAX(ts) AS last_ts\nFROM recent\nGROUP BY cust;\n\n\
         SELECT orders.id, amount FROM {table} WHERE id = 42 ORDER BY amount;\n"
    )
}

#[test]
fn every_change_kind_in_every_dialect() {
    for dialect in Dialect::ALL {
        let text = consumer(dialect);
        let mut out = format!("{text}\n");
        for (label, changes) in CHANGES {
            writeln!(out, "=== {label}").unwrap();
            out.push_str(&render("jobs/revenue.sql", Language::Sql, &text, &spec(changes, ""), dialect, None));
        }
        insta::with_settings!({ snapshot_suffix => dialect.name(), omit_expression => true }, {
            insta::assert_snapshot!(out);
        });
    }
}

fn case(language: Language, text: &str, changes: &str, extra: &str, schema: Option<&Schema>) -> String {
    let path = match language {
        Language::Sql | Language::Dbt => "models/consumer.sql",
        Language::Python => "jobs/consumer.py",
        Language::Java => "src/Consumer.java",
        Language::Scala => "src/Consumer.scala",
    };
    format!("{text}\n---\n{}", render(path, language, text, &spec(changes, extra), Dialect::BigQuery, schema))
}

const RENAME: &str = CHANGES[0].1;

#[test]
fn output_names_are_kept_unless_the_change_says_otherwise() {
    let text = "SELECT amount, o.amount, amount AS a, amount + 1 AS b FROM proj.ds.orders o";
    check!(format!("{}\n{}", case(Language::Sql, text, RENAME, "", None), case(Language::Sql, text, RENAME, r#","preserve_output_names":false"#, None)));
}

#[test]
fn a_star_is_expanded_with_a_schema_and_left_for_review_without() {
    let schema = common::schema(r#"{"tables":{"proj.ds.orders":{"columns":[{"name":"id"},{"name":"amount"},{"name":"ts"}]}}}"#);
    let text = "SELECT * FROM proj.ds.orders;\nSELECT o.* FROM proj.ds.orders o;\nSELECT * EXCEPT (ts) FROM proj.ds.orders;";
    check!(format!("{}\n{}", case(Language::Sql, text, RENAME, "", Some(&schema)), case(Language::Sql, text, RENAME, "", None)));
}

#[test]
fn references_in_ctes_subqueries_and_struct_paths() {
    let text = "WITH t AS (SELECT amount, cust FROM proj.ds.orders)\n\
                SELECT amount, cust FROM t WHERE amount > (SELECT AVG(x.amount) FROM proj.ds.orders x WHERE x.cust = t.cust)";
    check!(case(Language::Sql, text, CHANGES[4].1, "", None));
}

#[test]
fn using_joins_are_left_for_a_person() {
    let text = "SELECT amount FROM proj.ds.orders JOIN proj.ds.refunds USING (amount)";
    check!(case(Language::Sql, text, RENAME, "", None));
}

#[test]
fn dbt_refs_and_sources() {
    let text = "{{ config(materialized='table') }}\nselect o.amount, c.name\nfrom {{ ref('orders') }} o\njoin {{ source('ds', 'orders') }} c on c.id = o.id\n{% if is_incremental() %}where o.amount > 0{% else %}where amount is not null{% endif %}";
    check!(case(Language::Dbt, text, CHANGES[5].1, "", None));
}

#[test]
fn sql_in_python_java_and_scala_strings() {
    let python = "q = \"\"\"\nSELECT amount\nFROM proj.ds.orders\n\"\"\"\ndf = client.query(f\"SELECT amount FROM {table}\")\n";
    let java = "String q = \"SELECT o.amount \" +\n    \"FROM proj.ds.orders o WHERE o.amount > ?\";\n";
    let scala = "val q = s\"\"\"SELECT amount\n  |FROM proj.ds.orders WHERE day = '$day'\"\"\".stripMargin\n";
    check!(format!("{}\n{}\n{}", case(Language::Python, python, RENAME, "", None), case(Language::Java, java, RENAME, "", None), case(Language::Scala, scala, RENAME, "", None)));
}

#[test]
fn what_a_person_must_decide() {
    let text = "SELECT legacy_flag, id FROM proj.ds.orders JOIN proj.ds.customers c ON c.id = orders.id;\n\
                SELECT amount FROM proj.ds.orders, proj.ds.customers;\n\
                SELECT FROM WHERE proj.ds.orders amount;";
    check!(case(Language::Sql, text, &format!("{},{},{}", RENAME, CHANGES[1].1, CHANGES[2].1), "", None));
}

#[test]
fn a_file_that_does_not_read_the_dataset_is_unaffected() {
    let result = ripple_engine::rewrite("q.sql", Language::Sql, "SELECT amount FROM other.orders", &spec(RENAME, ""), Options { dialect: Dialect::BigQuery, schema: None });
    assert_eq!(result.status, RewriteStatus::Unaffected);
    assert_eq!((result.edits, result.patch, result.findings.len(), result.reasons.len()), (0, None, 0, 0));
}

#[test]
fn patches_apply_with_git_and_give_the_rewritten_file() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git").args(args).current_dir(dir.path()).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "-q"]);
    let files = [
        ("jobs/revenue.sql", Language::Sql, consumer(Dialect::BigQuery)),
        // No newline at the end of the file.
        ("jobs/tail.sql", Language::Sql, "SELECT amount\nFROM `proj.ds.orders`".to_string()),
        ("jobs/export.py", Language::Python, "q = \"SELECT amount FROM proj.ds.orders\"\n".to_string()),
    ];
    let mut patch = String::new();
    let mut expected = Vec::new();
    for (path, language, text) in &files {
        std::fs::create_dir_all(dir.path().join(path).parent().unwrap()).unwrap();
        std::fs::write(dir.path().join(path), text).unwrap();
        let result = ripple_engine::rewrite(path, *language, text, &spec(CHANGES[5].1, ""), Options { dialect: Dialect::BigQuery, schema: None });
        assert_eq!(result.status, RewriteStatus::Rewritten, "{path}: {:?}", result.findings);
        patch.push_str(result.patch.as_deref().unwrap());
        expected.push((path, result.content.unwrap()));
    }
    std::fs::write(dir.path().join("change.patch"), &patch).unwrap();
    git(&["apply", "--check", "change.patch"]);
    git(&["apply", "change.patch"]);
    for (path, content) in expected {
        assert_eq!(std::fs::read_to_string(dir.path().join(path)).unwrap(), content, "{path}");
    }
}

// Classes of rewrites that verification once withheld on real-world SQL
// (tests/rewrite_corpus.rs over Mozilla's BigQuery ETL and dbt projects).

#[test]
fn a_column_a_person_must_edit_keeps_every_use_in_its_statement() {
    // The CTE's `amount` joins another CTE by name: renaming it anywhere in
    // the statement without renaming the other side would break the join.
    let text = "WITH cur AS (SELECT id, amount FROM proj.ds.orders),\n\
                prev AS (SELECT id, amount FROM proj.ds.history)\n\
                SELECT id, amount FROM cur FULL JOIN prev USING (amount) WHERE cur.amount IS NOT NULL";
    check!(case(Language::Sql, text, RENAME, r#","preserve_output_names":false"#, None));
}

#[test]
fn a_using_join_whose_other_side_is_unknown_is_left_for_a_person() {
    // `t`'s columns are unknown (a `*` over an unknown table), so only the
    // dataset's side of `USING (amount)` is reported.
    let text = "WITH t AS (SELECT * FROM proj.ds.other)\nSELECT o.id FROM t LEFT JOIN proj.ds.orders o USING (amount) WHERE o.amount > 0";
    check!(case(Language::Sql, text, RENAME, "", None));
}

#[test]
fn a_qualified_star_follows_the_renamed_table() {
    let schema = common::schema(r#"{"tables":{"proj.ds.orders":{"columns":[{"name":"id"},{"name":"amount"}]}}}"#);
    let text = "SELECT orders.* FROM `proj`.ds.orders CROSS JOIN proj.ds.limits";
    check!(format!("{}\n{}", case(Language::Sql, text, CHANGES[3].1, "", None), case(Language::Sql, text, CHANGES[5].1, "", Some(&schema))));
}

#[test]
fn dbt_aliases_after_a_source_call_and_names_written_in_the_sql() {
    // `as o` follows the template expression; `"PROJ".ds.orders` is SQL, not a source call.
    let source = "select o.amount from {{ source('ds', 'orders') }} as o";
    let written = "with x as (\n  select amount from \"PROJ\".ds.orders\n)\nselect * from x";
    // Snowflake, where `"PROJ"` is a quoted name (in BigQuery it is a string).
    let written = format!("{written}\n---\n{}", render("models/consumer.sql", Language::Dbt, written, &spec(CHANGES[5].1, ""), Dialect::Snowflake, None));
    check!(format!("{}\n{written}", case(Language::Dbt, source, CHANGES[5].1, "", None)));
}

#[test]
fn an_ambiguous_name_left_for_a_person_may_name_the_added_alias() {
    // `GROUP BY amount` could be either table's; after the rewrite it names
    // the output alias that keeps `amount`.
    let text = "WITH s AS (SELECT * FROM proj.ds.sessions)\nSELECT o.amount, COUNT(*) AS n FROM s JOIN proj.ds.orders o ON s.id = o.id GROUP BY amount";
    check!(case(Language::Sql, text, RENAME, "", None));
}

#[test]
fn with_new_output_names_quoted_and_pass_through_names_follow_the_rename() {
    let text = "WITH a AS (SELECT `amount` FROM proj.ds.orders),\nb AS (SELECT o.amount AS amount, o.id FROM proj.ds.orders o)\nSELECT a.`amount`, b.amount FROM a CROSS JOIN b";
    check!(case(Language::Sql, text, RENAME, r#","preserve_output_names":false"#, None));
}

#[test]
fn a_renamed_column_keeps_the_case_it_is_written_in_and_renaming_back_restores_it() {
    let text = "SELECT o.day_dt, o.DAY_DT FROM proj.ds.orders o";
    let there = r#"{"kind":"rename_column","column":"DAY_DT","to":"DAY_DT_new"}"#;
    let back = r#"{"kind":"rename_column","column":"DAY_DT_new","to":"DAY_DT"}"#;
    let options = Options { dialect: Dialect::Snowflake, schema: None };
    let renamed = ripple_engine::rewrite("q.sql", Language::Sql, text, &spec(there, r#","preserve_output_names":false"#), options).content.unwrap();
    assert_eq!(renamed, "SELECT o.day_dt_new, o.DAY_DT_new FROM proj.ds.orders o");
    let restored = ripple_engine::rewrite("q.sql", Language::Sql, &renamed, &spec(back, r#","preserve_output_names":false"#), options).content.unwrap();
    assert_eq!(restored, text);
}

#[test]
fn a_grouping_key_of_a_pipe_aggregate_keeps_its_output_name() {
    let text = "FROM proj.ds.orders\n|> AGGREGATE SUM(amount) AS total GROUP BY cust, amount DESC;\nFROM proj.ds.orders\n|> AGGREGATE COUNT(*) AS n GROUP AND ORDER BY amount";
    check!(case(Language::Sql, text, RENAME, "", None));
}

#[test]
fn new_output_names_that_do_not_verify_are_kept() {
    // The other branch of the UNION keeps `amount`, so the CTE's column
    // cannot take the new name: the rewrite keeps it, and says so.
    let text = "WITH u AS (SELECT amount FROM proj.ds.orders UNION ALL SELECT amount FROM proj.ds.refunds)\nSELECT SUM(amount) AS total FROM u";
    check!(case(Language::Sql, text, RENAME, r#","preserve_output_names":false"#, None));
}

#[test]
fn a_table_whose_name_the_analysis_cannot_find_is_left_for_a_person() {
    // In BigQuery `"proj"` is a string: the columns still resolve to the
    // table, but no name of it can be edited, so nothing here is.
    let text = "SELECT orders.amount FROM \"proj\".ds.orders";
    check!(case(Language::Sql, text, CHANGES[5].1, "", None));
}

/// A schema naming the dataset twice (a dbt source's name beside its
/// relation): every run gives the same rewrite, whatever order the schema's
/// map iterates in (each `Schema` has its own hash seed).
#[test]
fn a_dataset_named_twice_in_the_schema_rewrites_the_same_every_time() {
    let sql = "SELECT o.* , o.status FROM marts.fct_orders o";
    let change = ChangeSpec::from_json(r#"{"dataset": "proj.marts.fct_orders", "changes": [{"kind": "rename_column", "column": "status", "to": "order_status"}]}"#).unwrap();
    let results: std::collections::BTreeSet<String> = (0..40)
        .map(|_| {
            let schema = Schema::from_json(
                r#"{"tables": {"proj.marts.fct_orders": {"columns": [{"name": "id"}, {"name": "status"}]},
                               "marts.fct_orders": {"columns": [{"name": "id"}, {"name": "status"}]},
                               "other": {"columns": [{"name": "x"}]}, "more": {"columns": [{"name": "y"}]}}}"#,
            )
            .unwrap();
            let result = ripple_engine::rewrite("q.sql", Language::Sql, sql, &change, Options { dialect: Dialect::DuckDb, schema: Some(&schema) });
            format!("{:?} {:?}", result.status, result.content)
        })
        .collect();
    assert_eq!(results.len(), 1, "{results:#?}");
    assert!(results.iter().next().unwrap().starts_with("Rewritten"), "{results:#?}");
}

/// A new name holding its dialect's quote character is escaped where it is
/// written inside quotes, and the rewrite verifies.
#[test]
fn a_new_name_with_a_quote_character_is_escaped() {
    let cases = [
        (Dialect::Postgres, r#"SELECT id FROM "ds"."orders""#, r#"ds.or"ders"#, r#"SELECT id FROM "ds"."or""ders""#),
        (Dialect::Postgres, "SELECT id FROM ds.orders", r#"ds.or"ders"#, r#"SELECT id FROM ds."or""ders""#),
        (Dialect::MySql, "SELECT id FROM `ds`.`orders`", "ds.or`ders", "SELECT id FROM `ds`.`or``ders`"),
    ];
    for (dialect, sql, to, expected) in cases {
        let dataset = if dialect == Dialect::BigQuery { "proj.ds.orders" } else { "ds.orders" };
        let change = ChangeSpec::from_json(&format!(r#"{{"dataset": "{dataset}", "changes": [{{"kind": "rename_table", "to": {}}}]}}"#, serde_json::to_string(to).unwrap())).unwrap();
        let result = ripple_engine::rewrite("q.sql", Language::Sql, sql, &change, Options { dialect, schema: None });
        assert_eq!(result.content.as_deref(), Some(expected), "{dialect:?}: {:?}", result.findings);
        assert_eq!(result.status, RewriteStatus::Rewritten);
    }
    // BigQuery escapes a backquote with a backslash, which `sqlparser` does
    // not read back: the rewrite cannot be verified, and goes to a person.
    let change = ChangeSpec::from_json(r#"{"dataset": "proj.ds.orders", "changes": [{"kind": "rename_table", "to": "proj.ds.or`ders"}]}"#).unwrap();
    let result = ripple_engine::rewrite("q.sql", Language::Sql, "SELECT id FROM `proj.ds.orders`", &change, Options { dialect: Dialect::BigQuery, schema: None });
    assert_eq!(result.status, RewriteStatus::NeedsEdit);
    assert!(result.content.is_none());
}
