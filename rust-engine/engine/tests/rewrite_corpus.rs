//! The corpus under `corpus/` rewritten for realistic changes to the tables
//! each file reads: every rewrite must verify, no two of its edits may
//! overlap, renaming a column and back must give the original file, and
//! every patch must apply with `git apply`.
//!
//! `RIPPLE_REWRITE_CORPUS=DIR:DIALECT` runs the same checks on another
//! folder (a real-world corpus) and prints the tallies instead of failing
//! on the first problem.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ripple_engine::analysis::ReferenceKind;
use ripple_engine::{ChangeSpec, Dialect, FileRewrite, FindingKind, FindingSeverity, Language, Options, RewriteStatus, Schema};

/// A consumer file and what it reads.
struct Consumer {
    name: String,
    language: Language,
    text: String,
    /// Tables read with a column of theirs that the file reads.
    reads: Vec<(String, String)>,
}

fn consumers(folder: &Path, options: Options) -> Vec<Consumer> {
    let mut found = Vec::new();
    for path in common::files(folder) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let name = path.strip_prefix(folder).unwrap().display().to_string();
        let language = Language::detect(&name, &text).unwrap();
        let analysis = ripple_engine::analyze(&name, language, &text, options);
        let mut reads: Vec<(String, String)> = Vec::new();
        for statement in &analysis.statements {
            for r in &statement.references {
                if let (ReferenceKind::Column, true, false, Some(table), Some(column)) = (r.kind, r.resolved, r.write, &r.table, &r.column) {
                    if !reads.iter().any(|(t, _)| t == table) && reads.len() < 2 {
                        reads.push((table.clone(), column.clone()));
                    }
                }
            }
        }
        found.push(Consumer { name, language, text, reads });
    }
    found
}

