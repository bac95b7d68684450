//! The datasets a pull request changes, each with its change derived by
//! the engine (`diff_tables` for dbt models, `diff_schemas` for schema
//! files): dbt models whose SQL or property file changed, their output
//! columns compared at both commits; and the schema files that changed
//! (Ripple schema JSON, dbt property files' sources, BigQuery schemas,
//! `CREATE TABLE` DDL).

use std::collections::{BTreeSet, HashMap};

use ripple_engine::{diff_schemas, diff_tables, ColumnSchema, Dialect, DiffOptions, SchemaDiff, TableDef};
use serde::Serialize;

use super::git::Commit;
use super::projects::{relative, stem, Project};
use crate::Usage;

/// Where a dataset's change was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Origin {
    /// A dbt model's SQL (and its property file), compared at both commits.
    DbtModel,
    /// A schema file.
    SchemaFile,
}

/// One changed dataset.
pub(crate) struct DatasetChange {
    pub dataset: String,
    pub origin: Origin,
    /// The file it was found in, in the repository (a model's SQL).
    pub path: String,
    /// The change as `ripple diff` prints it.
    pub diff: SchemaDiff,
    /// Its columns before the change, for consumers that read it through `*`.
    pub before: Vec<ColumnSchema>,
}

/// One commit's files: the texts read, and its dbt projects.
pub(crate) struct Snapshot {
    pub commit: Commit,
    pub texts: HashMap<String, String>,
    pub projects: Vec<Project>,
}

impl Snapshot {
    fn project_of(&self, path: &str) -> Option<&Project> {
        // The innermost project holding the path.
        self.projects.iter().filter(|p| relative(&p.root, path).is_some()).max_by_key(|p| p.root.len())
    }
}

/// Every dataset `changed` (the paths that differ) changes between `base`
/// and `head`. Bad input (a changed schema file of no known format,
/// malformed YAML, JSON or DDL) is an error naming the commit, the file and
/// the line.
pub(crate) fn changed_datasets(base: &Snapshot, head: &Snapshot, changed: &[String], dialect: Dialect) -> Result<Vec<DatasetChange>, Usage> {
    let mut found = Vec::new();
    let mut models: BTreeSet<(String, String)> = BTreeSet::new();
    for path in changed {
        let project = head.project_of(path).or_else(|| base.project_of(path));
        let in_models = project.and_then(|p| Some((p, relative(&p.root, path)?))).filter(|(p, r)| p.is_model_path(r));
        match in_models {
            Some((project, rel)) if rel.ends_with(".sql") => {
                models.insert((project.root.clone(), stem(rel).to_ascii_lowercase()));
            }
            Some((project, rel)) if is_yaml(rel) => {
                // A property file: its models are compared through their SQL,
                // its sources (and models without SQL) as a schema file.
                for snapshot in [base, head] {
                    if let Some(error) = snapshot.projects.iter().find(|p| p.root == project.root).and_then(|p| p.unreadable.get(rel)) {
                        return Err(Usage(format!("{} ({}): {error}", snapshot.commit.name, short(&snapshot.commit))));
                    }
                }
                let mut sources = Vec::new();
                for snapshot in [base, head] {
                    let Some(p) = snapshot.projects.iter().find(|p| p.root == project.root) else { continue };
                    for (name, (file, table)) in &p.documented {
                        if file != rel {
                            continue;
                        }
                        if p.models.contains_key(name) {
                            models.insert((project.root.clone(), name.clone()));
                        } else {
                            sources.push(table.name.clone());
                        }
                    }
                }
                sources.sort();
                sources.dedup();
                if !sources.is_empty() {
                    found.extend(schema_file(base, head, path, dialect, Some(&sources))?);
                }
            }
            _ if project.is_some_and(|p| in_dbt_folder(p, path)) => {}
            _ if is_schema_file(path, base.texts.get(path).or(head.texts.get(path))) => found.extend(schema_file(base, head, path, dialect, None)?),
            _ => {}
        }
    }
    for (root, model) in models {
        found.extend(model_change(base, head, &root, &model, dialect)?);
    }
    Ok(found)
}

/// A model's change: its output columns at both commits. A model new at
/// `head` changes nothing consumers read; one gone from `head` is dropped
/// or moved (to a model whose property entry says `renamed_from` it).
fn model_change(base: &Snapshot, head: &Snapshot, root: &str, model: &str, dialect: Dialect) -> Result<Option<DatasetChange>, Usage> {
    let Some(before) = base.projects.iter().find(|p| p.root == root) else { return Ok(None) };
    let Some((old_path, old)) = before.model_table(model, dialect) else { return Ok(None) };
    let after = head.projects.iter().find(|p| p.root == root);
    let new = after.and_then(|p| {
        p.model_table(model, dialect).or_else(|| {
            let moved = p.documented.values().find(|(_, t)| t.renamed_from.as_deref().is_some_and(|f| f.eq_ignore_ascii_case(model)))?;
            p.model_table(&moved.1.name, dialect)
        })
    });
    let new_path = new.as_ref().map_or_else(|| old_path.clone(), |(p, _)| p.clone());
    let new_tables: Vec<TableDef> = new.map(|(_, t)| t).into_iter().collect();
    let options = DiffOptions { format: None, dialect: Some(dialect), table: None };
    let diff = diff_tables((&old_path, std::slice::from_ref(&old)), (&new_path, &new_tables), &options).map_err(|e| Usage(e.to_string()))?;
    let before_columns = old.columns.iter().map(|c| ColumnSchema { name: c.name.clone(), data_type: c.data_type.clone() }).collect();
    Ok(changes(&diff).then(|| DatasetChange { dataset: old.name.clone(), origin: Origin::DbtModel, path: old_path, diff, before: before_columns }))
}

