//! Compatibility views: the DDL for every change kind in every dialect, with
//! a schema of the old table and without one. The DDL runs for real on
//! PostgreSQL and DuckDB in `packages/engine/test/compat-view.test.js`.

use std::fmt::Write;

use ripple_engine::{compat_view, ChangeSpec, Dialect, EngineError, Schema};

/// The old table `proj.ds.orders`.
const SCHEMA: &str = r#"{"tables": {"proj.ds.orders": {"columns": [
  {"name": "id", "type": "INT64"},
  {"name": "amount", "type": "NUMERIC"},
  {"name": "legacy_flag", "type": "BOOL"},
  {"name": "cust", "type": "INT64"},
  {"name": "ts", "type": "TIMESTAMP"},
  {"name": "status"}]}}}"#;

fn spec(changes: &str) -> ChangeSpec {
    ChangeSpec::from_json(&format!(r#"{{"dataset": "proj.ds.orders", "changes": [{changes}]}}"#)).expect("valid change")
}

/// The DDL of `changes` in every dialect, with and without the schema.
fn every_dialect(changes: &str) -> String {
    let spec = spec(changes);
    let schema = Schema::from_json(SCHEMA).unwrap();
    let mut out = format!("change: [{changes}]\n");
    for dialect in Dialect::ALL {
        for (label, schema) in [("with the schema", Some(&schema)), ("without a schema", None)] {
            write!(out, "\n-- {dialect}, {label}\n").unwrap();
            match compat_view(&spec, dialect, schema) {
                Ok(view) => writeln!(out, "{}\n-- cleanup\n{}", view.create, view.cleanup).unwrap(),
                Err(error) => writeln!(out, "error: {error}").unwrap(),
            }
        }
    }
    out
}

macro_rules! check {
    ($value:expr) => {
        insta::with_settings!({ omit_expression => true }, { insta::assert_snapshot!($value) })
    };
}

const MOVE: &str = r#"{"kind": "rename_table", "to": "proj.sales.orders_v2"}"#;

#[test]
fn rename_table_selects_everything_from_the_new_name() {
    check!(every_dialect(MOVE));
}

#[test]
fn rename_column_becomes_an_alias() {
    check!(every_dialect(&format!(r#"{{"kind": "rename_column", "column": "amount", "to": "amount_usd"}}, {MOVE}"#)));
}

#[test]
fn drop_column_becomes_a_typed_null() {
    check!(every_dialect(&format!(r#"{{"kind": "drop_column", "column": "legacy_flag"}}, {MOVE}"#)));
}

#[test]
fn change_type_casts_back_to_the_old_type() {
    check!(every_dialect(&format!(r#"{{"kind": "change_type", "column": "id", "to": "STRING"}}, {MOVE}"#)));
}

#[test]
fn replace_table_maps_names_paths_and_expressions() {
    check!(every_dialect(
        r#"{"kind": "replace_table", "to": "proj.core.orders",
            "columns": {"amount": "amount_usd", "cust": "customer.id", "ts": "TIMESTAMP_MILLIS(ts_ms)"}}"#
    ));
}

#[test]
fn the_issue_example_combines_every_column_change_with_a_replacement() {
    check!(every_dialect(
        r#"{"kind": "drop_column", "column": "legacy_flag"},
           {"kind": "change_type", "column": "id", "to": "STRING"},
           {"kind": "replace_table", "to": "proj.core.orders",
            "columns": {"amount": "amount_usd", "cust": "customer.id", "ts": "TIMESTAMP_MILLIS(ts_ms)"}}"#
    ));
}

#[test]
fn names_are_quoted_per_dialect_only_when_needed() {
    let spec = ChangeSpec::from_json(
        r#"{"dataset": "my-proj.select.orders", "changes": [
            {"kind": "rename_column", "column": "order", "to": "unit price"},
            {"kind": "replace_table", "to": "my-proj.core.Order Lines", "columns": {"group": "from.to"}}]}"#,
    )
    .unwrap();
    let schema = Schema::from_json(r#"{"tables": {"my-proj.select.orders": {"columns": [{"name": "Id"}, {"name": "order"}, {"name": "group"}, {"name": "a\"b`c"}]}}}"#).unwrap();
    let mut out = String::new();
    for dialect in Dialect::ALL {
        // BigQuery refuses the column a"b`c (a_bigquery_name_with_a_backquote_is_refused).
        match compat_view(&spec, dialect, Some(&schema)) {
            Ok(view) => write!(out, "-- {dialect}\n{}\n-- cleanup\n{}\n\n", view.create, view.cleanup).unwrap(),
            Err(error) => write!(out, "-- {dialect}\nerror: {error}\n\n").unwrap(),
        }
    }
    check!(out);
}

fn error(changes: &str, dialect: Dialect, schema: Option<&str>) -> EngineError {
    let schema = schema.map(|s| Schema::from_json(s).unwrap());
    compat_view(&spec(changes), dialect, schema.as_ref()).unwrap_err()
}

#[test]
fn an_in_place_change_is_refused_because_the_old_name_is_still_the_table() {
    let e = error(r#"{"kind": "rename_column", "column": "amount", "to": "amount_usd"}"#, Dialect::Postgres, Some(SCHEMA));
    assert_eq!(
        e.to_string(),
        "cannot build a compatibility view: the change keeps proj.ds.orders in place, and a view cannot take the name \
         of the table it reads; a compatibility view needs the table to move (add a rename_table or replace_table change)"
    );
    assert_eq!(serde_json::to_value(&e).unwrap()["kind"], "compat_view");
}

#[test]
fn a_dropped_or_retyped_column_without_its_old_type_is_an_error_naming_it() {
    let e = error(&format!(r#"{{"kind": "drop_column", "column": "status"}}, {MOVE}"#), Dialect::DuckDb, Some(SCHEMA));
    assert_eq!(e, EngineError::CompatView { column: Some("status".into()), message: "the schema gives no type for column status, which the view must rebuild with its old type".into() });
    let e = error(&format!(r#"{{"kind": "change_type", "column": "id", "to": "STRING"}}, {MOVE}"#), Dialect::BigQuery, None);
    assert_eq!(e, EngineError::CompatView { column: Some("id".into()), message: "the view must rebuild column id with its old type, which only a schema of proj.ds.orders gives".into() });
}

#[test]
fn without_star_modifiers_a_rename_needs_a_schema() {
    let e = error(&format!(r#"{{"kind": "rename_column", "column": "amount", "to": "amount_usd"}}, {MOVE}"#), Dialect::Postgres, None);
    assert_eq!(
        e.to_string(),
        "cannot build a compatibility view: postgres SQL cannot select * without some columns (amount_usd), so the \
         view must list the old columns: give a schema of proj.ds.orders"
    );
}

#[test]
fn the_schema_must_describe_the_old_table_and_every_column_the_change_names() {
    let other = r#"{"tables": {"proj.core.orders": {"columns": [{"name": "id"}]}}}"#;
    let e = error(MOVE, Dialect::Snowflake, Some(other));
    assert_eq!(
        e.to_string(),
        "cannot build a compatibility view: the schema has no table proj.ds.orders; it must list the dataset's columns \
         as they are before the change"
    );
    let e = error(&format!(r#"{{"kind": "drop_column", "column": "gone"}}, {MOVE}"#), Dialect::Snowflake, Some(SCHEMA));
    assert_eq!(e, EngineError::CompatView { column: Some("gone".into()), message: "the change names column gone, which the schema of proj.ds.orders does not list".into() });
}

#[test]
fn a_schema_keyed_by_a_shorter_name_describes_the_dataset() {
    let schema = Schema::from_json(r#"{"tables": {"ds.orders": {"columns": [{"name": "id"}, {"name": "amount"}]}}}"#).unwrap();
    let spec = spec(&format!(r#"{{"kind": "rename_column", "column": "amount", "to": "amount_usd"}}, {MOVE}"#));
    let view = compat_view(&spec, Dialect::Postgres, Some(&schema)).unwrap();
    assert_eq!(view.create, "CREATE OR REPLACE VIEW proj.ds.orders AS\nSELECT\n  id,\n  amount_usd AS amount\nFROM proj.sales.orders_v2;");
    assert_eq!(view.cleanup, "DROP VIEW IF EXISTS proj.ds.orders;");
    assert_eq!((view.view.as_str(), view.table.as_str()), ("proj.ds.orders", "proj.sales.orders_v2"));
}

// What the spec's checks accept must make a view that reads back: its DDL is
// parsed under the same depth and operator caps as any statement (`depth.rs`).

/// A spec replacing the table, with `columns` (a JSON object) as mappings.
fn replacing(columns: &str) -> String {
    format!(r#"{{"dataset": "proj.ds.orders", "changes": [{{"kind": "replace_table", "to": "proj.core.orders", "columns": {columns}}}]}}"#)
}

/// `Ok` when the view of `spec` in `dialect`, with a schema listing `amount`
/// of type `old_type` and without a schema, reads back as its statements.
fn reads_back(spec: &ChangeSpec, dialect: Dialect, old_type: &str) -> Result<(), String> {
    let schema =
        Schema::from_json(&format!(r#"{{"tables": {{"proj.ds.orders": {{"columns": [{{"name": "id"}}, {{"name": "amount", "type": {}}}]}}}}}}"#, serde_json::to_string(old_type).unwrap())).unwrap();
    for schema in [Some(&schema), None] {
        let view = compat_view(spec, dialect, schema).map_err(|e| e.to_string())?;
        ripple_engine::tables(&view.create, dialect).map_err(|e| format!("{e}:\n{}", view.create))?;
    }
    Ok(())
}

#[test]
fn the_deepest_mapping_accepted_still_reads_back_inside_the_view() {
    // A mapping nested 62 levels deep read alone, but not 3 levels further
    // down in the view (found by the `change` fuzz target).
    type Form = (&'static str, fn(usize) -> String);
    let forms: [Form; 4] = [
        ("unary +", |k| format!("a {}b", "+ ".repeat(k))),
        ("parentheses", |k| format!("{}a{} + 1", "(".repeat(k), ")".repeat(k))),
        ("calls", |k| format!("{}a{}", "f(".repeat(k), ")".repeat(k))),
        ("NOT", |k| format!("{}a", "NOT ".repeat(k))),
    ];
    for dialect in Dialect::ALL {
        for (form, mapping) in forms {
            let json = |k: usize| replacing(&format!(r#"{{"amount": {}}}"#, serde_json::to_string(&mapping(k)).unwrap()));
            let deepest = (1..80).take_while(|&k| ripple_engine::check_change(&json(k), Some(dialect)).is_empty()).last();
            let deepest = deepest.unwrap_or_else(|| panic!("{dialect} {form}: not even one level is accepted"));
            assert!(deepest < 79, "{dialect} {form}: no depth is refused");
            let spec = ChangeSpec::from_json_in(&json(deepest), Some(dialect)).unwrap();
            reads_back(&spec, dialect, "INT64").unwrap_or_else(|e| panic!("{dialect} {form}, {deepest} levels: {e}"));
        }
    }
}

#[test]
fn the_deepest_type_accepted_still_reads_back_inside_the_view() {
    // An old type is written inside `CAST(NULL AS ...)`, three levels down.
    let schema_type = |k: usize| format!("{}INT64{}", "ARRAY<".repeat(k), ">".repeat(k));
    let spec = |dialect| {
        let json = r#"{"dataset": "proj.ds.orders", "changes": [{"kind": "drop_column", "column": "amount"}, {"kind": "rename_table", "to": "proj.core.orders"}]}"#;
        ChangeSpec::from_json_in(json, Some(dialect)).unwrap()
    };
    for dialect in [Dialect::BigQuery, Dialect::Generic, Dialect::Hive, Dialect::Spark] {
        let deepest = (1..80)
            .take_while(|&k| {
                let json = format!(r#"{{"dataset": "t", "changes": [{{"kind": "change_type", "column": "c", "to": "{}"}}]}}"#, schema_type(k));
                ripple_engine::check_change(&json, Some(dialect)).is_empty()
            })
            .last()
            .unwrap();
        assert!(deepest < 79, "{dialect}: no depth is refused");
        let schema = Schema::from_json(&format!(r#"{{"tables": {{"proj.ds.orders": {{"columns": [{{"name": "amount", "type": "{}"}}]}}}}}}"#, schema_type(deepest))).unwrap();
        let view = compat_view(&spec(dialect), dialect, Some(&schema)).unwrap();
        ripple_engine::tables(&view.create, dialect).unwrap_or_else(|e| panic!("{dialect}, {deepest} levels: {e}"));
        // One level more is refused, naming the schema's field.
        let schema = Schema::from_json(&format!(r#"{{"tables": {{"proj.ds.orders": {{"columns": [{{"name": "amount", "type": "{}"}}]}}}}}}"#, schema_type(deepest + 1))).unwrap();
        let error = compat_view(&spec(dialect), dialect, Some(&schema)).unwrap_err();
        assert!(matches!(&error, EngineError::InvalidSchema { field: Some(f), .. } if f == "tables.proj.ds.orders.columns[0].type"), "{error}");
    }
}

#[test]
fn the_change_fuzz_target_crashes_are_refused_naming_the_mapping() {
    // The target's crash inputs (crash-a63e572e..., crash-d307e41e...): a
    // dialect byte, then the mapping.
    let crashes: [&[u8]; 2] = [
        b"amooj.e+++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++oremlll44",
        b"drcORDEggggggWWWWWWWWWWWWgggggproj.coWHEREgggggggggggggg++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++T++++++++++++++++++++++++++++++++++++++++++++++++++gggggggggggggggggggggggggggggggggggggR",
    ];
    let mut out = String::new();
    for crash in crashes {
        let dialect = Dialect::ALL[crash[0] as usize % Dialect::ALL.len()];
        let mapping = std::str::from_utf8(&crash[1..]).unwrap();
        let problems = ripple_engine::check_change(&replacing(&format!(r#"{{"amount": {}}}"#, serde_json::to_string(mapping).unwrap())), Some(dialect));
        writeln!(out, "{dialect}: {mapping}\n{}\n", serde_json::to_string_pretty(&problems).unwrap()).unwrap();
    }
    check!(out);
}

#[test]
fn the_mappings_together_stay_within_the_operator_cap_of_the_view() {
    // The view is one statement holding every mapping, plus its own `OR`
    // (`CREATE OR REPLACE`) and `*`: 4,000 operators in one mapping, or
    // 2,500 in each of two, passed each mapping's own cap but made a view
    // that did not read back.
    let sum = |operators: usize| vec!["a"; operators + 1].join(" + ");
    let json = |columns: &[(&str, String)]| {
        let columns: Vec<String> = columns.iter().map(|(c, m)| format!("{}: {}", serde_json::to_string(c).unwrap(), serde_json::to_string(m).unwrap())).collect();
        replacing(&format!("{{{}}}", columns.join(", ")))
    };
    let problems = |json: &str| ripple_engine::check_change(json, Some(Dialect::Postgres));
    let fits = json(&[("amount", sum(3_998))]);
    assert_eq!(problems(&fits), vec![]);
    reads_back(&ChangeSpec::from_json_in(&fits, Some(Dialect::Postgres)).unwrap(), Dialect::Postgres, "INT").unwrap();
    let one = problems(&json(&[("amount", sum(3_999))]));
    assert_eq!(one.len(), 1, "{one:?}");
    assert_eq!(one[0].field.as_deref(), Some("changes[0].columns.amount"));
    assert_eq!(
        one[0].message,
        "makes the compatibility view, which holds every mapping in one statement, count more than 4000 operators \
         (4001); a statement with more cannot be read back"
    );
    let two = problems(&json(&[("amount", sum(2_500)), ("id", sum(2_500))]));
    assert_eq!(two.iter().map(|p| p.field.as_deref().unwrap()).collect::<Vec<_>>(), ["changes[0].columns.id"], "{two:?}");
    // A field path counts one (`->>` in MySQL, `:` in Snowflake).
    let paths = json(&[("amount", sum(3_997)), ("id", "c.f".into())]);
    assert_eq!(problems(&paths), vec![]);
    assert_eq!(problems(&json(&[("amount", sum(3_998)), ("id", "c.f".into())])).len(), 1);
    reads_back(&ChangeSpec::from_json_in(&paths, Some(Dialect::MySql)).unwrap(), Dialect::MySql, "INT").unwrap();
}

#[test]
fn a_view_whose_old_types_make_it_unreadable_is_refused() {
    // The schema's types of changed columns are not the spec's: 2,100
    // dropped columns of type ARRAY<INT64> (two operators each) make a view
    // of 4,201 operators (with `CREATE OR REPLACE`), which no check of the spec sees.
    let columns: Vec<String> = (0..2_100).map(|i| format!(r#"{{"name": "c{i}", "type": "ARRAY<INT64>"}}"#)).collect();
    let schema = Schema::from_json(&format!(r#"{{"tables": {{"proj.ds.orders": {{"columns": [{}]}}}}}}"#, columns.join(", "))).unwrap();
    let drops: Vec<String> = (0..2_100).map(|i| format!(r#"{{"kind": "drop_column", "column": "c{i}"}}"#)).collect();
    let spec = spec(&format!("{}, {MOVE}", drops.join(", ")));
    let error = compat_view(&spec, Dialect::BigQuery, Some(&schema)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot build a compatibility view: the view's DDL would not read back: it counts 4201 operators, more than \
         the 4000 any statement may hold; the mappings and the old types of the changed columns together are too \
         large for one view"
    );
    assert_eq!(error, EngineError::CompatView { column: None, message: error.to_string()["cannot build a compatibility view: ".len()..].to_string() });
}

#[test]
fn mappings_starting_with_a_keyword_read_back_as_the_view_writes_them() {
    // `SELECT.a & b` is one expression alone in BigQuery, but the view
    // writes `(SELECT.a & b)`, which reads as a subquery (found by the
    // `change` fuzz target, crash-267843fd...). Whatever the checks accept
    // must read back inside the view.
    let mappings = [
        "SELECT.covoRoj.rMco.jpplVV&VVVVVVV^VV^sVVVVVVV",
        "SELECT.a & b",
        "SELECT.a",
        "select.a.b",
        "FROM.a + 1",
        "WITH.a + 1",
        "VALUES.a * 2",
        "TABLE.a || 'x'",
        "(SELECT.a)",
        "f(SELECT.a)",
        // After `*,` Snowflake reads `MINUS` as ending the select list with a
        // trailing comma (crash-f7c80a22..., after about 877k executions).
        "MINUS(038)",
        "UNION(a)",
        "EXCEPT(a)",
        "FROM(a)",
        "MINUS.\"a b\"",
        "\"MINUS\".\"a b\"",
    ];
    let mut out = String::new();
    for dialect in Dialect::ALL {
        for mapping in mappings {
            let json = replacing(&format!(r#"{{"amount": {}}}"#, serde_json::to_string(mapping).unwrap()));
            match ChangeSpec::from_json_in(&json, Some(dialect)) {
                Ok(spec) => {
                    reads_back(&spec, dialect, "INT").unwrap_or_else(|e| panic!("{dialect} `{mapping}`: {e}"));
                    writeln!(out, "{dialect} `{mapping}`: accepted").unwrap();
                }
                Err(e) => writeln!(out, "{dialect} `{mapping}`: {e}").unwrap(),
            }
        }
    }
    check!(out);
}

#[test]
fn a_bigquery_name_with_a_backquote_is_refused() {
    // BigQuery would read `proj\`c` (its escape), `sqlparser` does not, so
    // the engine could not read its own view (crash-b9345f91...).
    let spec = ChangeSpec::from_json(r#"{"dataset": "proj.ds.orders", "changes": [{"kind": "replace_table", "to": "proj`c.re.orders", "columns": {"amount": "a + 0"}}]}"#).unwrap();
    let error = compat_view(&spec, Dialect::BigQuery, None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot build a compatibility view: bigquery SQL cannot name `proj`c` so that the engine reads it back: BigQuery \
         escapes a backquote inside a quoted name with a backslash, which sqlparser does not read (and no BigQuery \
         project, dataset or table name can hold one)"
    );
    // Elsewhere the quote is doubled, which `sqlparser` reads.
    for dialect in [Dialect::Spark, Dialect::MySql, Dialect::Hive, Dialect::Databricks] {
        let view = compat_view(&spec, dialect, None).unwrap();
        ripple_engine::tables(&view.create, dialect).unwrap_or_else(|e| panic!("{dialect}: {e}"));
    }
}
