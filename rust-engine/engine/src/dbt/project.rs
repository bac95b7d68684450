//! The schemas a dbt project already knows, so its models need none written
//! by hand: each model's output columns computed from its SQL (through its
//! refs, recursively), seeds' CSV headers, property files' `columns`, and
//! `target/catalog.json` and `target/manifest.json` when present.
//!
//! Sources rank by what they claim. A *full* source says which columns a
//! table has: a schema given explicitly (which wins over everything),
//! `catalog.json` (read from the warehouse), a seed's CSV header, a model's
//! SQL. A *documented* source lists columns someone wrote down, which may
//! be only some: property files and `manifest.json` (built from them). Two
//! full sources that disagree, or documentation naming a column no full
//! source has, is a conflict: reported, and that table is left out rather
//! than guessed. A table with documentation only takes it as its columns.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::sources::{source_names, source_tables, SourceTable};
use super::yaml::{self, Node};
use crate::analysis::analyze;
use crate::schema::{ColumnSchema, TableSchema};
use crate::source::{Language, PLACEHOLDER_PREFIX};
use crate::{Change, ChangeSpec, ColumnFate, Dialect, Options, Schema};

/// A file of the project: its path from the project's root, and its text.
#[derive(Debug, Clone)]
pub struct ProjectFile {
    pub path: String,
    pub text: String,
}

/// Where a table's columns came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Origin {
    /// The schema given with `--schema` (or the dataset's annotation).
    Explicit,
    /// `target/catalog.json`: the warehouse's own columns.
    Catalog,
    /// A seed's CSV header.
    Seed,
    /// The model's SQL, analysed.
    Sql,
    /// `target/manifest.json`: the columns property files document.
    Manifest,
    /// A property file's `columns`.
    Properties,
}

impl Origin {
    /// Full origins list every column; the others may list only some.
    fn is_full(self) -> bool {
        matches!(self, Origin::Explicit | Origin::Catalog | Origin::Seed | Origin::Sql)
    }
}

/// One table's columns from one origin.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct TableOrigin {
    pub table: String,
    pub origin: Origin,
    /// The file it came from.
    pub path: Option<String>,
    pub columns: Vec<String>,
    /// False for a model's SQL whose columns a Jinja `{% for %}` writes: the
    /// engine does not run the loop, so it may list only some of them, and
    /// it then ranks as documentation (a catalog, say, wins without a
    /// conflict).
    #[serde(skip)]
    pub complete: bool,
}

/// Sources that disagree on a table, left out of the schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct SchemaConflict {
    pub table: String,
    pub message: String,
}

/// The schema derived from a project, with where each table's columns came
/// from and what disagreed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ProjectSchema {
    pub schema: Schema,
    /// The origin each table of `schema` took its columns from.
    pub origins: Vec<TableOrigin>,
    pub conflicts: Vec<SchemaConflict>,
    /// Files that could not be read (invalid YAML or JSON), with why.
    pub problems: Vec<String>,
    /// The sources its property files declare, with the relation each
    /// stands for: a change may name a source by its relation.
    pub sources: Vec<SourceTable>,
}

/// A project's models, seeds and sources, each with what each origin says.
#[derive(Default)]
struct Claims {
    /// Table name (lowercase) to the claims on it.
    tables: BTreeMap<String, Vec<TableOrigin>>,
    /// Models' SQL, by model name (lowercase).
    models: BTreeMap<String, ProjectFile>,
    problems: Vec<String>,
}

impl Claims {
    fn add(&mut self, table: &str, origin: Origin, path: Option<&str>, columns: Vec<String>) {
        if columns.is_empty() {
            return;
        }
        self.tables.entry(table.to_ascii_lowercase()).or_default().push(TableOrigin { table: table.to_string(), origin, path: path.map(str::to_string), columns, complete: true });
    }
}

/// Where a project keeps its models and seeds, from its `dbt_project.yml`
/// (`model-paths`, `seed-paths`; dbt's defaults without one), each a folder
/// relative to the project's root, without a trailing `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPaths {
    pub models: Vec<String>,
    pub seeds: Vec<String>,
}

