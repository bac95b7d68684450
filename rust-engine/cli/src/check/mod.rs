//! `ripple check`: what a pull request's schema changes break, for the
//! producer's CI. It reads two commits of the producer's repository
//! (`git.rs`), finds the datasets changed between them and derives each
//! one's change (`datasets.rs`, with `projects.rs` for dbt models), finds
//! their consumers locally (`consumers.rs`) and through Ripple's portal
//! (`portal.rs`), and prints the report (`report.rs`).
//!
//! Exit status: 1 when some dataset's change has a breaking consumer and
//! no open migration covers it; 0 otherwise; 2 on bad input.

mod consumers;
mod datasets;
mod git;
mod portal;
mod projects;
mod report;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use ripple_engine::{Dialect, Verdict};

use crate::files::print_json;
use crate::Usage;
use consumers::LocalConsumers;
use datasets::{changed_datasets, Snapshot};
use git::{Commit, Repo};
use portal::{Portal, Reason};
use projects::{project_file_paths, project_roots, Project};
use report::{CheckReport, ConsumerReport, DatasetReport, FoundBy, Status, Summary};

/// How `check` prints its report.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CheckFormat {
    /// For a pull request's comment.
    Markdown,
    /// One JSON object.
    Json,
}

/// What `ripple check` is asked.
pub(crate) struct CheckArgs {
    pub repo: PathBuf,
    pub base: String,
    pub head: String,
    pub paths: Vec<PathBuf>,
    pub portal: Option<(String, String)>,
    pub format: CheckFormat,
    pub dialect: Dialect,
}

pub(crate) fn check(args: &CheckArgs) -> Result<ExitCode, Usage> {
    let repo = Repo::open(&args.repo)?;
    let base = repo.commit(&args.base)?;
    let head = repo.commit(&args.head)?;
    // Checked before git and the engine work: a bad token fails fast.
    let portal = args.portal.as_ref().map(|(url, token_env)| Portal::new(url, token_env)).transpose()?;
    let changed = repo.changed(&base, &head)?;
    let mut blobs = HashMap::new();
    let base = snapshot(&repo, base, &changed, args.dialect, &mut blobs)?;
    let head = snapshot(&repo, head, &changed, args.dialect, &mut blobs)?;
    drop(blobs);
    let changes = changed_datasets(&base, &head, &changed, args.dialect)?;
    let local = LocalConsumers::read(&repo.root, &base, &head, &args.paths, &changes, args.dialect)?;
    let mut datasets = Vec::with_capacity(changes.len());
    for change in &changes {
        let mut consumers: Vec<ConsumerReport> = local
            .impacts(change)
            .into_iter()
            .map(|(consumer, impact)| ConsumerReport {
                consumer,
                found_by: FoundBy::Local,
                verdict: Some(impact.verdict),
                owner: None,
                reasons: impact.reasons.iter().filter_map(|r| serde_json::from_value::<Reason>(serde_json::to_value(r).ok()?).ok()).collect(),
                error: None,
            })
            .collect();
        let fleet = match (&portal, &change.diff.change) {
            (Some(portal), Some(spec)) => Some(portal.impact(spec)?),
            _ => None,
        };
        if let Some(fleet) = &fleet {
            consumers.extend(fleet.consumers.iter().map(|c| ConsumerReport {
                consumer: c.consumer_ref.clone(),
                found_by: FoundBy::Portal,
                verdict: c.verdict,
                owner: c.owner.clone(),
                reasons: c.reasons.iter().map(Reason::from).collect(),
                error: c.error.clone(),
            }));
        }
        // Worst first; the order found within.
        consumers.sort_by_key(|c| std::cmp::Reverse(c.verdict));
        let migrations = fleet.as_ref().map(|f| f.migrations.clone()).unwrap_or_default();
        let breaking = consumers.iter().any(|c| c.verdict == Some(Verdict::Breaking));
        let status = match (breaking, migrations.is_empty()) {
            _ if change.diff.change.is_none() => Status::Undecided,
            (false, _) => Status::NoBreakingConsumers,
            (true, false) => Status::Covered,
            (true, true) => Status::Blocking,
        };
        datasets.push(DatasetReport {
            dataset: change.dataset.clone(),
            origin: change.origin,
            path: change.path.clone(),
            status,
            change: change.diff.change.clone(),
            suggestions: change.diff.suggestions.clone(),
            undecided: change.diff.undecided.clone(),
            added: change.diff.added.clone(),
            consumers,
            dataset_ref: fleet.as_ref().and_then(|f| f.dataset_ref.clone()),
            migrations,
            new_migration_url: fleet.and_then(|f| f.new_migration_url),
        });
    }
    let summary = Summary::of(&datasets);
    let blocking = summary.blocking > 0;
    let report = CheckReport { base: base.commit, head: head.commit, portal: args.portal.as_ref().map(|(url, _)| url.clone()), datasets, summary };
    match args.format {
        CheckFormat::Json => print_json(&report)?,
        CheckFormat::Markdown => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(report::markdown(&report).as_bytes()).and_then(|()| stdout.flush()).map_err(|e| Usage(format!("cannot write output: {e}")))?;
        }
    }
    Ok(if blocking { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// A commit's tree, the texts of its dbt projects' files and of the
/// changed files (one `git cat-file` for all; `blobs` keeps each file's
/// text by its id, so a file both commits share is read once), and its
/// projects.
fn snapshot(repo: &Repo, commit: Commit, changed: &[String], dialect: Dialect, blobs: &mut HashMap<String, String>) -> Result<Snapshot, Usage> {
    let files = repo.files(&commit)?;
    let ids: HashMap<&str, &str> = files.iter().map(|(path, id)| (path.as_str(), id.as_str())).collect();
    let tree: Vec<String> = files.iter().map(|(path, _)| path.clone()).collect();
    let roots = project_roots(&tree);
    let mut wanted: Vec<&str> = roots.iter().flat_map(|root| project_file_paths(&tree, root)).collect();
    wanted.extend(changed.iter().map(String::as_str));
    wanted.sort_unstable();
    wanted.dedup();
    let wanted_ids: Vec<&str> = wanted.iter().filter_map(|path| ids.get(path).copied()).collect();
    repo.read(&wanted_ids, blobs)?;
    let texts: HashMap<String, String> = wanted.iter().filter_map(|path| Some((path.to_string(), blobs.get(*ids.get(path)?)?.clone()))).collect();
    let projects = roots.iter().map(|root| Project::read(root, &tree, &texts, dialect, &commit)).collect();
    Ok(Snapshot { commit, texts, projects })
}