fn spec(dataset: &str, dialect: Dialect, changes: &str, preserve: bool) -> ChangeSpec {
    let json = format!(r#"{{"dataset":{dataset:?},"dialect":"{}","preserve_output_names":{preserve},"changes":[{changes}]}}"#, dialect.name());
    ChangeSpec::from_json(&json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

/// The realistic changes to `table` whose column `column` a consumer reads.
fn changes(table: &str, column: &str, dialect: Dialect) -> Vec<(&'static str, ChangeSpec)> {
    let (prefix, last) = table.rsplit_once('.').map_or((None, table), |(p, l)| (Some(p), l));
    let moved = match prefix {
        Some(p) => format!("{p}.{last}_v2"),
        None => format!("{last}_v2"),
    };
    vec![
        ("rename column", spec(table, dialect, &format!(r#"{{"kind":"rename_column","column":"{column}","to":"{column}_new"}}"#), true)),
        ("rename column, new output names", spec(table, dialect, &format!(r#"{{"kind":"rename_column","column":"{column}","to":"{column}_new"}}"#), false)),
        ("rename table", spec(table, dialect, &format!(r#"{{"kind":"rename_table","to":"{moved}"}}"#), true)),
        ("move to another schema", spec(table, dialect, r#"{"kind":"rename_table","to":"archive.moved_table"}"#, true)),
        ("replace table", spec(table, dialect, &format!(r#"{{"kind":"replace_table","to":"{moved}","columns":{{"{column}":"{column}_new"}}}}"#), true)),
        // A column qualified by the table's own name that becomes an
        // expression: its edit replaces the qualifier the table's move renames.
        ("replace table, expression", spec(table, dialect, &format!(r#"{{"kind":"replace_table","to":"{moved}","columns":{{"{column}":"COALESCE({column}_new, 0)"}}}}"#), true)),
        ("drop column", spec(table, dialect, &format!(r#"{{"kind":"drop_column","column":"{column}"}}"#), true)),
        ("change type", spec(table, dialect, &format!(r#"{{"kind":"change_type","column":"{column}","to":"STRING"}}"#), true)),
    ]
}

#[derive(Default)]
struct Tally {
    rewrites: usize,
    statuses: BTreeMap<&'static str, usize>,
    /// The kinds of what a person must edit, and of output names kept.
    kinds: BTreeMap<FindingKind, usize>,
    problems: Vec<String>,
}

fn status_name(status: RewriteStatus) -> &'static str {
    match status {
        RewriteStatus::Rewritten => "rewritten",
        RewriteStatus::Unaffected => "unaffected",
        RewriteStatus::NeedsEdit => "needs_edit",
        RewriteStatus::Error => "error",
    }
}

fn check_folder(folder: &Path, dialect: Dialect, schema: Option<&Schema>) -> Tally {
    let options = Options { dialect, schema };
    let mut tally = Tally::default();
    for consumer in consumers(folder, options) {
        for (table, column) in &consumer.reads {
            for (label, spec) in changes(table, column, dialect) {
                let result = ripple_engine::rewrite(&consumer.name, consumer.language, &consumer.text, &spec, options);
                tally.rewrites += 1;
                *tally.statuses.entry(status_name(result.status)).or_default() += 1;
                // What a person must do, and where new output names were kept.
                for finding in result.findings.iter().filter(|f| f.severity == FindingSeverity::NeedsEdit || f.kind == FindingKind::OutputNamesKept) {
                    *tally.kinds.entry(finding.kind).or_default() += 1;
                }
                let problem = |what: &str| format!("{} ({label} of {table}.{column}): {what}", consumer.name);
                // Edits that overlap, or do not verify, are defects.
                let defect = |k: FindingKind| matches!(k, FindingKind::OverlappingEdits | FindingKind::VerificationFailed);
                if let Some(finding) = result.findings.iter().find(|f| defect(f.kind)) {
                    tally.problems.push(problem(&format!("{:?}: {finding}", finding.kind)));
                }
                // A new type needs no edit where the column is only selected.
                if result.status == RewriteStatus::Unaffected && label != "change type" {
                    tally.problems.push(problem("a consumer that reads the column is unaffected"));
                }
                // A rename whose new output names could not be verified keeps them (`new AS old`).
                let names_kept = kept_names(&result);
                if label == "rename column, new output names" && !names_kept {
                    if let Some(content) = &result.content {
                        let back = spec_back(table, column, dialect);
                        let schema = options.schema.map(|s| spec.schema_after(s));
                        let options = Options { dialect, schema: schema.as_ref() };
                        let again = ripple_engine::rewrite(&consumer.name, consumer.language, content, &back, options);
                        let kept_back = kept_names(&again);
                        if again.content.as_deref() != Some(consumer.text.as_str()) && !kept_back {
                            tally.problems.push(problem("renaming the column back does not give the original file"));
                        }
                    }
                }
            }
        }
    }
    tally
}

fn kept_names(result: &FileRewrite) -> bool {
    result.findings.iter().any(|f| f.kind == FindingKind::OutputNamesKept)
}

fn spec_back(table: &str, column: &str, dialect: Dialect) -> ChangeSpec {
    spec(table, dialect, &format!(r#"{{"kind":"rename_column","column":"{column}_new","to":"{column}"}}"#), false)
}

fn corpus(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(folder)
}

fn schema(folder: &str) -> Option<Schema> {
    let path = corpus(folder).join("schema.json");
    path.exists().then(|| Schema::from_json(&std::fs::read_to_string(path).unwrap()).unwrap())
}

#[test]
fn every_corpus_rewrite_verifies_and_renaming_back_restores_the_file() {
    let folders =
        [("tpch", Dialect::Ansi), ("tpcds", Dialect::Ansi), ("jaffle_shop", Dialect::Snowflake), ("bigquery", Dialect::BigQuery), ("snowflake", Dialect::Snowflake), ("spark", Dialect::Spark)];
    let mut rewrites = 0;
    let mut problems = Vec::new();
    for (folder, dialect) in folders {
        let schema = schema(folder);
        let tally = check_folder(&corpus(folder), dialect, schema.as_ref());
        assert!(tally.rewrites > 0, "{folder}: no rewrite was tried");
        assert!(tally.statuses.get("rewritten").copied().unwrap_or(0) > 0, "{folder}: nothing was rewritten: {:?}", tally.statuses);
        rewrites += tally.rewrites;
        problems.extend(tally.problems);
    }
    assert!(rewrites > 200, "only {rewrites} rewrites were tried");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn an_external_corpus_when_one_is_named() {
    let Ok(named) = std::env::var("RIPPLE_REWRITE_CORPUS") else {
        return;
    };
    let (dir, dialect) = named.rsplit_once(':').expect("RIPPLE_REWRITE_CORPUS=DIR:DIALECT");
    let tally = check_folder(Path::new(dir), dialect.parse().unwrap(), None);
    println!("{} rewrites: {:?}", tally.rewrites, tally.statuses);
    let mut kinds: Vec<(&FindingKind, &usize)> = tally.kinds.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1));
    println!("needs_edit findings by kind, and output names kept:");
    for (kind, count) in kinds {
        println!("  {count:5}  {}", serde_json::to_value(kind).unwrap().as_str().unwrap());
    }
    println!("{} problems", tally.problems.len());
    for problem in &tally.problems {
        println!("  {problem}");
    }
}