/// A schema file's changes: one per table of `tables` (a property file's
/// sources), else the file's one dataset, or each table it changes.
fn schema_file(base: &Snapshot, head: &Snapshot, path: &str, dialect: Dialect, tables: Option<&[String]>) -> Result<Vec<DatasetChange>, Usage> {
    let (Some(old), new) = (base.texts.get(path), head.texts.get(path)) else {
        // A schema file new at `head` changes nothing consumers read.
        return Ok(Vec::new());
    };
    let empty = String::new();
    let new_text = new.unwrap_or(&empty);
    let options = DiffOptions { dialect: Some(dialect), ..DiffOptions::default() };
    // Each version read on its own first, so an error names the commit.
    let read = |snapshot: &Snapshot, text: &str| ripple_engine::schema_tables(path, text, &options).map_err(|e| Usage(format!("{} ({}): {e}", snapshot.commit.name, short(&snapshot.commit))));
    let (format, old_tables) = read(base, old)?;
    let fail = |e: ripple_engine::EngineError| Usage(format!("{}..{}: {e}", base.commit.name, head.commit.name));
    if new.is_none() {
        // Deleted: every table of it is dropped or moved elsewhere.
        let options = DiffOptions { format: Some(format), ..options.clone() };
        let mut found = Vec::new();
        for table in old_tables {
            let diff = diff_tables((path, std::slice::from_ref(&table)), (path, &[]), &options).map_err(fail)?;
            found.push(DatasetChange { dataset: table.name.clone(), origin: Origin::SchemaFile, path: path.to_string(), before: columns(&table), diff });
        }
        return Ok(found);
    }
    read(head, new_text)?;
    let diff_of = |table: Option<&str>| {
        let options = DiffOptions { format: None, dialect: Some(dialect), table: table.map(str::to_string) };
        diff_schemas((path, old), (path, new_text), &options).map_err(fail)
    };
    let before_of = |table: &str| -> Vec<ColumnSchema> { old_tables.iter().find(|t| t.name.eq_ignore_ascii_case(table)).map(columns).unwrap_or_default() };
    let mut found = Vec::new();
    let wanted: Vec<String> = if let Some(tables) = tables {
        tables.to_vec()
    } else {
        let whole = diff_of(None)?;
        match &whole.dataset {
            Some(dataset) if whole.tables.len() <= 1 => {
                if changes(&whole) {
                    let before = before_of(dataset);
                    found.push(DatasetChange { dataset: dataset.clone(), origin: Origin::SchemaFile, path: path.to_string(), diff: whole, before });
                }
                return Ok(found);
            }
            _ => whole.tables.clone(),
        }
    };
    for table in wanted {
        let diff = diff_of(Some(&table))?;
        if changes(&diff) {
            found.push(DatasetChange { dataset: diff.dataset.clone().unwrap_or(table.clone()), origin: Origin::SchemaFile, path: path.to_string(), before: before_of(&table), diff });
        }
    }
    Ok(found)
}

fn columns(table: &TableDef) -> Vec<ColumnSchema> {
    table.columns.iter().map(|c| ColumnSchema { name: c.name.clone(), data_type: c.data_type.clone() }).collect()
}

/// Whether a diff says anything consumers read changed (a change, or
/// something to confirm or decide); additions alone do not.
fn changes(diff: &SchemaDiff) -> bool {
    diff.change.is_some() || !diff.suggestions.is_empty() || !diff.undecided.is_empty()
}

fn is_yaml(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yml") || lower.ends_with(".yaml")
}

/// A file that is a schema file (outside dbt projects' own folders): `.sql`
/// or `.ddl` with `CREATE TABLE` and no Jinja; JSON or YAML named
/// `schema.*` or `*.schema.*`, or holding dbt's `models:`/`sources:` at its
/// top level. (Other YAML, a CI workflow, is none, and is not read as one;
/// nor is SQL a job runs, a dbt macro or test.)
fn is_schema_file(path: &str, text: Option<&String>) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let text = text.map(String::as_str).unwrap_or_default();
    if lower.ends_with(".sql") || lower.ends_with(".ddl") {
        if text.contains("{{") || text.contains("{%") {
            return false;
        }
        let folded = text.to_ascii_lowercase();
        let words: Vec<&str> = folded.split_whitespace().collect();
        return words.windows(2).any(|w| w == ["create", "table"]) || words.windows(4).any(|w| w == ["create", "or", "replace", "table"]);
    }
    let structured = lower.ends_with(".json") || is_yaml(&lower);
    if !structured || name.starts_with("dbt_project.") {
        return false;
    }
    let named = name.starts_with("schema.") || name.contains(".schema.");
    named || text.lines().any(|l| l.starts_with("models:") || l.starts_with("sources:"))
}

/// dbt's own folders of a project (besides its models): macros, tests,
/// analyses, snapshots, seeds, and what dbt writes or installs. Their SQL
/// is no table's DDL.
fn in_dbt_folder(project: &Project, path: &str) -> bool {
    let Some(relative) = relative(&project.root, path) else { return false };
    let top = relative.split('/').next().unwrap_or_default();
    project.paths.seeds.iter().any(|s| relative.starts_with(&format!("{s}/"))) || matches!(top, "macros" | "tests" | "analyses" | "analysis" | "snapshots" | "target" | "dbt_packages" | "logs")
}

/// A commit's id as people read it.
pub(crate) fn short(commit: &Commit) -> &str {
    &commit.commit[..commit.commit.len().min(12)]
}
