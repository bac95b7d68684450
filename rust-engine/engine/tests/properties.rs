//! dbt property files rewritten for a change to a dataset: each snapshot
//! shows the status, the reasons and the patch as `git apply` takes it.
//! The dataset is `analytics.stg_orders`, a dbt model (`ref('stg_orders')`)
//! unless a test says otherwise.

mod common;

use std::fmt::Write;

use ripple_engine::{rewrite_properties, ChangeSpec, FileRewrite, RewriteStatus};

const RENAME: &str = r#"{"kind":"rename_column","column":"order_id","to":"order_key"}"#;
const DROP: &str = r#"{"kind":"drop_column","column":"order_id"}"#;
const RENAME_TABLE: &str = r#"{"kind":"rename_table","to":"analytics.orders_v2"}"#;

fn spec(dataset: &str, changes: &str) -> ChangeSpec {
    ChangeSpec::from_json(&format!(r#"{{"dataset":"{dataset}","changes":[{changes}]}}"#)).unwrap()
}

fn run(text: &str, spec: &ChangeSpec) -> FileRewrite {
    let result = rewrite_properties("models/marts/_models.yml", text, spec);
    // The patch and the content say the same thing, and an edited file is
    // still the YAML it was, apart from what was meant.
    if let Some(content) = &result.content {
        assert_ne!(content, text);
        assert!(matches!(result.status, RewriteStatus::Rewritten | RewriteStatus::NeedsEdit));
        assert!(result.patch.as_deref().is_some_and(|p| p.starts_with("--- a/models/marts/_models.yml")));
    } else {
        assert!(result.patch.is_none());
    }
    result
}

fn render(text: &str, spec: &ChangeSpec) -> String {
    let result = run(text, spec);
    let mut out = format!("status: {:?}, edits: {}\n", result.status, result.edits);
    for reason in &result.reasons {
        writeln!(out, "  {reason}").unwrap();
    }
    if let Some(patch) = &result.patch {
        out.push_str(patch);
    }
    out
}

/// The file, then what each change does to it.
fn cases(text: &str, dataset: &str, changes: &[(&str, &str)]) -> String {
    let mut out = format!("{text}\n");
    for (label, change) in changes {
        writeln!(out, "=== {label}").unwrap();
        out.push_str(&render(text, &spec(dataset, change)));
    }
    out
}

const RELATIONSHIPS: &str = r#"version: 2

models:
  - name: orders
    description: "One row per order"  # the mart
    columns:
      - name: order_id   # the mart's own column keeps its name
        data_tests:
          - unique
          - relationships:
              to: ref('stg_orders')
              field: order_id   # the upstream key
      - name: customer_id
        data_tests:
          - relationships: {to: "ref('stg_customers')", field: order_id}
          - relationships:
              arguments:
                to: ref("stg_orders")
                field: 'ORDER_ID'
          - dbt_utils.relationships_where:
              to: source('analytics', 'stg_orders')
              field: "order_id"
              to_condition: "order_id is not null and status <> 'x'"
"#;

#[test]
fn relationships_tests_follow_the_column_and_the_model() {
    check!(cases(RELATIONSHIPS, "analytics.stg_orders", &[("rename column", RENAME), ("drop column", DROP), ("rename table", RENAME_TABLE), ("both", &format!("{RENAME},{RENAME_TABLE}"))]));
}

const PRODUCER: &str = r#"version: 2

models:
  - name: stg_orders
    description: the producer's own entry
    columns:
      - name: order_id
        data_tests: [unique, not_null]
      - name: customer_id
        data_tests:
          - relationships:
              to: ref('stg_customers')
              field: customer_id

  - name: stg_payments
    columns:
      - name: order_id
        data_tests:
          - relationships:
              to: ref('stg_orders')
              field: order_id

unit_tests:
  - name: stg_orders_keeps_ids
    model: stg_orders
    given:
      - input: source('ecom', 'raw_orders')
        rows:
          - {id: 1}
    expect:
      rows:
        - {order_id: 1}
"#;

#[test]
fn the_entry_that_defines_the_dataset_is_the_producers_and_is_not_touched() {
    let out = cases(PRODUCER, "analytics.stg_orders", &[("rename column", RENAME), ("rename table", RENAME_TABLE)]);
    // Only stg_payments's test changed: the producer's entry and its unit test did not.
    let result = run(PRODUCER, &spec("analytics.stg_orders", RENAME));
    let content = result.content.unwrap();
    assert_eq!(content.matches("order_key").count(), 1, "{content}");
    assert!(content.contains("  - name: stg_orders\n    description: the producer's own entry\n    columns:\n      - name: order_id\n"));
    check!(out);
}

const SOURCES: &str = r#"sources:
  - name: ecom
    schema: raw
    tables:
      - name: raw_orders
        columns:
          - name: order_id
            data_tests: [not_null]
      - name: raw_payments
        columns:
          - name: order_id
            data_tests:
              - relationships:
                  to: source('ecom', 'raw_orders')
                  field: order_id
"#;

#[test]
fn a_source_table_entry_defines_the_dataset_by_source_or_schema_name() {
    let rename = r#"{"kind":"rename_column","column":"order_id","to":"order_key"},{"kind":"rename_table","to":"raw.raw_orders_v2"}"#;
    let by_schema = run(SOURCES, &spec("raw.raw_orders", rename));
    let by_source = run(SOURCES, &spec("ecom.raw_orders", rename));
    assert_eq!(by_schema.content, by_source.content);
    // The declaration names the dataset wherever it stands in the file.
    let declared_after = format!("unit_tests:\n  - name: t\n    model: orders\n    given:\n      - input: source('ecom', 'raw_orders')\n        rows: [{{order_id: 1}}]\n{SOURCES}");
    let result = run(&declared_after, &spec("raw.raw_orders", RENAME));
    assert!(result.content.unwrap().contains("rows: [{order_key: 1}]"));
    check!(cases(SOURCES, "raw.raw_orders", &[("rename column and table", rename)]));
}

const UNIT_TESTS: &str = r#"unit_tests:
  - name: orders_sum_payments
    model: orders
    given:
      - input: ref('stg_orders')
        rows:
          - {order_id: 1, status: completed}   # inline
          - order_id: 2
            status: returned
      - input: ref('stg_payments')
        format: csv
        rows: |
          payment_id,order_id,amount
          1,1,100
      - input: ref('stg_orders')
        format: csv
        rows: |
          order_id,"status"
          3,completed
      - input: ref('stg_orders')
        format: sql
        rows: select 4 as order_id, 'placed' as status
      - input: ref('stg_orders')
        format: csv
        fixture: stg_orders_fixture
    expect:
      rows:
        - {order_id: 1, amount: 100}
"#;

#[test]
fn unit_test_fixtures_of_the_dataset_follow_its_columns() {
    let new_names = ChangeSpec::from_json(&format!(r#"{{"dataset":"analytics.stg_orders","changes":[{RENAME}],"preserve_output_names":false}}"#)).unwrap();
    let mut out = cases(UNIT_TESTS, "analytics.stg_orders", &[("rename column", RENAME), ("drop column", DROP), ("rename table", RENAME_TABLE)]);
    writeln!(out, "=== rename column, output names not kept").unwrap();
    out.push_str(&render(UNIT_TESTS, &new_names));
    check!(out);
}

const SEMANTIC: &str = r#"semantic_models:
  - name: orders
    description: Order fact table.
    model: ref('stg_orders')
    defaults:
      agg_time_dimension: ordered_at
    entities:
      - name: order_id   # the key, by its column's name
        type: primary
      - name: customer
        type: foreign
        expr: customer_id
    dimensions:
      - name: ordered_at
        type: time
        type_params:
          time_granularity: day
      - name: is_large
        type: categorical
        expr: "case when amount > 100 then true else false end"
    measures:
      - name: order_count
        expr: 1
        agg: sum
      - name: order_total
        agg: sum
        expr: amount   # in dollars
      - {name: amount, agg: max}

metrics:
  - name: revenue
    label: Revenue
    type: simple
    type_params:
      measure: order_total
  - name: legacy_revenue
    model: ref('stg_orders')
    calculation_method: sum
    expression: amount
    timestamp: ordered_at
    time_grains: [day, week]
    dimensions:
      - customer_id
      - amount
    filters:
      - field: amount
        operator: '>'
        value: '0'
"#;

#[test]
fn semantic_models_and_metrics_on_the_dataset_follow_its_columns() {
    let rename = r#"{"kind":"rename_column","column":"amount","to":"amount_usd"},{"kind":"rename_column","column":"order_id","to":"order_key"}"#;
    let replace = r#"{"kind":"replace_table","to":"analytics.orders_v2","columns":{"amount":"amount_cents / 100","ordered_at":"created_at"}}"#;
    let drop = r#"{"kind":"drop_column","column":"amount"}"#;
    check!(cases(SEMANTIC, "analytics.stg_orders", &[("rename columns", rename), ("replace table", replace), ("drop column", drop)]));
}

const EXPOSURES: &str = r#"exposures:
  - name: weekly_kpis
    type: dashboard
    owner: {name: Data team, email: data@example.com}
    depends_on:
      - ref('stg_orders')
      - ref('jaffle', 'stg_orders')   # from a package
      - ref('stg_orders_archive')
      - source('analytics', 'stg_orders')
    description: >
      Built on {{ ref('stg_orders') }}.
"#;

#[test]
fn exposures_follow_the_models_new_name() {
    let moved = r#"{"kind":"rename_table","to":"marts.orders_v2"}"#;
    check!(cases(EXPOSURES, "analytics.stg_orders", &[("rename table", RENAME_TABLE), ("rename column", RENAME), ("move to another schema", moved)]));
}

#[test]
fn quoting_comments_and_layout_are_kept() {
    let text = "# header comment\nmodels:\n  - name: orders\n    columns:\n      - name: id\n        tests:\n          - relationships:\n              to: 'ref(''stg_orders'')'     # single-quoted, quotes doubled\n              field: \"ORDER_ID\"\t# tab before the comment\r\n          - relationships: { to: \"{{ ref('stg_orders') }}\" , field: order_id }\n";
    let result = run(text, &spec("stg_orders", &format!("{RENAME},{RENAME_TABLE}")));
    assert_eq!(result.status, RewriteStatus::Rewritten, "{:?}", result.reasons);
    assert_eq!(
        result.content.as_deref().unwrap(),
        text.replace("''stg_orders''", "''orders_v2''").replace("\"ORDER_ID\"", "\"ORDER_KEY\"").replace("ref('stg_orders')", "ref('orders_v2')").replace("field: order_id", "field: order_key")
    );
}

#[test]
fn what_is_not_a_consumer_is_unaffected() {
    let change = spec("analytics.stg_orders", &format!("{RENAME},{RENAME_TABLE}"));
    for text in [
        "",
        "# only a comment\n",
        "name: jaffle_shop\nmodels:\n  jaffle_shop:\n    +materialized: table\n",
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nspec: {owner: ref('stg_orders')}\n",
        "models:\n  - name: orders\n    columns:\n      - name: order_id\n        data_tests: [unique]\n",
        "- just\n- a list\n",
    ] {
        let result = run(text, &change);
        assert_eq!((result.status, result.reasons.len()), (RewriteStatus::Unaffected, 0), "{text}");
    }
}

#[test]
fn several_documents_and_anchors() {
    let text = "models:\n  - name: a\n    columns:\n      - name: x\n        tests: &rel\n          - relationships: {to: ref('stg_orders'), field: order_id}\n  - name: b\n    columns:\n      - name: y\n        tests: *rel\n---\nexposures:\n  - name: e\n    depends_on: [ref('stg_orders')]\n";
    let result = run(text, &spec("stg_orders", &format!("{RENAME},{RENAME_TABLE}")));
    assert_eq!(result.status, RewriteStatus::Rewritten, "{:?}", result.reasons);
    let content = result.content.unwrap();
    // The anchored test is edited once, where it is written; the alias reads it.
    assert_eq!(content.matches("ref('orders_v2')").count(), 2, "{content}");
    assert!(content.contains("field: order_key}") && content.contains("tests: *rel"));
}

#[test]
fn invalid_yaml_is_an_error_at_its_line_and_column() {
    let change = spec("stg_orders", RENAME);
    for (text, line) in [("models:\n  - name: a\n    columns: [x, y\n  - name: b\n", 4), ("a: 'unterminated\n", 1), ("a: b\n  c: d\n", 2), ("models: [a]\n]\n", 2)] {
        let result = run(text, &change);
        assert_eq!(result.status, RewriteStatus::Error, "{text}");
        assert!(result.reasons[0].starts_with(&format!("line {line}, column ")) && result.reasons[0].contains("invalid YAML"), "{:?}", result.reasons);
    }
}

#[test]
fn hostile_input_is_answered_without_a_panic() {
    let change = spec("stg_orders", &format!("{RENAME},{RENAME_TABLE}"));
    // Deep nesting, flow and block, is refused with a position.
    let flow = format!("models: {}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let block: String = (0..2_000).map(|i| format!("{}- \n", "  ".repeat(i))).collect();
    let mappings: String = (0..2_000).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect();
    for text in [flow, block, mappings] {
        let result = run(&text, &change);
        assert_eq!(result.status, RewriteStatus::Error);
        assert!(result.reasons[0].starts_with("line ") && result.reasons[0].contains("column"), "{:?}", result.reasons);
    }
    // A large property file (about 6 MB, 40,000 models) is rewritten whole.
    let entry = "  - name: m{i}\n    columns:\n      - name: order_id\n        data_tests:\n          - relationships: {to: ref('stg_orders'), field: order_id}  # é\n";
    let big = format!("models:\n{}", (0..40_000).map(|i| entry.replace("{i}", &i.to_string())).collect::<String>());
    let started = std::time::Instant::now();
    let result = run(&big, &change);
    assert_eq!((result.status, result.edits), (RewriteStatus::Rewritten, 80_000), "{:?}", result.reasons.first());
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
    // Over the engine's size limit, the file is refused unread.
    let huge = "#".repeat(ripple_engine::analysis::MAX_FILE_BYTES + 1);
    assert_eq!(run(&huge, &change).status, RewriteStatus::Error);
    // Odd scalars: unterminated calls, escapes, tags, complex keys.
    for text in [
        "models: [{name: a, tests: [{relationships: {to: \"ref('stg_orders\", field: order_id}}]}]\n",
        "exposures: [{depends_on: [\"ref(\\u0027stg_orders\\u0027)\", ref(, source('a'), ref('stg_orders', v=2)]}]\n",
        "models: !!seq [{? [a, b] : c}, !custom {to: ref('stg_orders'), field: order_id}]\n",
        "unit_tests: [{model: x, given: [{input: ref('stg_orders'), format: csv, rows: \"\"}, {input: ref('stg_orders'), rows: 3}]}]\n",
    ] {
        let result = run(text, &change);
        assert_ne!(result.status, RewriteStatus::Error, "{text}: {:?}", result.reasons);
    }
}

const MART: &str = r#"models:
  - name: orders
    columns:
      - name: order_id   # passed through: renamed with the outputs
        data_tests: [unique]
      - name: status
      - name: order_count
    data_tests:
      - dbt_utils.unique_combination_of_columns:
          combination_of_columns: [order_id, status]
      - not_null:
          column_name: order_id

unit_tests:
  - name: orders_counts
    model: orders
    given:
      - input: ref('stg_orders')
        rows:
          - {order_id: 1, status: completed}
    expect:
      format: csv
      rows: |
        order_id,status,order_count
        1,completed,1
"#;

#[test]
fn without_kept_output_names_a_models_entry_and_expected_rows_follow_its_sql() {
    let sql = "select order_id, status, count(*) as order_count\nfrom {{ ref('stg_orders') }}\ngroup by order_id, status\n";
    let new_names = ChangeSpec::from_json(&format!(r#"{{"dataset":"analytics.stg_orders","changes":[{RENAME}],"preserve_output_names":false}}"#)).unwrap();
    let options = ripple_engine::Options { dialect: ripple_engine::Dialect::DuckDb, schema: None };
    let model = ripple_engine::rewrite("models/orders.sql", ripple_engine::Language::Dbt, sql, &new_names, options);
    assert_eq!(model.status, RewriteStatus::Rewritten, "{:?}", model.reasons);
    let mut outputs = ripple_engine::RenamedOutputs::default();
    outputs.add_model("orders", ripple_engine::Language::Dbt, sql, &model, options);
    let result = ripple_engine::rewrite_properties_with("models/_orders.yml", MART, &new_names, &outputs);
    let mut out = format!("{}\n=== the model's SQL\n{}\n=== rename column, output names not kept\n", MART, model.content.unwrap());
    out.push_str(&format!("status: {:?}, edits: {}\n", result.status, result.edits));
    result.reasons.iter().for_each(|r| writeln!(out, "  {r}").unwrap());
    out.push_str(result.patch.as_deref().unwrap_or_default());
    // With output names kept, or without the model's SQL, the entry stays.
    let kept = rewrite_properties("models/_orders.yml", MART, &spec("analytics.stg_orders", RENAME));
    assert_eq!(kept.edits, 1);
    assert!(kept.patch.unwrap().contains("+          - {order_key: 1, status: completed}"));
    let unknown = rewrite_properties("models/_orders.yml", MART, &new_names);
    assert_eq!(unknown.status, RewriteStatus::NeedsEdit);
    assert!(unknown.reasons.iter().any(|r| r.contains("rename it if `orders` passes the column through")), "{:?}", unknown.reasons);
    check!(out);
}

#[test]
fn every_prefix_of_every_file_is_answered() {
    // A file cut anywhere (an editor's buffer, a truncated download) is
    // invalid YAML or a smaller file: never a panic, and any patch still
    // reads back as YAML.
    let changes = [
        spec("analytics.stg_orders", &format!("{RENAME},{RENAME_TABLE}")),
        spec("analytics.stg_orders", r#"{"kind":"replace_table","to":"analytics.orders_v2","columns":{"amount":"amount_cents / 100","order_id":"order_key"}}"#),
    ];
    for text in [RELATIONSHIPS, PRODUCER, SOURCES, UNIT_TESTS, SEMANTIC, EXPOSURES, MART] {
        for (cut, _) in text.char_indices().step_by(3) {
            for change in &changes {
                let result = rewrite_properties("p.yml", &text[..cut], change);
                if let Some(content) = result.content {
                    assert!(rewrite_properties("p.yml", &content, change).status != RewriteStatus::Error, "{cut}: {content}");
                }
            }
        }
    }
}

#[test]
fn a_retype_needs_no_edit_in_yaml_except_in_sql_that_compares_the_column() {
    let retype = spec("analytics.stg_orders", r#"{"kind":"change_type","column":"order_id","to":"VARCHAR"}"#);
    let fixtures = run(UNIT_TESTS, &retype);
    assert_eq!((fixtures.status, fixtures.reasons.len()), (RewriteStatus::Unaffected, 0), "{:?}", fixtures.reasons);
    let tests = run(RELATIONSHIPS, &retype);
    assert_eq!(tests.status, RewriteStatus::Unaffected, "{:?}", tests.reasons);
    let amount = run(SEMANTIC, &spec("analytics.stg_orders", r#"{"kind":"change_type","column":"amount","to":"VARCHAR"}"#));
    assert_eq!(amount.status, RewriteStatus::NeedsEdit);
    assert_eq!(amount.reasons.len(), 1, "{:?}", amount.reasons);
    assert!(amount.reasons[0].starts_with("line 20, column 15: in `expr`: "), "{:?}", amount.reasons);
}
