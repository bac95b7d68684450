//! A change spec's own SQL (`replace_table` mappings, types) and the
//! schema's types, in every dialect: the engine must never panic, and a
//! compatibility view it builds must be exactly the statements it means
//! (one `CREATE VIEW` of the old name; Hive drops the view first), whatever
//! the mapping or type held; so must each statement of a step plan. Run
//! from the repository root with
//! `RUSTC_BOOTSTRAP=1 cargo +nightly fuzz run --fuzz-dir rust-engine/fuzz change`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ripple_engine::{ChangeSpec, Dialect, Language, Options, Schema};

fuzz_target!(|data: &[u8]| {
    let [selector, rest @ ..] = data else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let dialect = Dialect::ALL[*selector as usize % Dialect::ALL.len()];
    // The text is a mapping, a type and a schema type, or (when it is one)
    // a whole spec.
    let (mapping, data_type) = text.split_once('\u{0}').unwrap_or((text, "INT64"));
    let quoted = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let json = if text.trim_start().starts_with('{') {
        text.to_string()
    } else {
        format!(
            r#"{{"dataset": "proj.ds.orders", "changes": [{{"kind": "drop_column", "column": "flag"}},
                {{"kind": "change_type", "column": "id", "to": {}}},
                {{"kind": "replace_table", "to": "proj.core.orders", "columns": {{"amount": {}}}}}]}}"#,
            quoted(data_type),
            quoted(mapping)
        )
    };
    let problems = ripple_engine::check_change(&json, Some(dialect));
    let Ok(spec) = ChangeSpec::from_json_in(&json, Some(dialect)) else {
        assert!(!problems.is_empty(), "from_json_in refused a spec check_change accepts");
        return;
    };
    assert!(problems.is_empty(), "check_change refused a spec from_json_in accepts: {problems:?}");
    let schema = Schema::from_json(&format!(
        r#"{{"tables": {{"proj.ds.orders": {{"columns": [{{"name": "id", "type": "INT64"}}, {{"name": "amount"}}, {{"name": "flag", "type": {}}}]}}}}}}"#,
        quoted(data_type)
    ))
    .expect("a valid schema");
    for schema in [Some(&schema), None] {
        match ripple_engine::compat_view(&spec, dialect, schema) {
            Ok(view) => {
                // The DDL holds exactly the statements it means, and they parse.
                let statements = ripple_engine::tables(&view.create, dialect).expect("the view's DDL parses");
                let expected = if dialect == Dialect::Hive { 2 } else { 1 };
                assert_eq!(statements.len(), expected, "{}", view.create);
                assert!(statements.iter().all(|s| s.writes.len() <= 1), "{}", view.create);
            }
            // Without a schema the view holds only what the spec's checks
            // bound, so it never grows too large to read back.
            Err(error) if schema.is_none() => {
                assert!(!error.to_string().contains("would not read back"), "a spec check_change accepts: {error}")
            }
            Err(_) => {}
        }
    }
    // The step plan, from a schema that types every column: refused with an
    // error, or five steps whose every statement reads back as one.
    let typed = Schema::from_json(&format!(
        r#"{{"tables": {{"proj.ds.orders": {{"columns": [{{"name": "id", "type": "INT64"}}, {{"name": "amount", "type": "INT64"}}, {{"name": "flag", "type": {}}}]}}}}}}"#,
        quoted(data_type)
    ))
    .expect("a valid schema");
    let options = ripple_engine::StepPlanOptions { dialect: Some(dialect), schema: typed, key: None, batch_rows: Some(7) };
    if let Ok(plan) = ripple_engine::step_plan(&spec, &options) {
        assert_eq!(plan.steps.len(), 5);
        for statement in plan.steps.iter().flat_map(|step| step.statements.iter().chain(&step.rollback).chain(&step.approval)) {
            let read = ripple_engine::tables(statement, dialect).expect("the plan's SQL parses");
            assert_eq!(read.len(), 1, "{statement}");
        }
    }
    let options = Options { dialect, schema: Some(&schema) };
    ripple_engine::rewrite("q.sql", Language::Sql, "SELECT o.amount, o.id FROM proj.ds.orders o WHERE o.id = 1", &spec, options);
});
