//! `ripple check`'s report: one JSON object (`--format json`), or Markdown
//! written for a pull request's comment (`--format markdown`).

use std::fmt::Write;

use ripple_engine::{Change, ChangeSpec, Suggestion, Undecided, Verdict};
use serde::Serialize;

use super::datasets::Origin;
use super::git::Commit;
use super::portal::{CoveringMigration, Reason};

#[derive(Serialize)]
pub(crate) struct CheckReport {
    pub base: Commit,
    pub head: Commit,
    /// The portal asked (`--portal`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal: Option<String>,
    pub datasets: Vec<DatasetReport>,
    pub summary: Summary,
}

/// One changed dataset: its change as `ripple diff` derives it, its
/// consumers as `ripple impact` classifies them, and what covers it.
#[derive(Serialize)]
pub(crate) struct DatasetReport {
    pub dataset: String,
    pub origin: Origin,
    /// The file the change was found in.
    pub path: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeSpec>,
    pub suggestions: Vec<Suggestion>,
    pub undecided: Vec<Undecided>,
    pub added: Vec<String>,
    /// Consumers that read the dataset, worst first.
    pub consumers: Vec<ConsumerReport>,
    /// The portal's dataset entity, when a portal was asked and knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_ref: Option<String>,
    /// Open migrations whose change covers this one (from the portal).
    pub migrations: Vec<CoveringMigration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_migration_url: Option<String>,
}

/// What a dataset's change means for the pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    /// Some consumer breaks and no open migration covers the change.
    Blocking,
    /// Some consumer breaks, and an open migration covers the change.
    Covered,
    /// No consumer breaks (some may partially break, through `*`).
    NoBreakingConsumers,
    /// Nothing was decided (a table dropped, or moved to a name the files
    /// do not say): no change to classify consumers against.
    Undecided,
}

#[derive(Serialize)]
pub(crate) struct ConsumerReport {
    /// A file (found locally) or a catalog entity (from the portal).
    pub consumer: String,
    pub found_by: FoundBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub reasons: Vec<Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FoundBy {
    Local,
    Portal,
}

#[derive(Serialize, Default)]
pub(crate) struct Summary {
    pub datasets: usize,
    pub blocking: usize,
    pub covered: usize,
    pub breaking_consumers: usize,
    pub partially_breaking_consumers: usize,
}

impl Summary {
    pub fn of(datasets: &[DatasetReport]) -> Summary {
        let mut summary = Summary { datasets: datasets.len(), ..Summary::default() };
        for dataset in datasets {
            summary.blocking += usize::from(dataset.status == Status::Blocking);
            summary.covered += usize::from(dataset.status == Status::Covered);
            for consumer in &dataset.consumers {
                summary.breaking_consumers += usize::from(consumer.verdict == Some(Verdict::Breaking));
                summary.partially_breaking_consumers += usize::from(consumer.verdict == Some(Verdict::PartiallyBreaking));
            }
        }
        summary
    }
}

/// The report as Markdown, for a pull request's comment.
pub(crate) fn markdown(report: &CheckReport) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let headline = match (s.datasets, s.blocking) {
        (0, _) => "no dataset changes".to_string(),
        (n, 0) => format!("{n} dataset{} changed, nothing blocking", plural(n)),
        (n, b) => format!("{n} dataset{} changed, {b} with breaking consumers and no migration", plural(n)),
    };
    let _ = writeln!(out, "## Ripple check: {headline}\n");
    let _ = writeln!(out, "From `{}` (`{}`) to `{}` (`{}`).", report.base.name, short(&report.base.commit), report.head.name, short(&report.head.commit));
    if report.portal.is_none() && !report.datasets.is_empty() {
        let _ = writeln!(out, "\nConsumers found in this repository and the paths given only: without a portal (`--portal`), no migration can cover a change.");
    }
    for dataset in &report.datasets {
        dataset_section(&mut out, dataset, report.portal.is_some());
    }
    out
}

