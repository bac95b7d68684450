//! `ripple rewrite`: the patch for a change, and a report of every file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ripple_engine::analysis::FileAnalysis;
use ripple_engine::rewrite::{rewrite_analyzed, unmatched_dataset, UnmatchedDataset};
use ripple_engine::{analyze, Dialect, Finding, Options, RewriteStatus};
use serde::Serialize;

use crate::files::{consumer_files, read_change, write_atomically};
use crate::project::schema_with_project;
use crate::Usage;

#[derive(Serialize)]
struct RewriteReport {
    files: Vec<FileReport>,
    summary: RewriteSummary,
    /// What looks wrong with the run as a whole: a dataset no file names.
    warnings: Vec<UnmatchedDataset>,
}

#[derive(Serialize)]
struct FileReport {
    path: String,
    status: RewriteStatus,
    /// What the status is about, as data: kind, severity, place, message.
    findings: Vec<Finding>,
    /// The same, as text for people: `line N, column M: message`.
    reasons: Vec<String>,
    edits: usize,
}

#[derive(Serialize, Default)]
struct RewriteSummary {
    files: usize,
    rewritten: usize,
    unaffected: usize,
    needs_edit: usize,
    /// `needs_edit` under its old name, written until 0.3.
    needs_review: usize,
    error: usize,
    edits: usize,
}

pub(crate) fn rewrite(change: &Path, dialect: Option<Dialect>, schema: Option<&Path>, project: Option<&Path>, report: Option<&Path>, write: bool, paths: &[PathBuf]) -> Result<ExitCode, Usage> {
    let spec = read_change(change, dialect)?;
    let dialect = dialect.or(spec.dialect).unwrap_or(Dialect::Generic);
    let mut schema = schema_with_project(project, schema, dialect)?;
    // The project may hold the producer's change already: read consumers
    // against the dataset's columns before it.
    if let (Some(schema), Some(_)) = (schema.as_mut(), project) {
        ripple_engine::dbt::before_change(schema, &spec);
    }
    let options = Options { dialect, schema: schema.as_ref() };
    let files = consumer_files(paths)?;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut summary = RewriteSummary::default();
    let mut reports = Vec::with_capacity(files.len());
    // Each file is analysed once, for its rewrite and for the check that
    // some file names the dataset at all.
    let analyses: Vec<FileAnalysis> = files.iter().map(|file| analyze(&file.shown, file.language, &file.text, options)).collect();
    for (file, analysis) in files.iter().zip(&analyses) {
        let result = rewrite_analyzed(analysis, file.language, &file.text, &spec, options);
        if let Some(patch) = &result.patch {
            stdout.write_all(patch.as_bytes()).map_err(|e| Usage(format!("cannot write output: {e}")))?;
        }
        if let (true, Some(content)) = (write, &result.content) {
            write_atomically(&file.path, content)?;
        }
        summary.files += 1;
        summary.edits += result.edits;
        *match result.status {
            RewriteStatus::Rewritten => &mut summary.rewritten,
            RewriteStatus::Unaffected => &mut summary.unaffected,
            RewriteStatus::NeedsEdit => &mut summary.needs_edit,
            RewriteStatus::Error => &mut summary.error,
        } += 1;
        let reasons = result.findings.iter().map(Finding::to_string).collect();
        reports.push(FileReport { path: result.path, status: result.status, findings: result.findings, reasons, edits: result.edits });
    }
    stdout.flush().map_err(|e| Usage(format!("cannot write output: {e}")))?;
    summary.needs_review = summary.needs_edit;
    let pairs: Vec<(&FileAnalysis, &str)> = analyses.iter().zip(&files).map(|(a, f)| (a, f.text.as_str())).collect();
    let warnings: Vec<UnmatchedDataset> = unmatched_dataset(&spec.dataset, &pairs).into_iter().collect();
    for warning in &warnings {
        eprintln!("ripple: warning: {}", warning.message);
    }
    if let Some(report) = report {
        let json = serde_json::to_string_pretty(&RewriteReport { files: reports, summary, warnings }).expect("a report always serializes");
        write_atomically(report, &format!("{json}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

