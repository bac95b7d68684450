//! dbt projects: `ripple project` prints the schema a project already
//! knows, and `--project` on `analyze` and `rewrite` uses it.

use std::path::Path;
use std::process::ExitCode;

use ripple_engine::dbt::{project_schema, ProjectFile, ProjectSchema};
use ripple_engine::{Dialect, Schema};

use crate::files::{print_json, read, read_schema};
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

/// The schema for `analyze` and `rewrite`: the project's, with `explicit`
/// winning where it names a table. What the project could not decide is
/// said on stderr.
pub(crate) fn schema_with_project(project: Option<&Path>, explicit: Option<&Path>, dialect: Dialect) -> Result<Option<Schema>, Usage> {
    let explicit = explicit.map(read_schema).transpose()?;
    let Some(root) = project else { return Ok(explicit) };
    let derived = derive(root, dialect, explicit.as_ref())?;
    for conflict in &derived.conflicts {
        eprintln!("ripple: warning: {}: `{}`: {} (its columns are left unknown)", root.display(), conflict.table, conflict.message);
    }
    for problem in &derived.problems {
        eprintln!("ripple: warning: {}: {problem}", root.display());
    }
    Ok(Some(derived.schema))
}

fn derive(root: &Path, dialect: Dialect, explicit: Option<&Schema>) -> Result<ProjectSchema, Usage> {
    Ok(project_schema(&project_files(root)?, dialect, explicit))
}

/// `ripple project DIR`: the derived schema, where each table's columns came
/// from, and what disagreed.
pub(crate) fn project(root: &Path, dialect: Dialect, explicit: Option<&Path>) -> Result<ExitCode, Usage> {
    let explicit = explicit.map(read_schema).transpose()?;
    print_json(&derive(root, dialect, explicit.as_ref())?)?;
    Ok(ExitCode::SUCCESS)
}
