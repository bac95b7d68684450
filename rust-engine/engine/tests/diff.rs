//! `diff_schemas` on pairs of real schema files (`tests/diff/`, see its
//! README): each snapshot is the JSON `ripple diff` prints. Paths are
//! relative to `tests/diff/`, as the snapshots show them.

mod common;

use ripple_engine::{diff_schemas, Dialect, DiffOptions, EngineError, SchemaDiff};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/diff/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn diff(old: &str, new: &str, options: DiffOptions) -> SchemaDiff {
    let (old_text, new_text) = (read(old), read(new));
    let diff = diff_schemas((old, &old_text), (new, &new_text), &options).unwrap();
    // What is decided is a change spec the engine takes as it is.
    if let Some(change) = &diff.change {
        ripple_engine::ChangeSpec::from_json(&serde_json::to_string(change).unwrap()).unwrap();
    }
    diff
}

fn json(diff: &SchemaDiff) -> String {
    serde_json::to_string_pretty(diff).unwrap()
}

fn error(old: (&str, &str), new: (&str, &str)) -> String {
    diff_schemas(old, new, &DiffOptions::default()).unwrap_err().to_string()
}

#[test]
fn dbt_property_file_with_a_declared_rename() {
    // Only `stg_orders` changes among the file's models: it is the dataset.
    check!(json(&diff("jaffle/old/schema.yml", "jaffle/new/schema.yml", DiffOptions::default())));
}

#[test]
fn ripple_columns_file_with_a_retype_a_drop_and_an_inferred_rename() {
    check!(json(&diff("orders/old/orders.schema.yaml", "orders/new/orders.schema.yaml", DiffOptions { dialect: Some(Dialect::BigQuery), ..DiffOptions::default() })));
}

#[test]
fn ripple_schema_json_with_a_declared_move_and_rename() {
    check!(json(&diff("tpch/old/schema.json", "tpch/new/schema.json", DiffOptions::default())));
}

#[test]
fn duckdb_ddl_with_a_retype_and_an_inferred_rename() {
    check!(json(&diff("shop/old/shop.sql", "shop/new/shop.sql", DiffOptions { dialect: Some(Dialect::DuckDb), ..DiffOptions::default() })));
}

#[test]
fn bq_schema_json_with_records() {
    check!(json(&diff("bq/old/orders.json", "bq/new/orders.json", DiffOptions::default())));
}

#[test]
fn bigquery_etl_versions_move_and_fold_columns_into_a_record() {
    let base = "bigquery-etl/moz-fx-data-shared-prod/stripe_external";
    check!(json(&diff(&format!("{base}/pre_fivetran_customers_v1/schema.yaml"), &format!("{base}/pre_fivetran_customers_v2/schema.yaml"), DiffOptions::default())));
}

#[test]
fn bigquery_etl_versions_replace_columns_by_a_repeated_record() {
    let base = "bigquery-etl/moz-fx-data-shared-prod/google_ads_derived";
    check!(json(&diff(&format!("{base}/campaigns_v1/schema.yaml"), &format!("{base}/campaigns_v2/schema.yaml"), DiffOptions::default())));
}

#[test]
fn a_file_against_itself_changes_nothing() {
    for path in ["jaffle/old/schema.yml", "orders/old/orders.schema.yaml", "bq/old/orders.json", "shop/old/shop.sql"] {
        let same = diff(path, path, DiffOptions { table: (path.starts_with("jaffle")).then(|| "stg_orders".into()), ..DiffOptions::default() });
        assert_eq!((same.change, same.suggestions.len(), same.undecided.len(), same.tables.len()), (None, 0, 0, 0), "{path}");
    }
}

#[test]
fn the_table_option_picks_a_table_and_declares_a_move() {
    // Two tables of the TPC-H schema change once `lineitem` loses a column.
    let old = read("tpch/old/schema.json");
    let new = read("tpch/new/schema.json").replacen("\"name\": \"l_comment\"", "\"name\": \"l_note\"", 1);
    let both = diff_schemas(("old.json", &old), ("new.json", &new), &DiffOptions::default()).unwrap();
    assert_eq!(both.tables, ["orders", "lineitem"]);
    assert_eq!((both.dataset.as_deref(), both.change.as_ref()), (None, None));
    assert!(both.undecided[0].reason.starts_with("2 tables changed (orders, lineitem)"), "{:?}", both.undecided);
    let lineitem = diff_schemas(("old.json", &old), ("new.json", &new), &DiffOptions { table: Some("lineitem".into()), ..DiffOptions::default() }).unwrap();
    assert_eq!(lineitem.suggestions[0].change, ripple_engine::Change::RenameColumn { column: "l_comment".into(), to: "l_note".into() });
    // A move declared on the command line, where the files say nothing.
    let old = r#"{"columns": [{"name": "id", "type": "INT64"}]}"#;
    let moved = diff_schemas(("a.json", old), ("b.json", old), &DiffOptions { table: Some("proj.ds.a=proj.ds.b".into()), ..DiffOptions::default() }).unwrap_err();
    assert!(moved.to_string().contains("no table `proj.ds.a`"), "{moved}");
    let moved = diff_schemas(("orders.json", old), ("orders_v2.json", old), &DiffOptions::default()).unwrap();
    assert_eq!(serde_json::to_value(moved.change.unwrap().changes).unwrap(), serde_json::json!([{"kind": "rename_table", "to": "orders_v2"}]));
}

