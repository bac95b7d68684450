//! Renders an analysis as text a person can check line by line: each
//! reference shows the exact source text its span covers.

// Each test crate uses a different part of this module.
#![allow(dead_code)]

/// `insta::assert_snapshot!` without the test's source in the snapshot header.
#[macro_export]
macro_rules! check {
    ($value:expr) => {
        insta::with_settings!({ omit_expression => true }, { insta::assert_snapshot!($value) })
    };
}

use std::fmt::Write;

use ripple_engine::analysis::{FileAnalysis, ReferenceKind};
use ripple_engine::{Dialect, Language, Options, Schema};

pub fn analyze(dialect: &str, language: Language, text: &str, schema: Option<&Schema>) -> FileAnalysis {
    let dialect: Dialect = dialect.parse().expect("known dialect");
    ripple_engine::analyze("input", language, text, Options { dialect, schema })
}

pub fn render(text: &str, analysis: &FileAnalysis) -> String {
    let mut out = String::new();
    for d in &analysis.diagnostics {
        writeln!(out, "{:?} {}:{} {}", d.severity, d.line, d.column, d.message).unwrap();
    }
    for (i, s) in analysis.statements.iter().enumerate() {
        writeln!(out, "statement {} at {}:{}-{}:{}{}", i + 1, s.start.line, s.start.column, s.end.line, s.end.column, if s.parsed { "" } else { " (not parsed: scanned)" }).unwrap();
        for r in &s.reads {
            writeln!(out, "  reads {} ({})", r.table, r.columns.join(", ")).unwrap();
        }
        for w in &s.writes {
            writeln!(out, "  writes {}", w.table).unwrap();
        }
        if let Some(query) = &s.query {
            let how = if query.by_position { " (by position)" } else { "" };
            writeln!(out, "  query part {}:{}-{}:{} `{}`{how}", query.start.line, query.start.column, query.end.line, query.end.column, abridged(&text[query.span.clone()])).unwrap();
        }
        for p in &s.parameters {
            let key = p.name.clone().or(p.number.map(|n| format!("#{n}"))).unwrap_or_else(|| "next".into());
            writeln!(out, "  parameter {}:{} `{}` ({key})", p.start.line, p.start.column, &text[p.span.clone()]).unwrap();
        }
        for o in &s.outputs {
            let sources: Vec<String> = o.sources.iter().map(|s| format!("{}.{}", s.table, s.column)).collect();
            writeln!(out, "  output {} <- {}", o.name.as_deref().unwrap_or("?"), sources.join(", ")).unwrap();
        }
        for r in &s.references {
            let written = &text[r.span.clone()];
            let target = match r.kind {
                ReferenceKind::Table => format!("table {}", r.table.as_deref().unwrap_or("?")),
                ReferenceKind::Column | ReferenceKind::Wildcard => format!(
                    "{} {}.{}{}",
                    if r.kind == ReferenceKind::Column { "column" } else { "star" },
                    r.table.as_deref().unwrap_or("?"),
                    r.column.as_deref().unwrap_or("*"),
                    if r.path.is_empty() { String::new() } else { format!(" path {}", r.path.join(".")) }
                ),
            };
            let mut notes = Vec::new();
            if let Some(via) = &r.via {
                notes.push(format!("via {via}"));
            }
            if r.write {
                notes.push("write".to_string());
            }
            if !r.resolved {
                notes.push("UNRESOLVED".to_string());
            }
            if !r.candidates.is_empty() {
                notes.push(format!("candidates {}", r.candidates.join(", ")));
            }
            writeln!(out, "  {}:{} `{}` {}{}", r.start.line, r.start.column, written, target, if notes.is_empty() { String::new() } else { format!(" [{}]", notes.join("; ")) }).unwrap();
        }
    }
    out
}

/// A long text as its first and last words, on one line.
fn abridged(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= 12 {
        words.join(" ")
    } else {
        format!("{} … {}", words[..5].join(" "), words[words.len() - 5..].join(" "))
    }
}

/// Analyses `text` and renders it, the input first.
pub fn snapshot(dialect: &str, language: Language, text: &str, schema: Option<&Schema>) -> String {
    let analysis = analyze(dialect, language, text, schema);
    let numbered: String = text.lines().enumerate().map(|(i, l)| format!("{:>3} | {l}\n", i + 1)).collect();
    format!("{numbered}---\n{}", render(text, &analysis))
}

#[allow(dead_code)] // not every test file uses a schema
pub fn schema(json: &str) -> Schema {
    serde_json::from_str(json).expect("valid schema")
}

/// The consumer files under `folder` (any depth), sorted.
pub fn files(folder: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if Language::detect(path.to_str().unwrap(), "").is_some() {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
