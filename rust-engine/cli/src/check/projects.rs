//! The producer's dbt projects at one commit: their files read from git,
//! the schema the engine derives from them, and each model's output
//! columns as a table `diff_tables` compares.

use std::collections::HashMap;

use ripple_engine::dbt::{model_outputs, project_paths, project_schema, ProjectFile, ProjectPaths, ProjectSchema};
use ripple_engine::source::PLACEHOLDER_PREFIX;
use ripple_engine::{analyze, schema_tables, ColumnDef, Dialect, DiffOptions, Language, Options, SchemaFormat, TableDef};

use super::git::Commit;

/// One dbt project at one commit.
pub(crate) struct Project {
    /// Its folder in the repository (`""` at the root, else `warehouse/dbt`).
    pub root: String,
    pub paths: ProjectPaths,
    pub files: Vec<ProjectFile>,
    pub schema: ProjectSchema,
    /// Model name (lowercase) to its file, relative to `root`.
    pub models: HashMap<String, String>,
    /// Model name (lowercase) to its property file's entry (with the file).
    pub documented: HashMap<String, (String, TableDef)>,
    /// Property files that could not be read: relative path to the error.
    pub unreadable: HashMap<String, String>,
}

/// The project folders of a commit's tree: where a `dbt_project.yml` is
/// (not inside installed packages).
pub(crate) fn project_roots(tree: &[String]) -> Vec<String> {
    let mut roots: Vec<String> = tree
        .iter()
        .filter_map(|path| {
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
            let installed = dir.split('/').any(|part| part == "dbt_packages" || part == "node_modules" || part.starts_with('.'));
            (matches!(name, "dbt_project.yml" | "dbt_project.yaml") && !installed).then(|| dir.to_string())
        })
        .collect();
    roots.sort();
    roots.dedup();
    roots
}

/// The files of the project at `root` that say something about its tables
/// (as `ripple project` reads a folder), with paths in the repository.
pub(crate) fn project_file_paths<'a>(tree: &'a [String], root: &str) -> Vec<&'a str> {
    tree.iter()
        .map(String::as_str)
        .filter(|path| {
            let Some(relative) = relative(root, path) else { return false };
            let hidden = relative.split('/').rev().skip(1).any(|part| part.starts_with('.') || matches!(part, "dbt_packages" | "logs" | "node_modules"));
            if hidden {
                return false;
            }
            if relative.starts_with("target/") {
                return matches!(relative, "target/manifest.json" | "target/catalog.json");
            }
            matches!(relative.rsplit_once('.').map(|(_, e)| e), Some("sql" | "yml" | "yaml" | "csv"))
        })
        .collect()
}

/// `path` relative to the project folder `root`, when it is inside.
pub(crate) fn relative<'a>(root: &str, path: &'a str) -> Option<&'a str> {
    if root.is_empty() {
        Some(path)
    } else {
        path.strip_prefix(root)?.strip_prefix('/')
    }
}

/// `root` joined with a path relative to it.
pub(crate) fn in_repo(root: &str, relative: &str) -> String {
    if root.is_empty() {
        relative.to_string()
    } else {
        format!("{root}/{relative}")
    }
}

impl Project {
    /// Reads the project at `root` from `texts` (its files at `commit`).
    pub fn read(root: &str, tree: &[String], texts: &HashMap<String, String>, dialect: Dialect, commit: &Commit) -> Project {
        let files: Vec<ProjectFile> =
            project_file_paths(tree, root).into_iter().filter_map(|path| Some(ProjectFile { path: relative(root, path)?.to_string(), text: texts.get(path)?.clone() })).collect();
        let paths = project_paths(&files);
        let under = |path: &str, roots: &[String]| roots.iter().any(|r| path.starts_with(&format!("{r}/")));
        let schema = project_schema(&files, dialect, None, None);
        for problem in &schema.problems {
            eprintln!("ripple: warning: {} ({}): {}", commit.name, if root.is_empty() { "." } else { root }, problem);
        }
        let mut models = HashMap::new();
        let mut documented = HashMap::new();
        let mut unreadable = HashMap::new();
        let options = DiffOptions { format: Some(SchemaFormat::Dbt), dialect: Some(dialect), table: None };
        for file in &files {
            if !under(&file.path, &paths.models) {
                continue;
            }
            if file.path.ends_with(".sql") {
                models.insert(stem(&file.path).to_ascii_lowercase(), file.path.clone());
            } else if file.path.ends_with(".yml") || file.path.ends_with(".yaml") {
                match schema_tables(&in_repo(root, &file.path), &file.text, &options) {
                    Ok((_, tables)) => {
                        for table in tables {
                            documented.insert(table.name.to_ascii_lowercase(), (file.path.clone(), table));
                        }
                    }
                    Err(e) => {
                        unreadable.insert(file.path.clone(), e.to_string());
                    }
                }
            }
        }
        Project { root: root.to_string(), paths, files, schema, models, documented, unreadable }
    }

    /// True when `path` (relative to the project) is under its model paths.
    pub fn is_model_path(&self, path: &str) -> bool {
        self.paths.models.iter().any(|r| path.starts_with(&format!("{r}/")))
    }

    /// The model `name`'s output columns, as a table: names from its SQL
    /// analysed against the project's schema (so `*` over a ref expands);
    /// types from the casts its SQL writes, else from its property file's
    /// `data_type`; renames its property file declares (`meta.renamed_from`,
    /// `renamed_from`). `None` when the model has no SQL here or its SQL
    /// names no columns.
    pub fn model_table(&self, name: &str, dialect: Dialect) -> Option<(String, TableDef)> {
        let relative = self.models.get(&name.to_ascii_lowercase())?;
        let text = &self.files.iter().find(|f| &f.path == relative)?.text;
        let path = in_repo(&self.root, relative);
        let analysis = analyze(&path, Language::Dbt, text, Options { dialect, schema: Some(&self.schema.schema) });
        let last = analysis.statements.iter().rev().find(|s| s.parsed && !s.outputs.is_empty())?;
        let items = model_outputs(text, dialect).filter(|items| items.len() == last.outputs.len());
        let documented = self.documented.get(&name.to_ascii_lowercase()).map(|(_, t)| t);
        let columns = last
            .outputs
            .iter()
            .enumerate()
            .filter_map(|(i, output)| {
                let name = output.name.clone().filter(|n| !n.contains(PLACEHOLDER_PREFIX))?;
                let item = items.as_ref().map(|items| &items[i]);
                let doc = documented.and_then(|t| t.columns.iter().find(|c| c.name.eq_ignore_ascii_case(&name)));
                let data_type = item.and_then(|i| i.data_type.clone()).or_else(|| doc.and_then(|d| d.data_type.clone()));
                let renamed_from = doc.and_then(|d| d.renamed_from.clone());
                Some(ColumnDef { renamed_from, ..ColumnDef::new(name, data_type, item.map_or(1, |i| i.line)) })
            })
            .collect();
        let model = stem(relative).to_string();
        Some((path, TableDef { name: model, renamed_from: documented.and_then(|t| t.renamed_from.clone()), line: 1, columns }))
    }
}

/// `models/staging/stg_orders.sql` is `stg_orders`.
pub(crate) fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}