#[test]
fn what_no_change_spec_can_say_is_undecided() {
    // A rename and a retype of one column: the spec changes a column once.
    let old = "columns:\n  - {name: amount, type: INT64}\n";
    let new = "columns:\n  - {name: amount_usd, type: NUMERIC, renamed_from: amount}\n";
    let diff = diff_schemas(("t.yaml", old), ("t.yaml", new), &DiffOptions::default()).unwrap();
    assert_eq!(diff.change.unwrap().changes, [ripple_engine::Change::RenameColumn { column: "amount".into(), to: "amount_usd".into() }]);
    assert_eq!((diff.undecided[0].line, diff.undecided[0].reason.contains("changes a column once")), (2, true));
    // A declared rename from a column that never was.
    let new = "columns:\n  - {name: amount, type: INT64}\n  - {name: total, type: INT64, renamed_from: sum}\n";
    let diff = diff_schemas(("t.yaml", old), ("t.yaml", new), &DiffOptions::default()).unwrap();
    assert!(diff.undecided[0].reason.contains("renamed_from `sum`, which the old schema does not have"), "{:?}", diff.undecided);
    // A type the dialect cannot read.
    let new = "columns:\n  - {name: amount, type: 'INT64; DROP TABLE x'}\n";
    let diff = diff_schemas(("t.yaml", old), ("t.yaml", new), &DiffOptions::default()).unwrap();
    assert!(diff.change.is_none() && diff.undecided[0].reason.contains("no SQL type of generic"), "{:?}", diff.undecided);
}

#[test]
fn bad_input_is_an_error_naming_the_file_line_and_column() {
    let good = ("ok.yaml", "columns: [id]\n");
    assert_eq!(error(("a.yaml", "version: 2\nfoo: [1]\n"), good), "a.yaml:1:1: unknown schema format: expected Ripple's schema ({\"tables\": ...} or a list of columns), a dbt property file (models: or sources:), a BigQuery schema (a JSON array of fields, or fields:) or CREATE TABLE statements (.sql)");
    assert_eq!(error(good, ("b.yml", "models:\n  - name: x\n    columns: [\n")), "b.yml:4:1: invalid YAML: while parsing a node, did not find expected node content");
    assert_eq!(error(("c.json", "[{\"name\": \"a\",\n \"type\": }]"), good), "c.json:2:10: invalid JSON: expected value");
    assert_eq!(error(("d.sql", "CREATE TABLE t (\n  a INT,\n  b\n);"), good), "d.sql:4:1: invalid SQL: Expected: a data type name, found: )");
    assert_eq!(error(("e.yml", "models:\n  - name: x\n    columns:\n      - description: no name\n"), good), "e.yml:4:9: `x` columns[0] has no `name`");
    let e = diff_schemas(("f.sql", "CREATE TABLE"), good, &DiffOptions::default()).unwrap_err();
    assert!(matches!(e, EngineError::InvalidSchemaFile { ref path, .. } if path == "f.sql"), "{e:?}");
    assert_eq!(serde_json::to_value(&e).unwrap()["kind"], "invalid_schema_file");
}

#[test]
fn hostile_input_is_refused_or_read_in_bounded_time() {
    let deep = format!("columns: {}1{}", "[".repeat(500), "]".repeat(500));
    let deep = error(("deep.yaml", &deep), ("ok.yaml", "columns: [id]"));
    assert!(deep.starts_with("deep.yaml:1:") && deep.contains("invalid YAML"), "{deep}");
    let chain = format!("CREATE TABLE t (a INT DEFAULT {})", vec!["1"; 5000].join(" + "));
    assert!(error(("chain.sql", &chain), ("ok.yaml", "columns: [id]")).contains("operators"));
    // 20,000 columns, every one renamed: past the pairs compared, only
    // positions pair, and the result comes at once.
    let columns = |prefix: &str| (0..20_000).map(|i| format!("  - {{name: {prefix}{i}, type: INT64}}\n")).collect::<String>();
    let (old, new) = (format!("columns:\n{}", columns("a")), format!("columns:\n{}", columns("b")));
    let started = std::time::Instant::now();
    let diff = diff_schemas(("t.yaml", &old), ("t.yaml", &new), &DiffOptions::default()).unwrap();
    assert_eq!((diff.suggestions.len(), diff.change.unwrap().changes.len()), (20_000, 20_000));
    assert!(diff.undecided[0].reason.contains("only columns at the same position were compared"));
    eprintln!("20,000 columns renamed: {:?}", started.elapsed());
}