/// The [`ProjectPaths`] of the project whose files `files` are.
pub fn project_paths(files: &[ProjectFile]) -> ProjectPaths {
    let config = files.iter().find(|f| f.path == "dbt_project.yml" || f.path == "dbt_project.yaml");
    let config = config.and_then(|c| yaml::parse(&c.text).ok());
    let paths = |key: &str, default: &str| -> Vec<String> {
        let from_config =
            config.as_ref().and_then(|docs| docs.first()?.map()?.get(key)).map(|seq| seq.items().iter().filter_map(|n| n.str().map(|s| s.trim_end_matches('/').to_string())).collect::<Vec<_>>());
        from_config.unwrap_or_else(|| vec![default.to_string()])
    };
    ProjectPaths { models: paths("model-paths", "models"), seeds: paths("seed-paths", "seeds") }
}

/// Derives the schemas of `files`' models, seeds and sources. `explicit`
/// wins for the tables it names. With the `change` being made, the
/// dataset's columns are those before it, even when the project already
/// holds the producer's change; and origins that differ only by the change
/// (a `catalog.json` built before it, a model's SQL after) agree.
pub fn project_schema(files: &[ProjectFile], dialect: Dialect, explicit: Option<&Schema>, change: Option<&ChangeSpec>) -> ProjectSchema {
    let ProjectPaths { models: model_paths, seeds: seed_paths } = project_paths(files);
    let under = |path: &str, roots: &[String]| roots.iter().any(|r| path.starts_with(&format!("{r}/")));

    let mut claims = Claims::default();
    for file in files {
        let stem = file_stem(&file.path);
        if under(&file.path, &model_paths) && file.path.ends_with(".sql") {
            claims.models.insert(stem.to_ascii_lowercase(), file.clone());
        } else if under(&file.path, &seed_paths) && file.path.ends_with(".csv") {
            if let Some(header) = csv_header(&file.text) {
                claims.add(stem, Origin::Seed, Some(&file.path), header);
            }
        } else if (file.path.ends_with(".yml") || file.path.ends_with(".yaml")) && (under(&file.path, &model_paths) || under(&file.path, &seed_paths)) {
            properties(file, &mut claims);
        } else if file.path == "target/catalog.json" {
            catalog(file, &mut claims);
        } else if file.path == "target/manifest.json" {
            manifest(file, &mut claims);
        }
    }
    if let Some(schema) = explicit {
        for (table, t) in &schema.tables {
            claims.add(table, Origin::Explicit, None, t.columns.iter().map(|c| c.name.clone()).collect());
        }
    }
    let properties = files.iter().filter(|f| under(&f.path, &model_paths) || under(&f.path, &seed_paths));
    let sources = source_tables(properties.map(|f| (f.path.as_str(), f.text.as_str())));
    // The change as each name of its dataset: a source named by its
    // relation is read by its source name.
    let changes: Vec<ChangeSpec> = change
        .into_iter()
        .flat_map(|spec| {
            let names = std::iter::once(spec.dataset.clone()).chain(source_names(&spec.dataset, &sources));
            names.map(|dataset| ChangeSpec { dataset, ..spec.clone() })
        })
        .collect();
    let mut result = resolve(claims, dialect, explicit, &changes);
    result.sources = sources;
    result
}

