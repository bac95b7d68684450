//! `ripple impact`: each consumer's verdict for a change (breaking,
//! partially breaking, unaffected), with the reasons, from its column
//! lineage alone: no rewrite runs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ripple_engine::{analyze, classify_impact, ConsumerImpact, Dialect, Options, TableSchema, Verdict};
use serde::Serialize;

use crate::files::{consumer_files, print_json, read_change};
use crate::project::{load, source_names};
use crate::Usage;

#[derive(Serialize)]
struct ImpactReport {
    consumers: Vec<ConsumerReport>,
    summary: ImpactSummary,
}

#[derive(Serialize)]
struct ConsumerReport {
    /// The consumer: the path given for it.
    consumer: String,
    #[serde(flatten)]
    impact: ConsumerImpact,
}

#[derive(Serialize, Default)]
struct ImpactSummary {
    consumers: usize,
    breaking: usize,
    partially_breaking: usize,
    unaffected: usize,
}

pub(crate) fn impact(change: &Path, dialect: Option<Dialect>, schema: Option<&Path>, project: Option<&Path>, consumers: &[PathBuf]) -> Result<ExitCode, Usage> {
    let spec = read_change(change, dialect)?;
    let dialect = dialect.or(spec.dialect).unwrap_or(Dialect::Generic);
    let project = load(project, schema, dialect, Some(&spec))?;
    // Every consumer's files are read before anything is printed, so an
    // unreadable path fails the run with nothing on stdout.
    let mut read = Vec::with_capacity(consumers.len());
    for consumer in consumers {
        read.push((consumer, consumer_files(std::slice::from_ref(consumer), true)?));
    }
    let mut summary = ImpactSummary::default();
    let mut reports = Vec::with_capacity(read.len());
    for (consumer, files) in read {
        // dbt models read a dataset that sources.yml declares by the source's name.
        let sources = source_names(&spec.dataset, &project, &files);
        let schema = project.schema.clone().map(|mut schema| {
            if let Some(columns) = schema.columns(&spec.dataset).map(<[_]>::to_vec) {
                for name in &sources {
                    schema.tables.entry(name.clone()).or_insert_with(|| TableSchema { columns: columns.clone() });
                }
            }
            schema
        });
        let options = Options { dialect, schema: schema.as_ref() };
        let analyses: Vec<_> = files.iter().filter_map(|f| Some(analyze(&f.shown, f.language?, &f.text, options))).collect();
        let impact = classify_impact(&analyses.iter().collect::<Vec<_>>(), &spec, &sources);
        summary.consumers += 1;
        *match impact.verdict {
            Verdict::Breaking => &mut summary.breaking,
            Verdict::PartiallyBreaking => &mut summary.partially_breaking,
            Verdict::Unaffected => &mut summary.unaffected,
        } += 1;
        reports.push(ConsumerReport { consumer: consumer.display().to_string(), impact });
    }
    print_json(&ImpactReport { consumers: reports, summary })?;
    Ok(ExitCode::SUCCESS)
}
