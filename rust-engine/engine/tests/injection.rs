//! SQL smuggled in through a change spec or a schema: `replace_table`
//! mappings and types end up in the compatibility view's DDL (which the
//! backend runs whole) and in consumers' code. Each must be one expression or
//! one data type of the dialect, written from its parsed form; anything else
//! is refused with an error naming the field. The CLI's and the WebAssembly
//! package's own tests refuse the same inputs (`rust-engine/cli/tests/cli.rs`,
//! `packages/engine/test/injection.test.js`).

use std::collections::BTreeMap;

use ripple_engine::{check_change, compat_view, Change, ChangeProblem, ChangeSpec, Dialect, EngineError, Language, Options, RewriteStatus, Schema};

const INJECTION: &str = "1 FROM t; DROP TABLE x; SELECT 1";

fn spec_json(changes: &str) -> String {
    format!(r#"{{"dataset": "proj.ds.orders", "changes": [{changes}]}}"#)
}

fn mapping(to: &str) -> String {
    let to = serde_json::to_string(to).unwrap();
    spec_json(&format!(r#"{{"kind": "replace_table", "to": "proj.core.orders", "columns": {{"id": "id_v2", "amount": {to}}}}}"#))
}

/// A spec built in Rust, which has not been through `from_json`'s checks.
fn unchecked_spec(amount: &str) -> ChangeSpec {
    ChangeSpec {
        dataset: "proj.ds.orders".into(),
        dialect: None,
        changes: vec![Change::ReplaceTable { to: "proj.core.orders".into(), columns: BTreeMap::from([("amount".to_string(), amount.to_string())]) }],
        preserve_output_names: true,
    }
}

fn schema(json: &str) -> Schema {
    Schema::from_json(json).unwrap()
}

#[test]
fn a_mapping_holding_statements_is_refused_in_every_dialect() {
    for dialect in Dialect::ALL {
        let error = ChangeSpec::from_json_in(&mapping(INJECTION), Some(dialect)).unwrap_err();
        let EngineError::InvalidChange { field, message } = &error else { panic!("{error:?}") };
        assert_eq!(field.as_deref(), Some("changes[0].columns.amount"), "{dialect}");
        assert!(message.contains("`FROM` at line 1, column 3"), "{dialect}: {message}");
        assert!(error.to_string().starts_with("invalid change spec: changes[0].columns.amount: must be a column, a field path or one SQL expression"), "{error}");
    }
}

#[test]
fn the_check_lists_every_problem_with_its_field() {
    let json = spec_json(&format!(
        r#"{{"kind": "change_type", "column": "id", "to": "INT); DROP TABLE x; --"}},
           {{"kind": "replace_table", "to": "proj.core.orders", "columns": {{"amount": {}, "note": "(SELECT secret FROM users)", "ts": "a;"}}}}"#,
        serde_json::to_string(INJECTION).unwrap()
    ));
    let problems = check_change(&json, Some(Dialect::Postgres));
    let fields: Vec<&str> = problems.iter().filter_map(|p| p.field.as_deref()).collect();
    assert_eq!(fields, ["changes[0].to", "changes[1].columns.amount", "changes[1].columns.note", "changes[1].columns.ts"]);
    assert!(problems[2].message.contains("must not hold a subquery"), "{problems:?}");
    assert!(problems[3].message.contains("`;` at line 1, column 2"), "{problems:?}");
    // A usable spec has no problem; malformed JSON has one, with no field.
    assert_eq!(check_change(&mapping("amount_cents / 100"), None), []);
    assert!(matches!(&check_change("{", None)[..], [ChangeProblem { field: None, .. }]));
}

#[test]
fn mappings_are_checked_in_the_dialect_they_are_written_in() {
    // Backquotes quote a name in MySQL only, not in PostgreSQL.
    let json = mapping("`unit price` * 2");
    assert_eq!(check_change(&json, Some(Dialect::MySql)), []);
    assert!(ChangeSpec::from_json_in(&json, Some(Dialect::MySql)).is_ok());
    assert!(!check_change(&json, Some(Dialect::Postgres)).is_empty());
    // Without a dialect, the spec's own, then generic.
    let with_dialect = json.replacen('{', r#"{"dialect": "mysql", "#, 1);
    assert_eq!(check_change(&with_dialect, None), []);
}

#[test]
fn the_compatibility_view_refuses_a_spec_built_around_the_checks() {
    for dialect in Dialect::ALL {
        let error = compat_view(&unchecked_spec(INJECTION), dialect, None).unwrap_err();
        assert!(matches!(&error, EngineError::InvalidChange { field: Some(f), .. } if f == "changes[0].columns.amount"), "{dialect}: {error:?}");
    }
}

#[test]
fn the_rewrite_refuses_a_spec_built_around_the_checks() {
    let text = "SELECT o.amount FROM proj.ds.orders o";
    for dialect in Dialect::ALL {
        let result = ripple_engine::rewrite("q.sql", Language::Sql, text, &unchecked_spec(INJECTION), Options { dialect, schema: None });
        assert_eq!(result.status, RewriteStatus::Error, "{dialect}");
        assert!(result.reasons[0].starts_with("invalid change spec: changes[0].columns.amount: "), "{:?}", result.reasons);
        assert_eq!(result.content, None);
    }
}

#[test]
fn schema_types_the_view_writes_are_refused_unless_one_data_type() {
    let spec = ChangeSpec::from_json(&spec_json(r#"{"kind": "drop_column", "column": "legacy_flag"}, {"kind": "rename_table", "to": "proj.core.orders"}"#)).unwrap();
    let hostile = schema(
        r#"{"tables": {"proj.ds.orders": {"columns": [{"name": "id", "type": "INT64"},
            {"name": "legacy_flag", "type": "BOOL) AS legacy_flag FROM t; DROP TABLE x; SELECT CAST(NULL AS BOOL"}]}}}"#,
    );
    for dialect in Dialect::ALL {
        let error = compat_view(&spec, dialect, Some(&hostile)).unwrap_err();
        let EngineError::InvalidSchema { field, message } = &error else { panic!("{error:?}") };
        assert_eq!(field.as_deref(), Some("tables.proj.ds.orders.columns[1].type"), "{dialect}");
        assert!(message.contains("`)` at line 1, column 5"), "{dialect}: {message}");
    }
}

#[test]
fn expressions_and_types_are_written_from_their_parsed_form() {
    // The comment would hide the rest of the line it lands on; the parsed
    // form has none, and spells the type the way `sqlparser` writes it.
    let spec = ChangeSpec::from_json(&spec_json(
        r#"{"kind": "drop_column", "column": "legacy_flag"},
           {"kind": "replace_table", "to": "proj.core.orders", "columns": {"amount": "amount_cents/100 -- dollars"}}"#,
    ))
    .unwrap();
    let old = schema(r#"{"tables": {"proj.ds.orders": {"columns": [{"name": "amount"}, {"name": "legacy_flag", "type": "numeric( 10 ,2 )"}]}}}"#);
    let view = compat_view(&spec, Dialect::Postgres, Some(&old)).unwrap();
    assert_eq!(view.create, "CREATE OR REPLACE VIEW proj.ds.orders AS\nSELECT\n  (amount_cents / 100) AS amount,\n  CAST(NULL AS NUMERIC(10,2)) AS legacy_flag\nFROM proj.core.orders;");
    let result = ripple_engine::rewrite("q.sql", Language::Sql, "SELECT o.amount FROM proj.ds.orders o", &spec, Options { dialect: Dialect::Postgres, schema: None });
    assert_eq!(result.content.as_deref(), Some("SELECT (o.amount_cents / 100) AS amount FROM proj.core.orders o"), "{result:?}");
}
