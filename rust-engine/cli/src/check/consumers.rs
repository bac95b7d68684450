//! The consumers found locally: the producer's own dbt models at `head`
//! (models downstream of a changed one `ref()` it), and the files under
//! `--paths` (SQL, dbt projects, code with SQL inside), each file one
//! consumer, classified with the engine's `classify_impact`.

use std::collections::HashSet;
use std::path::PathBuf;

use ripple_engine::analysis::FileAnalysis;
use ripple_engine::{analyze, classify_impact, ConsumerImpact, Dialect, Language, Options, Schema, TableSchema};

use super::datasets::{DatasetChange, Snapshot};
use super::projects::in_repo;
use crate::files::{consumer_files, ConsumerFile};
use crate::project::{source_names, Project};
use crate::Usage;

/// Every local consumer file, analysed once for all changed datasets.
pub(crate) struct LocalConsumers {
    files: Vec<ConsumerFile>,
    analyses: Vec<Option<FileAnalysis>>,
    project: Project,
}

impl LocalConsumers {
    /// The models of `head`'s dbt projects and the files under `paths`
    /// (read from disk; one that is also a model of `head` is read once),
    /// analysed against the projects' schemas at `base` with each changed
    /// dataset's columns before its change.
    pub fn read(repo_root: &std::path::Path, base: &Snapshot, head: &Snapshot, paths: &[PathBuf], changes: &[DatasetChange], dialect: Dialect) -> Result<LocalConsumers, Usage> {
        let mut files = Vec::new();
        let mut seen = HashSet::new();
        for project in &head.projects {
            for file in &project.files {
                let yaml = file.path.ends_with(".yml") || file.path.ends_with(".yaml");
                if !project.is_model_path(&file.path) || !(file.path.ends_with(".sql") || yaml) {
                    continue;
                }
                let shown = in_repo(&project.root, &file.path);
                let language = if yaml { None } else { Some(Language::detect(&shown, &file.text).unwrap_or(Language::Dbt)) };
                if let Ok(canonical) = repo_root.join(&shown).canonicalize() {
                    seen.insert(canonical);
                }
                files.push(ConsumerFile { path: PathBuf::from(&shown), shown, language, text: file.text.clone() });
            }
        }
        if !paths.is_empty() {
            for file in consumer_files(paths, true)? {
                if file.path.canonicalize().is_ok_and(|c| seen.contains(&c)) {
                    continue;
                }
                files.push(file);
            }
        }
        // The schema consumers are read against: every project's at `base`,
        // and each changed dataset as it was.
        let mut schema = Schema::default();
        let mut sources = Vec::new();
        for project in &base.projects {
            schema.tables.extend(project.schema.schema.tables.iter().map(|(k, v)| (k.clone(), v.clone())));
            sources.extend(project.schema.sources.iter().cloned());
        }
        for project in &head.projects {
            sources.extend(project.schema.sources.iter().cloned());
        }
        let mut project = Project { schema: None, sources };
        for change in changes.iter().filter(|c| !c.before.is_empty()) {
            let columns = TableSchema { columns: change.before.clone() };
            for name in std::iter::once(change.dataset.clone()).chain(source_names(&change.dataset, &project, &files)) {
                schema.tables.insert(name, columns.clone());
            }
        }
        let options = Options { dialect, schema: Some(&schema) };
        let analyses = files.iter().map(|f| Some(analyze(&f.shown, f.language?, &f.text, options))).collect();
        project.schema = Some(schema);
        Ok(LocalConsumers { files, analyses, project })
    }

    /// Each consumer file that reads `change`'s dataset (not the dataset's
    /// own model), with its impact.
    pub fn impacts(&self, change: &DatasetChange) -> Vec<(String, ConsumerImpact)> {
        let Some(spec) = &change.diff.change else { return Vec::new() };
        let names = source_names(&spec.dataset, &self.project, &self.files);
        self.files
            .iter()
            .zip(&self.analyses)
            .filter(|(file, _)| file.shown != change.path)
            .filter_map(|(file, analysis)| {
                let impact = classify_impact(&[analysis.as_ref()?], spec, &names);
                (!impact.files.is_empty()).then(|| (file.shown.clone(), impact))
            })
            .collect()
    }
}
