//! Inputs built to break the engine: it must answer every one of them, with
//! a diagnostic where it gives up, and never panic, overflow its stack or hang.

use ripple_engine::analysis::Severity;
use ripple_engine::{Dialect, Language, Options};

fn analyze(language: Language, text: &str) -> ripple_engine::FileAnalysis {
    ripple_engine::analyze("hostile", language, text, Options { dialect: Dialect::BigQuery, schema: None })
}

#[test]
fn deeply_nested_parentheses_are_refused_with_a_diagnostic() {
    let sql = format!("SELECT {}1{} FROM t", "(".repeat(100_000), ")".repeat(100_000));
    let analysis = analyze(Language::Sql, &sql);
    assert!(analysis.diagnostics.iter().any(|d| d.severity == Severity::Error && d.message.contains("nested")), "{:?}", analysis.diagnostics);
    assert_eq!(analysis.statements.len(), 1);
    assert!(!analysis.statements[0].parsed);
}

#[test]
fn deeply_nested_subqueries_are_refused_with_a_diagnostic() {
    let sql = format!("{}SELECT a FROM t{}", "SELECT * FROM (".repeat(5_000), ")".repeat(5_000));
    let analysis = analyze(Language::Sql, &sql);
    assert!(!analysis.diagnostics.is_empty());
    assert!(analysis.statements[0].references.iter().any(|r| r.table.as_deref() == Some("t")));
}

#[test]
fn a_very_long_operator_chain_is_scanned_not_parsed() {
    let sql = format!("SELECT {} FROM t", vec!["a"; 200_000].join(" + "));
    let analysis = analyze(Language::Sql, &sql);
    assert!(analysis.diagnostics[0].message.contains("operators"));
    assert!(!analysis.statements[0].parsed);
}

#[test]
fn many_statements_and_unbalanced_text_are_all_answered() {
    let sql = "SELECT a FROM t; ) ) ( CASE END END; SELECT 'unterminated".repeat(2_000);
    let analysis = analyze(Language::Sql, &sql);
    assert!(!analysis.statements.is_empty());
}

#[test]
fn hostile_templates_and_host_code() {
    for text in ["{{".repeat(10_000), "{% if %}".repeat(10_000), "{% endif %}{% else %}{% raw %}".repeat(1_000), "{{ ref('a') }}".repeat(10_000)] {
        analyze(Language::Dbt, &text);
    }
    for text in ["\"\"\"".repeat(10_001), "f'{".repeat(10_000), "'SELECT a FROM t' +".repeat(10_000)] {
        analyze(Language::Python, &text);
    }
    analyze(Language::Java, &"\"SELECT x FROM t \" + ".repeat(10_000));
    analyze(Language::Scala, &"s\"\"\"SELECT ${".repeat(10_000));
}

#[test]
fn pseudo_random_token_soup_never_panics() {
    const WORDS: &[&str] = &[
        "SELECT",
        "FROM",
        "WHERE",
        "JOIN",
        "ON",
        "USING",
        "(",
        ")",
        ",",
        ".",
        ";",
        "*",
        "a",
        "t.b",
        "`p.d.t`",
        "'s'",
        "1",
        "WITH",
        "AS",
        "UNION",
        "ALL",
        "UNNEST",
        "EXCEPT",
        "REPLACE",
        "OVER",
        "PARTITION",
        "BY",
        "QUALIFY",
        "INSERT",
        "INTO",
        "VALUES",
        "MERGE",
        "WHEN",
        "MATCHED",
        "THEN",
        "UPDATE",
        "SET",
        "=",
        "CASE",
        "END",
        "IF",
        "BEGIN",
        "LOOP",
        "DECLARE",
        "{{",
        "}}",
        "{%",
        "%}",
        "--",
        "\n",
        "\"",
        "[",
        "]",
        "<",
        ">",
        ">>",
        "STRUCT",
        "ARRAY",
        "::",
        "->",
        "LATERAL",
        "FLATTEN",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3_000 {
        let mut text = String::new();
        for _ in 0..(state % 60) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push_str(WORDS[(state % WORDS.len() as u64) as usize]);
            text.push(' ');
        }
        for language in [Language::Sql, Language::Dbt, Language::Python] {
            analyze(language, &text);
        }
    }
}

#[test]
fn an_unterminated_quoted_name_ending_in_a_wide_character() {
    // Found by the WebAssembly package's hostile tests: the scan cut the
    // name one byte short, inside the character.
    for sql in ["SELECT a FROM `t\u{20ac}", "SELECT \"\u{fffd}", "SELECT `\u{1f600}"] {
        let analysis = analyze(Language::Sql, sql);
        assert!(!analysis.statements[0].parsed, "{sql}");
    }
    let analysis = analyze(Language::Sql, "SELECT a FROM `t\u{20ac}");
    assert!(analysis.statements[0].references.iter().any(|r| r.table.as_deref() == Some("t\u{20ac}")), "{:?}", analysis.statements[0].references);
}

#[test]
fn a_wide_character_inside_a_jinja_tag() {
    // Found by the WebAssembly package's hostile tests: the search for the
    // tag's end sliced the text inside the character.
    for text in ["{{ \u{fffd} }}", "{% if \u{20ac} %}SELECT a FROM t{% endif %}", "{{ ref('\u{1f600}') }} \u{fffd} {%"] {
        analyze(Language::Dbt, text);
    }
    let analysis = analyze(Language::Dbt, "SELECT a FROM t WHERE b = {{ var('\u{20ac}') }} {# \u{20ac} #}");
    assert!(analysis.statements[0].references.iter().any(|r| r.table.as_deref() == Some("t")));
}

#[test]
fn a_quoted_name_with_a_wide_character_before_a_doubled_quote() {
    // Found by the `change` fuzz target: measuring the name stepped through
    // it byte by byte and sliced inside the character.
    for dialect in Dialect::ALL {
        for sql in ["SELECT \"weirdAC\u{751}*me\"\"\" FROM t", "SELECT `a\u{20ac}``b` FROM t", "SELECT \"\u{1f600}\" FROM t"] {
            ripple_engine::analyze("q.sql", Language::Sql, sql, Options { dialect, schema: None });
        }
    }
}