fn dataset_section(out: &mut String, d: &DatasetReport, portal: bool) {
    let origin = match d.origin {
        Origin::DbtModel => "dbt model",
        Origin::SchemaFile => "schema file",
    };
    let status = match d.status {
        Status::Blocking => "**blocking**: consumers break and no open migration covers the change",
        Status::Covered => "covered by an open migration",
        Status::NoBreakingConsumers => "no consumer breaks",
        Status::Undecided => "undecided: say what the change is (see below)",
    };
    let _ = writeln!(out, "\n### `{}` ({origin} `{}`): {status}\n", d.dataset, d.path);
    match &d.change {
        Some(spec) => {
            let _ = writeln!(out, "**Change**\n");
            for change in &spec.changes {
                let _ = writeln!(out, "- {}", describe(change));
            }
            let json = serde_json::to_string_pretty(spec).unwrap_or_default();
            let _ = writeln!(out, "\n<details><summary>Change spec</summary>\n\n```json\n{json}\n```\n\n</details>");
        }
        None => {
            let _ = writeln!(out, "No change decided: see what to confirm and decide below.");
        }
    }
    if !d.added.is_empty() {
        let _ = writeln!(out, "\nAdded (breaks nothing): {}.", d.added.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "));
    }
    if !d.suggestions.is_empty() {
        let _ = writeln!(out, "\n**Suggestions to confirm** (not applied: declare them with `meta.renamed_from` or `renamed_from`)\n");
        for s in &d.suggestions {
            let _ = writeln!(out, "- {} (`{}:{}`): {}", describe(&s.change), s.path, s.line, s.reason);
        }
    }
    if !d.undecided.is_empty() {
        let _ = writeln!(out, "\n**Undecided**\n");
        for u in &d.undecided {
            let _ = writeln!(out, "- `{}:{}`: {}", u.path, u.line, u.reason);
        }
    }
    let affected: Vec<&ConsumerReport> = d.consumers.iter().filter(|c| c.verdict != Some(Verdict::Unaffected)).collect();
    let unaffected: Vec<&ConsumerReport> = d.consumers.iter().filter(|c| c.verdict == Some(Verdict::Unaffected)).collect();
    if d.change.is_some() {
        let _ = writeln!(out, "\n**Consumers**\n");
        if affected.is_empty() {
            let _ = writeln!(out, "No consumer found breaks.");
        } else {
            let _ = writeln!(out, "| Consumer | Verdict | Owner | Reason |\n|---|---|---|---|");
            for c in &affected {
                let verdict = match c.verdict {
                    Some(Verdict::Breaking) => "breaking",
                    Some(Verdict::PartiallyBreaking) => "partially breaking",
                    _ => "no verdict",
                };
                // A consumer the portal lists without a verdict: its entity says
                // nowhere where its code is, or its code could not be read.
                let reason = c.reasons.first().map(reason).or_else(|| c.error.clone()).unwrap_or_else(|| "no verdict: the portal has none of its code (no source location on its entity)".into());
                let more = c.reasons.len().saturating_sub(1);
                let reason = if more > 0 { format!("{reason} (and {more} more)") } else { reason };
                let owner = c.owner.as_deref().map_or("—".to_string(), |o| format!("`{}`", cell(o)));
                let _ = writeln!(out, "| `{}` | {verdict} | {owner} | {} |", cell(&c.consumer), cell(&reason));
            }
        }
        if !unaffected.is_empty() {
            let names: Vec<String> = unaffected.iter().take(10).map(|c| format!("`{}`", c.consumer)).collect();
            let rest = unaffected.len().saturating_sub(10);
            let tail = if rest > 0 { format!(" and {rest} more") } else { String::new() };
            let _ = writeln!(out, "\nUnaffected ({}: they read `{}` but none of the changed columns): {}{tail}.", unaffected.len(), d.dataset, names.join(", "));
        }
    }
    if portal && d.change.is_some() && d.dataset_ref.is_none() {
        let _ = writeln!(out, "\nThe portal has no dataset whose table is `{}`: its consumers elsewhere are unknown.", d.dataset);
    }
    if !d.migrations.is_empty() {
        let links: Vec<String> = d.migrations.iter().map(|m| format!("[{}]({}) ({})", cell(&m.title), m.url, m.state)).collect();
        let _ = writeln!(out, "\n**Covered by**: {}", links.join(", "));
    }
    if let Some(url) = &d.new_migration_url {
        if d.migrations.is_empty() && d.change.is_some() {
            let _ = writeln!(out, "\n[Start the migration in Ripple]({url}) with this change filled in.");
        }
    }
}

fn reason(r: &Reason) -> String {
    match (&r.path, r.start) {
        (Some(path), Some(start)) => format!("`{path}:{}`: {}", start.line, r.message),
        (Some(path), None) => format!("`{path}`: {}", r.message),
        _ => r.message.clone(),
    }
}

/// One change, as a person reads it.
pub(crate) fn describe(change: &Change) -> String {
    match change {
        Change::RenameColumn { column, to } => format!("rename column `{column}` to `{to}`"),
        Change::DropColumn { column } => format!("drop column `{column}`"),
        Change::ChangeType { column, to } => format!("change the type of `{column}` to `{to}`"),
        Change::RenameTable { to } => format!("move the table to `{to}`"),
        Change::ReplaceTable { to, columns } => format!("replace the table with `{to}` ({} column{} mapped)", columns.len(), plural(columns.len())),
    }
}

/// Text safe in a table cell: no `|` or line break ends it early.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}
