//! `ripple rewrite`: the patch for a change, and a report of every file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ripple_engine::analysis::FileAnalysis;
use ripple_engine::rewrite::{rewrite_analyzed, unmatched_dataset, UnmatchedDataset};
use ripple_engine::{analyze, names_match, rewrite_properties_with, ChangeSpec, Dialect, FileRewrite, Finding, Language, Options, RenamedOutputs, RewriteStatus, TableSchema};
use serde::Serialize;

use crate::files::{consumer_files, read_change, write_atomically};
use crate::project::{load, source_names};
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
    let project = load(project, schema, dialect, Some(&spec))?;
    let files = consumer_files(paths, true)?;
    // A dataset named by its warehouse relation is read by dbt models as
    // the source that declares it: they are rewritten for that name.
    let sources = source_names(&spec.dataset, &project, &files);
    let as_source: Vec<ChangeSpec> = sources.iter().map(|name| ChangeSpec { dataset: name.clone(), ..spec.clone() }).collect();
    let schema = project.schema.map(|mut schema| {
        // A schema given for the relation is the source's too.
        if let Some(columns) = schema.columns(&spec.dataset).map(<[_]>::to_vec) {
            for name in &sources {
                schema.tables.entry(name.clone()).or_insert_with(|| TableSchema { columns: columns.clone() });
            }
        }
        schema
    });
    let options = Options { dialect, schema: schema.as_ref() };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut summary = RewriteSummary::default();
    let mut reports = Vec::with_capacity(files.len());
    // Each code file is analysed once, for its rewrite and for the check
    // that some file names the dataset at all.
    let analyses: Vec<Option<FileAnalysis>> = files.iter().map(|file| Some(analyze(&file.shown, file.language?, &file.text, options))).collect();
    // The code first: with output names not kept, the property files of
    // the models follow the outputs their rewrites rename.
    let mut outputs = RenamedOutputs::default();
    let mut results: Vec<Option<FileRewrite>> = files
        .iter()
        .zip(&analyses)
        .map(|(file, analysis)| {
            let (language, analysis) = (file.language?, analysis.as_ref()?);
            let spec = spec_for(&spec, &as_source, analysis);
            let result = rewrite_analyzed(analysis, language, &file.text, spec, options);
            let model = file.path.file_stem().and_then(|s| s.to_str()).filter(|_| file.path.extension().is_some_and(|e| e == "sql"));
            if let (false, Some(model)) = (spec.preserve_output_names, model) {
                outputs.add_model(model, language, &file.text, &result, options);
            }
            Some(result)
        })
        .collect();
    // Property files name a source only as `source('ecom', 'raw_orders')`.
    let properties_spec = as_source.first().unwrap_or(&spec);
    let mut named_in_properties = false;
    for (file, result) in files.iter().zip(&mut results) {
        let result = result.take().unwrap_or_else(|| {
            let result = rewrite_properties_with(&file.shown, &file.text, properties_spec, &outputs);
            // Rewritten, left for a person or holding the producer's entry:
            // either way the file names the dataset.
            named_in_properties |= result.status != RewriteStatus::Unaffected || !result.findings.is_empty();
            result
        });
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
    let pairs: Vec<(&FileAnalysis, &str)> = analyses.iter().zip(&files).filter_map(|(a, f)| Some((a.as_ref()?, f.text.as_str()))).collect();
    let named = named_in_properties || as_source.iter().any(|s| unmatched_dataset(&s.dataset, &pairs).is_none());
    let warnings: Vec<UnmatchedDataset> = if named { Vec::new() } else { unmatched_dataset(&spec.dataset, &pairs).into_iter().collect() };
    for warning in &warnings {
        eprintln!("ripple: warning: {}", warning.message);
    }
    if let Some(report) = report {
        let json = serde_json::to_string_pretty(&RewriteReport { files: reports, summary, warnings }).expect("a report always serializes");
        write_atomically(report, &format!("{json}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The change as `analysis` reads its dataset: by a source's name when it
/// is a dbt model reading that source, else as the change names it.
fn spec_for<'a>(spec: &'a ChangeSpec, as_source: &'a [ChangeSpec], analysis: &FileAnalysis) -> &'a ChangeSpec {
    if analysis.language != Language::Dbt {
        return spec;
    }
    let reads = |name: &str| analysis.statements.iter().flat_map(|s| &s.reads).any(|r| names_match(&r.table, name) || names_match(name, &r.table));
    as_source.iter().find(|s| reads(&s.dataset)).unwrap_or(spec)
}