/// Decides each table's columns, computing models' from their SQL in the
/// order their refs allow.
fn resolve(mut claims: Claims, dialect: Dialect, explicit: Option<&Schema>, changes: &[ChangeSpec]) -> ProjectSchema {
    let mut result = ProjectSchema { problems: std::mem::take(&mut claims.problems), ..ProjectSchema::default() };
    let mut decided: HashMap<String, Option<TableOrigin>> = HashMap::new();
    // Tables no model defines are decided first; models as their inputs are.
    let names: Vec<String> = claims.tables.keys().filter(|t| !claims.models.contains_key(*t)).cloned().collect();
    for table in names {
        let choice = decide(&table, &claims.tables[&table], &mut result.conflicts, changes);
        decided.insert(table, choice);
    }
    let mut pending: Vec<String> = claims.models.keys().cloned().collect();
    // The changed dataset as it was before the change: the models
    // downstream still read it so.
    let schema_of = |decided: &HashMap<String, Option<TableOrigin>>| {
        let mut schema = schema_of(decided, explicit);
        changes.iter().for_each(|spec| before_change(&mut schema, spec));
        schema
    };
    loop {
        let schema = schema_of(&decided);
        let before = pending.len();
        pending.retain(|model| {
            let file = &claims.models[model];
            match model_columns(file, dialect, &schema, &claims, &decided) {
                Some(columns) => {
                    let mut all = claims.tables.get(model).cloned().unwrap_or_default();
                    all.push(TableOrigin {
                        table: file_stem(&file.path).to_string(),
                        origin: Origin::Sql,
                        path: Some(file.path.clone()),
                        complete: !has_loop(&file.text) && !columns.iter().any(|c| c.contains(PLACEHOLDER_PREFIX)),
                        // A name Jinja writes (`{{ m }}_amount`) is not known.
                        columns: columns.into_iter().filter(|c| !c.contains(PLACEHOLDER_PREFIX)).collect(),
                    });
                    let choice = decide(model, &all, &mut result.conflicts, changes);
                    decided.insert(model.clone(), choice);
                    false
                }
                None => true,
            }
        });
        if pending.len() == before {
            break;
        }
    }
    // Models whose SQL does not say all its columns: their other claims.
    for model in pending {
        if let Some(all) = claims.tables.get(&model) {
            let choice = decide(&model, all, &mut result.conflicts, changes);
            decided.insert(model, choice);
        }
    }
    result.schema = schema_of(&decided);
    result.origins = decided.into_values().flatten().collect();
    result.origins.sort_by(|a, b| a.table.cmp(&b.table));
    result.conflicts.sort_by(|a, b| a.table.cmp(&b.table));
    result
}

/// The columns a table takes from its claims, or `None` on a conflict.
/// Claims on the dataset of one of `changes` are compared as they will be
/// after it: an origin from before the change agrees with one after.
fn decide(table: &str, claims: &[TableOrigin], conflicts: &mut Vec<SchemaConflict>, changes: &[ChangeSpec]) -> Option<TableOrigin> {
    let change = changes.iter().find(|spec| crate::schema::names_match(table, &spec.dataset) || crate::schema::names_match(&spec.dataset, table));
    // Lowercase, and as after the change.
    let compared = |c: &[String]| -> Vec<String> {
        c.iter()
            .filter_map(|name| match change.map(|spec| spec.column_fate(name)) {
                Some(ColumnFate::Renamed(to)) => Some(to.to_ascii_lowercase()),
                Some(ColumnFate::Dropped) => None,
                _ => Some(name.to_ascii_lowercase()),
            })
            .collect()
    };
    if let Some(explicit) = claims.iter().find(|c| c.origin == Origin::Explicit) {
        return Some(explicit.clone());
    }
    let mut full: Vec<&TableOrigin> = claims.iter().filter(|c| c.origin.is_full() && c.complete).collect();
    full.sort_by_key(|c| c.origin);
    if let Some(first) = full.first() {
        let columns = compared(&first.columns);
        if let Some(other) = full.iter().find(|o| {
            let mut a = compared(&o.columns);
            let mut b = columns.clone();
            a.sort();
            b.sort();
            a != b
        }) {
            conflicts.push(SchemaConflict { table: table.to_string(), message: format!("{} and {} list different columns", describe(first), describe(other)) });
            return None;
        }
        for documented in claims.iter().filter(|c| !(c.origin.is_full() && c.complete)) {
            if let Some(extra) = compared(&documented.columns).into_iter().find(|c| !columns.contains(c)) {
                conflicts.push(SchemaConflict { table: table.to_string(), message: format!("{} documents `{extra}`, which {} does not have", describe(documented), describe(first)) });
                return None;
            }
        }
        return Some((*first).clone());
    }
    // Documentation only: the first origin in rank order that says anything.
    // Not a model's SQL known to list only some of its columns (a Jinja
    // loop's): `*` over it would expand to too few. Its table stays unknown.
    claims.iter().filter(|c| c.complete).min_by_key(|c| c.origin).cloned()
}

fn describe(origin: &TableOrigin) -> String {
    let what = match origin.origin {
        Origin::Explicit => "the schema given",
        Origin::Catalog => "catalog.json",
        Origin::Seed => "the seed's header",
        Origin::Sql => "the model's SQL",
        Origin::Manifest => "manifest.json",
        Origin::Properties => "the property file",
    };
    match &origin.path {
        Some(path) if !matches!(origin.origin, Origin::Catalog | Origin::Manifest) => {
            format!("{what} ({path})")
        }
        _ => what.to_string(),
    }
}

