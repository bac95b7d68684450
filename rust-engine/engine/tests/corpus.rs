//! The corpus under `corpus/`: real-world-style consumers in every supported
//! language and several dialects. Each folder's summary (what each file reads
//! and writes) is a snapshot, and hard rules are asserted: every statement
//! parses, and with a schema every column reference resolves.

mod common;

use std::fmt::Write;
use std::path::{Path, PathBuf};

use ripple_engine::analysis::{FileAnalysis, ReferenceKind, Severity};
use ripple_engine::{Dialect, Language, Options, Schema};

fn corpus(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(folder)
}

fn analyze_folder(folder: &str, dialect: Dialect, schema: Option<&Schema>) -> (Vec<FileAnalysis>, String) {
    let root = corpus(folder);
    let mut analyses = Vec::new();
    let mut summary = String::new();
    for path in common::files(&root) {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.strip_prefix(&root).unwrap().display().to_string();
        let language = Language::detect(&name, &text).unwrap();
        let analysis = ripple_engine::analyze(&name, language, &text, Options { dialect, schema });
        writeln!(summary, "{name} ({language:?}, {} statements)", analysis.statements.len()).unwrap();
        for (i, statement) in analysis.statements.iter().enumerate() {
            for read in &statement.reads {
                writeln!(summary, "  {}: reads {} ({})", i + 1, read.table, read.columns.join(", ")).unwrap();
            }
            for write in &statement.writes {
                writeln!(summary, "  {}: writes {}", i + 1, write.table).unwrap();
            }
        }
        analyses.push(analysis);
    }
    (analyses, summary)
}

fn assert_all_parsed(analyses: &[FileAnalysis]) {
    for analysis in analyses {
        let errors: Vec<_> = analysis.diagnostics.iter().filter(|d| d.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", analysis.path);
        assert!(analysis.statements.iter().all(|s| s.parsed), "{} has unparsed statements", analysis.path);
    }
}

fn unresolved(analyses: &[FileAnalysis]) -> Vec<String> {
    analyses
        .iter()
        .flat_map(|a| {
            a.statements.iter().flat_map(move |s| {
                s.references
                    .iter()
                    .filter(|r| !r.resolved && r.kind == ReferenceKind::Column)
                    .map(move |r| format!("{}:{}:{} {}", a.path, r.start.line, r.start.column, r.column.as_deref().unwrap_or("")))
            })
        })
        .collect()
}

#[test]
fn tpch_with_its_schema_resolves_every_column() {
    let schema: Schema = serde_json::from_str(&std::fs::read_to_string(corpus("tpch/schema.json")).unwrap()).unwrap();
    let (analyses, summary) = analyze_folder("tpch", Dialect::Postgres, Some(&schema));
    assert_eq!(analyses.len(), 22);
    assert_all_parsed(&analyses);
    assert_eq!(unresolved(&analyses), Vec::<String>::new());
    check!(summary);
}

#[test]
fn jaffle_shop_dbt_project() {
    let (analyses, summary) = analyze_folder("jaffle_shop", Dialect::Postgres, None);
    assert_all_parsed(&analyses);
    assert_eq!(unresolved(&analyses), Vec::<String>::new());
    check!(summary);
}

#[test]
fn bigquery_jobs() {
    let (analyses, summary) = analyze_folder("bigquery", Dialect::BigQuery, None);
    check!(summary);
    // WHILE ... END WHILE is not in sqlparser's BigQuery grammar: that block
    // is scanned, everything else parses.
    for analysis in &analyses {
        for statement in analysis.statements.iter().filter(|s| !s.parsed) {
            assert_eq!((analysis.path.as_str(), statement.start.line), ("orders_backfill.sql", 7));
        }
    }
}

#[test]
fn snowflake_pipelines() {
    let (analyses, summary) = analyze_folder("snowflake", Dialect::Snowflake, None);
    assert_all_parsed(&analyses);
    check!(summary);
}

#[test]
fn spark_jobs_in_python_scala_and_java() {
    let (analyses, summary) = analyze_folder("spark", Dialect::Spark, None);
    assert_all_parsed(&analyses);
    assert_eq!(unresolved(&analyses), Vec::<String>::new());
    check!(summary);
}

#[test]
fn tpcds_with_its_schema_resolves_every_column() {
    let schema: Schema = serde_json::from_str(&std::fs::read_to_string(corpus("tpcds/schema.json")).unwrap()).unwrap();
    let (analyses, summary) = analyze_folder("tpcds", Dialect::Ansi, Some(&schema));
    assert_all_parsed(&analyses);
    assert_eq!(unresolved(&analyses), Vec::<String>::new());
    check!(summary);
}
