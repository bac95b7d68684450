//! dbt projects: `ripple project` prints the schema a project already
//! knows, and `--project` on `analyze` and `rewrite` uses it.

use std::path::Path;
use std::process::ExitCode;

use ripple_engine::dbt::{project_schema, source_tables, ProjectFile, SourceTable};
use ripple_engine::{ChangeSpec, Dialect, Schema};

use crate::files::{print_json, read, read_schema, ConsumerFile};
use crate::Usage;

/// The files of the project at `root` that say something about its
/// tables, with paths relative to it: its config, models, seeds, property
/// files, and the manifest and catalog dbt writes to `target/`.
fn project_files(root: &Path) -> Result<Vec<ProjectFile>, Usage> {
    let fail = |e: walkdir::Error| Usage(format!("cannot read {}: {e}", root.display()));
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(root).sort_by_file_name().into_iter().filter_entry(|e| {
        let name = e.file_name().to_string_lossy();
        // Installed packages, logs and hidden folders are not the project's;
        // of `target/`, only the manifest and the catalog are read.
        e.depth() == 0 || !(e.file_type().is_dir() && (name.starts_with('.') || matches!(name.as_ref(), "dbt_packages" | "logs" | "node_modules")))
    });
    for entry in walker {
        let entry = entry.map_err(fail)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let path = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        let wanted = if path.starts_with("target/") {
            matches!(path.as_str(), "target/manifest.json" | "target/catalog.json")
        } else {
            matches!(path.rsplit_once('.').map(|(_, e)| e), Some("sql" | "yml" | "yaml" | "csv"))
        };
        if wanted {
            files.push(ProjectFile { text: read(entry.path())?, path });
        }
    }
    if !files.iter().any(|f| f.path == "dbt_project.yml" || f.path == "dbt_project.yaml") {
        return Err(Usage(format!("{}: no dbt_project.yml: not a dbt project", root.display())));
    }
    Ok(files)
}

/// What `analyze` and `rewrite` take from a dbt project: its schema (with
/// `--schema` winning where it names a table), and the sources it declares.
#[derive(Default)]
pub(crate) struct Project {
    pub schema: Option<Schema>,
    pub sources: Vec<SourceTable>,
}

/// The project at `project` for a run (and the `change` it makes, whose
/// dataset's columns are then those before it). What the project could not
/// decide is said on stderr.
pub(crate) fn load(project: Option<&Path>, explicit: Option<&Path>, dialect: Dialect, change: Option<&ChangeSpec>) -> Result<Project, Usage> {
    let explicit = explicit.map(read_schema).transpose()?;
    let Some(root) = project else {
        return Ok(Project { schema: explicit, sources: Vec::new() });
    };
    let derived = project_schema(&project_files(root)?, dialect, explicit.as_ref(), change);
    for conflict in &derived.conflicts {
        eprintln!("ripple: warning: {}: `{}`: {} (its columns are left unknown)", root.display(), conflict.table, conflict.message);
    }
    for problem in &derived.problems {
        eprintln!("ripple: warning: {}: {problem}", root.display());
    }
    Ok(Project { schema: Some(derived.schema), sources: derived.sources })
}

/// The names under which dbt models read `dataset` besides its own: the
/// source whose relation it is, declared in the project or in the property
/// files among `files`.
pub(crate) fn source_names(dataset: &str, project: &Project, files: &[ConsumerFile]) -> Vec<String> {
    let mut sources = project.sources.clone();
    let properties = files.iter().filter(|f| f.language.is_none()).map(|f| (f.shown.as_str(), f.text.as_str()));
    sources.extend(source_tables(properties));
    ripple_engine::dbt::source_names(dataset, &sources)
}

/// `ripple project DIR`: the derived schema, where each table's columns came
/// from, what disagreed, and the sources it declares.
pub(crate) fn project(root: &Path, dialect: Dialect, explicit: Option<&Path>) -> Result<ExitCode, Usage> {
    let explicit = explicit.map(read_schema).transpose()?;
    print_json(&project_schema(&project_files(root)?, dialect, explicit.as_ref(), None))?;
    Ok(ExitCode::SUCCESS)
}