fn schema_of(decided: &HashMap<String, Option<TableOrigin>>, explicit: Option<&Schema>) -> Schema {
    let mut schema = explicit.cloned().unwrap_or_default();
    for origin in decided.values().flatten() {
        schema.tables.entry(origin.table.clone()).or_insert_with(|| TableSchema { columns: origin.columns.iter().map(|name| ColumnSchema { name: name.clone(), data_type: None }).collect() });
    }
    schema
}

/// A model's output columns, when its SQL names them all and every table it
/// reads from the project is decided.
fn model_columns(file: &ProjectFile, dialect: Dialect, schema: &Schema, claims: &Claims, decided: &HashMap<String, Option<TableOrigin>>) -> Option<Vec<String>> {
    let analysis = analyze(&file.path, Language::Dbt, &file.text, Options { dialect, schema: Some(schema) });
    // An input of the project not decided yet: wait for it.
    for statement in &analysis.statements {
        for read in &statement.reads {
            let name = read.table.to_ascii_lowercase();
            let last = name.rsplit('.').next().unwrap_or(&name).to_string();
            let in_project = claims.models.contains_key(&last) || claims.tables.contains_key(&name);
            if in_project && !decided.contains_key(&last) && !decided.contains_key(&name) {
                return None;
            }
        }
    }
    let last = analysis.statements.iter().rev().find(|s| s.parsed && !s.outputs.is_empty())?;
    last.outputs.iter().map(|o| o.name.clone()).collect()
}

/// `models:`, `seeds:` and `sources:` entries with `columns`.
fn properties(file: &ProjectFile, claims: &mut Claims) {
    let documents = match yaml::parse(&file.text) {
        Ok(documents) => documents,
        Err(e) => return claims.problems.push(format!("{}: line {}, column {}: {}", file.path, e.line, e.column, e.message)),
    };
    for top in documents.iter().filter_map(Node::map) {
        for key in ["models", "seeds", "snapshots"] {
            for entry in top.get(key).map_or(&[][..], Node::items) {
                if let Some((name, columns)) = named_columns(entry) {
                    claims.add(&name, Origin::Properties, Some(&file.path), columns);
                }
            }
        }
        for source in top.get("sources").map_or(&[][..], Node::items) {
            let Some(source_name) = source.map().and_then(|m| m.get_str("name")) else {
                continue;
            };
            for table in source.map().and_then(|m| m.get("tables")).map_or(&[][..], Node::items) {
                if let Some((name, columns)) = named_columns(table) {
                    claims.add(&format!("{source_name}.{name}"), Origin::Properties, Some(&file.path), columns);
                }
            }
        }
    }
}

/// An entry's `name` and its `columns`' names.
fn named_columns(entry: &Node) -> Option<(String, Vec<String>)> {
    let map = entry.map()?;
    let name = map.get_str("name")?.to_string();
    let names = map.get("columns")?.items().iter().filter_map(|c| c.map()?.get_str("name").map(str::to_string)).collect();
    Some((name, names))
}

/// `catalog.json`'s `nodes` and `sources`: `{"columns": {"ID": {"name": "id", "index": 1}}}`.
fn catalog(file: &ProjectFile, claims: &mut Claims) {
    let Some(json) = read_json(file, claims) else {
        return;
    };
    for section in ["nodes", "sources"] {
        for (id, node) in json.get(section).and_then(|n| n.as_object()).into_iter().flatten() {
            let Some(table) = relation_name(id, node) else {
                continue;
            };
            let mut columns: Vec<(u64, String)> = node
                .get("columns")
                .and_then(|c| c.as_object())
                .into_iter()
                .flatten()
                .map(|(key, c)| (c.get("index").and_then(|i| i.as_u64()).unwrap_or(0), c.get("name").and_then(|n| n.as_str()).unwrap_or(key).to_string()))
                .collect();
            columns.sort();
            claims.add(&table, Origin::Catalog, Some(&file.path), columns.into_iter().map(|(_, name)| name).collect());
        }
    }
}