#[test]
fn each_format_names_its_tables_as_consumers_do() {
    let changes = |old: (&str, &str), new: (&str, &str), options: DiffOptions| {
        let diff = diff_schemas(old, new, &options).unwrap();
        (diff.dataset.unwrap_or_default(), serde_json::to_value(diff.change.map(|c| c.changes)).unwrap())
    };
    // A dbt source table is `source.table`; a model moved by a declaration in its meta.
    let sources = "sources:\n  - name: shop\n    tables:\n      - name: orders\n        columns:\n          - name: id\n          - name: total\n";
    let (dataset, change) = changes(("a.yml", sources), ("a.yml", &sources.replace("- name: total", "- name: total\n            data_type: int")), DiffOptions::default());
    assert_eq!((dataset.as_str(), change), ("shop.orders", serde_json::Value::Null), "a type given where none was is no retype");
    let (dataset, change) = changes(("a.yml", sources), ("a.yml", &sources.replace("- name: total\n", "")), DiffOptions::default());
    assert_eq!((dataset.as_str(), change), ("shop.orders", serde_json::json!([{"kind": "drop_column", "column": "total"}])));
    let model = "models:\n  - name: orders\n    columns:\n      - name: id\n";
    let moved = "models:\n  - name: orders_v2\n    meta: {renamed_from: orders}\n    columns:\n      - name: id\n  - name: other\n    columns: [{name: x}]\n";
    let (dataset, change) = changes(("a.yml", model), ("a.yml", moved), DiffOptions::default());
    assert_eq!((dataset.as_str(), change), ("orders", serde_json::json!([{"kind": "rename_table", "to": "orders_v2"}])));
    // A `{column: type}` mapping, and a table's JSON from `bq show` with its `schema`.
    let (dataset, change) = changes(("t/orders.yaml", "id: INT64\namount: NUMERIC\n"), ("t/orders.yaml", "id: STRING\namount: NUMERIC\n"), DiffOptions::default());
    assert_eq!((dataset.as_str(), change), ("orders", serde_json::json!([{"kind": "change_type", "column": "id", "to": "STRING"}])));
    let table = |t: &str| format!("{{\"schema\": {{\"fields\": [{{\"name\": \"id\", \"type\": \"{t}\"}}]}}}}");
    let (dataset, change) = changes(("proj/ds/orders/schema.json", &table("INTEGER")), ("proj/ds/orders/schema.json", &table("STRING")), DiffOptions::default());
    assert_eq!((dataset.as_str(), change), ("proj.ds.orders", serde_json::json!([{"kind": "change_type", "column": "id", "to": "STRING"}])));
    // `format` reads a file whose name says nothing as DDL.
    let ddl = |t: &str| format!("CREATE TABLE ds.t (id {t})");
    let options = DiffOptions { format: Some(ripple_engine::SchemaFormat::Ddl), dialect: Some(Dialect::Postgres), table: None };
    let (dataset, change) = changes(("old.txt", &ddl("INT")), ("new.txt", &ddl("BIGINT")), options);
    assert_eq!((dataset.as_str(), change), ("ds.t", serde_json::json!([{"kind": "change_type", "column": "id", "to": "BIGINT"}])));
}

#[test]
fn every_truncation_of_the_real_files_is_read_or_refused_without_a_panic() {
    let files = [
        "jaffle/old/schema.yml",
        "orders/old/orders.schema.yaml",
        "tpch/old/schema.json",
        "shop/old/shop.sql",
        "bq/old/orders.json",
        "bigquery-etl/moz-fx-data-shared-prod/stripe_external/pre_fivetran_customers_v2/schema.yaml",
    ];
    for path in files {
        let text = read(path);
        for cut in (0..text.len()).step_by(5).filter(|&c| text.is_char_boundary(c)) {
            let cut_text = &text[..cut];
            // Either way round, and against itself: errors name the file.
            for (old, new) in [((path, cut_text), (path, text.as_str())), ((path, text.as_str()), (path, cut_text))] {
                if let Err(EngineError::InvalidSchemaFile { path: at, line, column, .. }) = diff_schemas(old, new, &DiffOptions::default()) {
                    assert!(at == path && line >= 1 && column >= 1, "{path} cut at {cut}");
                }
            }
        }
    }
}
