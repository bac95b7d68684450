//! Findings as data: each reason a rewrite gives has its kind, severity and
//! place as fields; the deprecated `reasons` are written from them as
//! before; and fixes are kept or withdrawn whole, so a column's expression
//! that replaces a qualifier never collides with the qualifier's own edit.

use ripple_engine::{ChangeSpec, Dialect, FileRewrite, Finding, FindingKind, FindingSeverity, Language, Location, Options, RewriteStatus};

fn spec(changes: &str) -> ChangeSpec {
    ChangeSpec::from_json(&format!(r#"{{"dataset":"proj.ds.orders","changes":[{changes}]}}"#)).unwrap()
}

fn rewrite(language: Language, text: &str, changes: &str) -> FileRewrite {
    ripple_engine::rewrite("q", language, text, &spec(changes), Options { dialect: Dialect::BigQuery, schema: None })
}

fn at(line: u64, column: u64) -> Option<Location> {
    Some(Location { line, column })
}

/// The findings' kinds and severities, in order.
fn kinds(result: &FileRewrite) -> Vec<(FindingKind, FindingSeverity)> {
    result.findings.iter().map(|f| (f.kind, f.severity)).collect()
}

const DROP: &str = r#"{"kind":"drop_column","column":"legacy"}"#;
const RETYPE: &str = r#"{"kind":"change_type","column":"id","to":"STRING"}"#;
const RENAME: &str = r#"{"kind":"rename_column","column":"amount","to":"amount_usd"}"#;

#[test]
fn a_finding_spans_the_name_it_is_about_and_its_message_has_no_place() {
    let result = rewrite(Language::Sql, "SELECT id,\n  legacy FROM proj.ds.orders", DROP);
    assert_eq!(result.status, RewriteStatus::NeedsEdit);
    assert_eq!(
        result.findings,
        [Finding { kind: FindingKind::DroppedColumnUsed, severity: FindingSeverity::NeedsEdit, start: at(2, 3), end: at(2, 9), message: "reads `legacy`, which the change drops".into() }]
    );
    assert_eq!(result.reasons, ["line 2, column 3: reads `legacy`, which the change drops"]);
}

#[test]
fn the_findings_are_what_the_status_is_about() {
    // The use that needs an edit, not the note on the one that does not.
    let result = rewrite(Language::Sql, "SELECT id FROM proj.ds.orders WHERE id = 1", RETYPE);
    assert_eq!(result.status, RewriteStatus::NeedsEdit);
    assert_eq!(kinds(&result), [(FindingKind::RetypedColumnUsed, FindingSeverity::NeedsEdit)]);
    assert_eq!((result.findings[0].start, result.findings[0].end), (at(1, 37), at(1, 39)));
    assert_eq!(result.reasons, ["line 1, column 37: `id` is compared, joined or computed with, and its type changes to STRING"]);

    let only_read = rewrite(Language::Sql, "SELECT id FROM proj.ds.orders", RETYPE);
    assert_eq!(only_read.status, RewriteStatus::Unaffected);
    assert_eq!(kinds(&only_read), [(FindingKind::RetypedColumnUsed, FindingSeverity::Note)]);
    assert_eq!(only_read.reasons, ["line 1, column 8: reads `id`, whose type changes to STRING; no edit needed"]);
}

#[test]
fn each_reason_for_a_person_has_its_kind() {
    let cases: [(&str, Language, &str, &str, FindingKind); 9] = [
        ("ambiguous", Language::Sql, "SELECT amount FROM proj.ds.orders, other", RENAME, FindingKind::AmbiguousName),
        ("unparsed", Language::Sql, "SELECT FROM WHERE proj.ds.orders amount", RENAME, FindingKind::UnparsedStatement),
        ("using", Language::Sql, "SELECT 1 FROM proj.ds.orders JOIN x USING (amount)", RENAME, FindingKind::UsingJoin),
        ("natural", Language::Sql, "SELECT id FROM proj.ds.orders NATURAL JOIN x", RENAME, FindingKind::NaturalJoin),
        ("star", Language::Sql, "SELECT * FROM proj.ds.orders", RENAME, FindingKind::StarWithoutSchema),
        ("placeholder", Language::Python, "q = f\"SELECT amount FROM {table}\"\n", RENAME, FindingKind::PlaceholderTable),
        (
            "template branch",
            Language::Dbt,
            "{% if x %}SELECT 1 FROM a{% else %}SELECT amount FROM proj.ds.orders{% endif %}",
            r#"{"kind":"rename_table","to":"proj.ds.orders_v2"}"#,
            FindingKind::TemplateBranch,
        ),
        ("dbt source move", Language::Dbt, "SELECT amount FROM {{ source('ds', 'orders') }}", r#"{"kind":"rename_table","to":"proj.sales.orders"}"#, FindingKind::DbtSourceMove),
        ("field path", Language::Sql, "SELECT `amount` FROM proj.ds.orders", r#"{"kind":"replace_table","to":"proj.ds.o2","columns":{"amount":"money.amount"}}"#, FindingKind::FieldPath),
    ];
    for (name, language, text, changes, kind) in cases {
        let result = rewrite(language, text, changes);
        let found: Vec<FindingKind> = result.findings.iter().filter(|f| f.severity == FindingSeverity::NeedsEdit).map(|f| f.kind).collect();
        assert_eq!(found, [kind], "{name}: {:?}", result.findings);
        assert!(result.findings.iter().all(|f| f.start.is_some() && f.end >= f.start), "{name}: {:?}", result.findings);
    }
}

#[test]
fn a_star_that_cannot_be_expanded_says_why_in_its_kind() {
    let schema = ripple_engine::Schema::from_json(r#"{"tables": {"proj.ds.orders": {"columns": [{"name": "id"}, {"name": "amount"}]}}}"#).unwrap();
    let options = Options { dialect: Dialect::BigQuery, schema: Some(&schema) };
    let cases = [
        ("SELECT * FROM proj.ds.orders", None),
        ("SELECT * EXCEPT (id) FROM proj.ds.orders", Some(FindingKind::StarWithModifiers)),
        ("SELECT * FROM proj.ds.orders JOIN other USING (id)", Some(FindingKind::StarOverTables)),
    ];
    for (text, kind) in cases {
        let result = ripple_engine::rewrite("q", Language::Sql, text, &spec(RENAME), options);
        let found: Vec<FindingKind> = result.findings.iter().map(|f| f.kind).collect();
        assert_eq!(found, kind.into_iter().collect::<Vec<_>>(), "{text}: {:?}", result.content);
    }
}

#[test]
fn findings_about_the_whole_file_have_no_place() {
    let big = "x".repeat(16 * 1024 * 1024 + 1);
    let result = rewrite(Language::Sql, &big, RENAME);
    assert_eq!(result.status, RewriteStatus::Error);
    assert_eq!(kinds(&result), [(FindingKind::FileTooLarge, FindingSeverity::Error)]);
    assert_eq!((result.findings[0].start, result.findings[0].end), (None, None));
    assert_eq!(result.reasons, [result.findings[0].message.clone()]);

    // Names kept because new ones did not verify: a note on the whole rewrite.
    let union = "WITH u AS (SELECT amount FROM proj.ds.orders UNION ALL SELECT amount FROM proj.ds.history)\nSELECT SUM(amount) AS total FROM u";
    let new_names = ChangeSpec::from_json(&format!(r#"{{"dataset":"proj.ds.orders","preserve_output_names":false,"changes":[{RENAME}]}}"#)).unwrap();
    let result = ripple_engine::rewrite("q", Language::Sql, union, &new_names, Options { dialect: Dialect::BigQuery, schema: None });
    assert_eq!(result.status, RewriteStatus::Rewritten);
    assert_eq!(kinds(&result), [(FindingKind::OutputNamesKept, FindingSeverity::Note)]);
    assert_eq!(result.findings[0].start, None);
}

#[test]
fn an_expression_that_replaces_a_qualifier_writes_it_as_the_moved_table_names_it() {
    // The qualifier `orders` is the table's own name: the move renames it, and
    // the column's expression replaces it. Both were edits of one place, and
    // overlapped: the expression now takes the qualifier's place.
    let changes = r#"{"kind":"replace_table","to":"proj.core.orders_v2","columns":{"ts":"TIMESTAMP_MILLIS(ts_ms)"}}"#;
    let result = rewrite(Language::Sql, "SELECT orders.ts FROM proj.ds.orders", changes);
    assert_eq!(result.status, RewriteStatus::Rewritten, "{:?}", result.findings);
    assert_eq!(result.content.as_deref(), Some("SELECT TIMESTAMP_MILLIS(orders_v2.ts_ms) AS ts FROM proj.core.orders_v2"));

    // Left for a person (the join by name), the column's fix is withdrawn
    // whole, and the qualifier's new name it had replaced comes back.
    let result = rewrite(Language::Sql, "SELECT orders.ts FROM proj.ds.orders JOIN x USING (ts)", changes);
    assert_eq!(result.status, RewriteStatus::NeedsEdit);
    assert_eq!(kinds(&result), [(FindingKind::UsingJoin, FindingSeverity::NeedsEdit)]);
    assert_eq!(result.content.as_deref(), Some("SELECT orders_v2.ts FROM proj.core.orders_v2 JOIN x USING (ts)"));
}

#[test]
fn findings_cross_as_json_with_snake_case_names() {
    let result = rewrite(Language::Sql, "SELECT legacy FROM proj.ds.orders", DROP);
    let json = serde_json::to_value(&result).unwrap();
    assert_eq!(
        json["findings"],
        serde_json::json!([{
            "kind": "dropped_column_used",
            "severity": "needs_edit",
            "start": {"line": 1, "column": 8},
            "end": {"line": 1, "column": 14},
            "message": "reads `legacy`, which the change drops"
        }])
    );
    assert_eq!(json["reasons"], serde_json::json!(["line 1, column 8: reads `legacy`, which the change drops"]));
}

#[test]
fn an_output_named_after_text_ripple_cannot_reproduce_is_its_own_kind() {
    let schema = ripple_engine::Schema::from_json(r#"{"tables": {"t": {"columns": [{"name": "x"}, {"name": "z"}]}}}"#).unwrap();
    let options = Options { dialect: Dialect::DuckDb, schema: Some(&schema) };
    let rename = ChangeSpec::from_json(r#"{"dataset":"t","changes":[{"kind":"rename_column","column":"x","to":"x_v2"}]}"#).unwrap();
    let result = ripple_engine::rewrite("q", Language::Sql, "SELECT coalesce(x, 0) FROM t", &rename, options);
    assert_eq!(result.status, RewriteStatus::NeedsEdit);
    assert_eq!(kinds(&result), [(FindingKind::UnaliasedOutput, FindingSeverity::NeedsEdit)]);
    assert_eq!(result.findings[0].start, at(1, 17));
    // The alias that keeps a reproducible name belongs to the column's fix:
    // a `USING` join on the column withdraws both.
    let result = ripple_engine::rewrite("q", Language::Sql, "SELECT sum(x) FROM t JOIN u USING (x)", &rename, options);
    assert!(result.findings.iter().all(|f| f.kind == FindingKind::UsingJoin), "{:?}", result.findings);
    assert_eq!((result.status, result.content), (RewriteStatus::NeedsEdit, None));
}