/// `manifest.json`'s models, seeds and sources with documented `columns`.
fn manifest(file: &ProjectFile, claims: &mut Claims) {
    let Some(json) = read_json(file, claims) else {
        return;
    };
    for section in ["nodes", "sources"] {
        for (id, node) in json.get(section).and_then(|n| n.as_object()).into_iter().flatten() {
            let Some(table) = relation_name(id, node) else {
                continue;
            };
            // Documented columns keep the order they are written in.
            let columns: Vec<String> =
                node.get("columns").and_then(|c| c.as_object()).into_iter().flatten().map(|(key, c)| c.get("name").and_then(|n| n.as_str()).unwrap_or(key).to_string()).collect();
            claims.add(&table, Origin::Manifest, Some(&file.path), columns);
        }
    }
}

fn read_json(file: &ProjectFile, claims: &mut Claims) -> Option<serde_json::Value> {
    match serde_json::from_str(&file.text) {
        Ok(json) => Some(json),
        Err(e) => {
            claims.problems.push(format!("{}: line {}, column {}: {e}", file.path, e.line(), e.column()));
            None
        }
    }
}

/// The name SQL reads a manifest or catalog node by: a model's or seed's
/// name, a source's `source_name.name`.
fn relation_name(id: &str, node: &serde_json::Value) -> Option<String> {
    let kind = id.split('.').next()?;
    let name = node.get("name").and_then(|n| n.as_str()).or_else(|| node.get("metadata").and_then(|m| m.get("name")).and_then(|n| n.as_str())).or_else(|| id.rsplit('.').next())?;
    match kind {
        "model" | "seed" | "snapshot" => Some(name.to_string()),
        "source" => {
            let source = node.get("source_name").and_then(|n| n.as_str()).or_else(|| id.split('.').nth(2))?;
            Some(format!("{source}.{name}"))
        }
        _ => None,
    }
}

/// True when `text` has a Jinja `{% for %}` block (`{%- for`, too).
fn has_loop(text: &str) -> bool {
    text.match_indices("{%").any(|(at, _)| text[at + 2..].trim_start_matches('-').trim_start().starts_with("for "))
}

/// A seed's column names: its CSV header.
fn csv_header(text: &str) -> Option<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header = reader.headers().ok()?;
    let names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    (!names.is_empty() && names.iter().all(|n| !n.is_empty())).then_some(names)
}

/// `models/staging/stg_orders.sql` is `stg_orders`.
fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

/// The dataset's columns as they were before `spec`, when the project
/// already holds the producer's change (its model renamed a column, or the
/// model itself moved): consumers are read as they still are, against the
/// old columns. A project still before the change is left as it is.
fn before_change(schema: &mut Schema, spec: &ChangeSpec) {
    let renames: Vec<(&str, &str)> = spec
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::RenameColumn { column, to } => Some((column.as_str(), to.as_str())),
            _ => None,
        })
        .collect();
    let has = |columns: &[ColumnSchema], name: &str| columns.iter().any(|c| c.name.eq_ignore_ascii_case(name));
    let old = schema.columns(&spec.dataset).map(<[ColumnSchema]>::to_vec);
    let new = spec.new_table().and_then(|t| schema.columns(t)).map(<[ColumnSchema]>::to_vec);
    let (columns, moved) = match (old, new) {
        (Some(columns), _) if renames.iter().all(|(from, _)| has(&columns, from)) => return,
        (Some(columns), _) => (columns, false),
        (None, Some(columns)) => (columns, true),
        (None, None) => return,
    };
    let mut before: Vec<ColumnSchema> = columns
        .into_iter()
        .map(|c| match renames.iter().find(|(_, to)| to.eq_ignore_ascii_case(&c.name)) {
            Some((from, _)) => ColumnSchema { name: from.to_string(), ..c },
            None => c,
        })
        .collect();
    for change in &spec.changes {
        if let Change::DropColumn { column } = change {
            if !has(&before, column) {
                before.push(ColumnSchema { name: column.clone(), data_type: None });
            }
        }
    }
    let key = match (moved, schema.table(&spec.dataset)) {
        (false, Some((key, _))) => key.to_string(),
        _ => spec.dataset.clone(),
    };
    schema.tables.insert(key, TableSchema { columns: before });
}
