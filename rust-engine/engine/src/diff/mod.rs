//! `ripple diff`: the change spec between two versions of a dataset's
//! schema. Each version is read by its format's reader (`ripple.rs`,
//! `dbt.rs`, `bigquery.rs`, `ddl.rs`) into the same tables and columns
//! (`model.rs`); the tables of the two are paired (a move is a pair under
//! two names), and the dataset's pair compared column by column
//! (`compare.rs`, with `renames.rs` for renames nobody declared).
//!
//! Only what the files decide goes into the change: declared renames,
//! moves the files' own naming says, retypes and drops. Renames inferred
//! from a drop and an add are suggestions; what a change spec cannot say
//! (a RECORD's fields) is undecided, with the file and the line.

mod bigquery;
mod compare;
mod dbt;
mod ddl;
mod model;
mod read;
mod renames;
mod ripple;

use serde::Serialize;

pub use model::{ColumnDef, TableDef};
pub use read::SchemaFormat;

use crate::{Change, ChangeSpec, Dialect, EngineError};
use compare::{compare, Compared, Paths};

/// What `diff_schemas` needs besides the two files.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Both files' format; by default each file's own, from its name and
    /// content.
    pub format: Option<SchemaFormat>,
    /// The dialect of DDL and of the change's types; by default `generic`
    /// (`bigquery` for BigQuery schemas), and the change names none.
    pub dialect: Option<Dialect>,
    /// The dataset's table, when the files hold several (`proj.ds.orders`),
    /// or a move declared as `OLD=NEW`.
    pub table: Option<String>,
}

/// The change between two versions of a dataset's schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct SchemaDiff {
    /// The dataset's table, as the old version names it; absent when the
    /// files hold several tables and none was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub dataset: Option<String>,
    /// What was decided, as the change spec `ripple rewrite` and the API
    /// take; absent when nothing consumers read changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub change: Option<ChangeSpec>,
    /// Renames inferred, for a person to confirm: never in `change`.
    pub suggestions: Vec<Suggestion>,
    /// What could not be decided, each with where and why.
    pub undecided: Vec<Undecided>,
    /// Columns the new version adds (nothing consumers read changes).
    pub added: Vec<String>,
    /// Every table of the old version whose schema changed (moved, or a
    /// column renamed, retyped, dropped or added). Several without a
    /// `table` option: the caller diffs each by name.
    pub tables: Vec<String>,
}

/// A change the files suggest but do not decide.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Suggestion {
    /// The change to add to `change` when a person confirms it.
    pub change: Change,
    /// The changes of `change` it replaces (a `drop_column` of the column
    /// it renames).
    pub replaces: Vec<Change>,
    /// Why it is suggested.
    pub reason: String,
    /// Where: the file and line of the new column.
    pub path: String,
    pub line: u64,
}

/// Something the files change that no change spec can decide.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Undecided {
    pub path: String,
    pub line: u64,
    pub reason: String,
}

/// The change from the schema in `old` to the one in `new`, each a file's
/// path and text. Errors (`invalid_schema_file`) name the file, the line
/// and the column of a format it does not know, or of malformed JSON, YAML
/// or DDL; everything else is in the result.
pub fn diff_schemas(old: (&str, &str), new: (&str, &str), options: &DiffOptions) -> Result<SchemaDiff, EngineError> {
    let read_dialect = options.dialect.unwrap_or(Dialect::Generic);
    let before = read::read(old.0, old.1, options.format, read_dialect)?;
    let after = read::read(new.0, new.1, options.format, read_dialect)?;
    let bigquery = before.format == SchemaFormat::Bigquery || after.format == SchemaFormat::Bigquery;
    let dialect = options.dialect.or(bigquery.then_some(Dialect::BigQuery));
    diff_read((old.0, &before.tables), (new.0, &after.tables), dialect, options)
}

/// The tables of a schema file at `path`, as `diff_schemas` reads them
/// (with the same errors): for a caller that takes some of a table's
/// columns from elsewhere and passes the tables to [`diff_tables`].
pub fn schema_tables(path: &str, text: &str, options: &DiffOptions) -> Result<(SchemaFormat, Vec<TableDef>), EngineError> {
    let read = read::read(path, text, options.format, options.dialect.unwrap_or(Dialect::Generic))?;
    Ok((read.format, read.tables))
}

/// [`diff_schemas`] of tables read already: each version is its file's
/// path (which suggestions and undecided items name) and its tables.
pub fn diff_tables(old: (&str, &[TableDef]), new: (&str, &[TableDef]), options: &DiffOptions) -> Result<SchemaDiff, EngineError> {
    diff_read(old, new, options.dialect, options)
}

/// The comparison both entry points share.
fn diff_read(old: (&str, &[TableDef]), new: (&str, &[TableDef]), dialect: Option<Dialect>, options: &DiffOptions) -> Result<SchemaDiff, EngineError> {
    let (before_tables, after_tables) = (old.1, new.1);
    let declared = match options.table.as_deref().map(|t| t.split_once('=')) {
        Some(Some((from, to))) => Some((from.trim(), to.trim())),
        _ => None,
    };
    let paired = pair(before_tables, after_tables, declared);
    let changed: Vec<&Pair> = paired.iter().filter(|p| p.changed(before_tables, after_tables)).collect();
    let tables: Vec<String> = changed.iter().map(|p| before_tables[p.old].name.clone()).collect();
    let wanted = options.table.as_deref().map(|t| t.split_once('=').map_or(t, |(from, _)| from).trim());
    let chosen = match wanted {
        Some(name) => match paired.iter().find(|p| names_eq(&before_tables[p.old].name, name) || p.new.is_some_and(|n| names_eq(&after_tables[n].name, name))) {
            Some(pair) => Some(pair),
            None => {
                let known: Vec<&str> = before_tables.iter().map(|t| t.name.as_str()).collect();
                return Err(EngineError::InvalidSchemaFile { path: old.0.to_string(), line: 1, column: 1, message: format!("no table `{name}` (the tables: {})", known.join(", ")) });
            }
        },
        None if changed.len() == 1 => Some(changed[0]),
        None if changed.is_empty() && paired.len() == 1 => Some(&paired[0]),
        None => None,
    };
    let Some(pair) = chosen else {
        let undecided = match changed.first() {
            Some(first) if changed.len() > 1 => vec![Undecided {
                path: old.0.to_string(),
                line: before_tables[first.old].line,
                reason: format!("{} tables changed ({}): diff one at a time, naming it (--table)", changed.len(), tables.join(", ")),
            }],
            _ => Vec::new(),
        };
        return Ok(SchemaDiff { dataset: None, change: None, suggestions: Vec::new(), undecided, added: Vec::new(), tables });
    };
    let old_table = &before_tables[pair.old];
    let paths = Paths { old: old.0, new: new.0 };
    let moved_to = pair.new.map(|n| after_tables[n].name.as_str()).filter(|name| !names_eq(name, &old_table.name));
    let mut compared = match pair.new {
        Some(n) => compare(old_table, &after_tables[n], &paths, dialect.unwrap_or(Dialect::Generic), moved_to),
        None => Compared {
            undecided: vec![Undecided {
                path: old.0.to_string(),
                line: old_table.line,
                reason: format!("`{}` is not in {}: the table is dropped or moved to a name the files do not say", old_table.name, new.0),
            }],
            ..Compared::default()
        },
    };
    if let Some(to) = moved_to {
        compared.changes.insert(0, Change::RenameTable { to: to.to_string() });
    }
    let change = decided(&old_table.name, dialect, compared.changes, &mut compared.undecided, &paths, old_table);
    Ok(SchemaDiff { dataset: Some(old_table.name.clone()), change, suggestions: compared.suggestions, undecided: compared.undecided, added: compared.added, tables })
}

/// The change spec of what was decided, each change the spec's checks
/// refuse (a dbt column named `customer.id`) moved to `undecided`.
fn decided(dataset: &str, dialect: Option<Dialect>, changes: Vec<Change>, undecided: &mut Vec<Undecided>, paths: &Paths, table: &TableDef) -> Option<ChangeSpec> {
    if changes.is_empty() {
        return None;
    }
    let mut spec = ChangeSpec { dataset: dataset.to_string(), dialect, changes, preserve_output_names: true };
    let refused: Vec<(usize, String)> = spec
        .problems(dialect.unwrap_or(Dialect::Generic))
        .into_iter()
        .filter_map(|p| {
            let field = p.field?;
            let index = field.strip_prefix("changes[")?.split(']').next()?.parse().ok()?;
            Some((index, format!("{field}: {}", p.message)))
        })
        .collect();
    let mut keep = vec![true; spec.changes.len()];
    for (index, message) in refused {
        if let Some(slot) = keep.get_mut(index).filter(|k| **k) {
            *slot = false;
            let column = spec.changes[index].clone();
            undecided.push(Undecided { path: paths.new.to_string(), line: table.line, reason: format!("{} cannot be a change: {message}", describe(&column)) });
        }
    }
    let mut kept = keep.iter();
    spec.changes.retain(|_| *kept.next().unwrap_or(&false));
    (!spec.changes.is_empty()).then_some(spec)
}

fn describe(change: &Change) -> String {
    serde_json::to_string(change).unwrap_or_default()
}

/// An old table and what it is in the new version.
struct Pair {
    old: usize,
    /// `None` when the new version does not have it.
    new: Option<usize>,
}

impl Pair {
    fn changed(&self, old: &[TableDef], new: &[TableDef]) -> bool {
        let before = &old[self.old];
        let Some(after) = self.new.map(|n| &new[n]) else {
            return true;
        };
        !names_eq(&before.name, &after.name)
            || before.columns.len() != after.columns.len()
            || before.columns.iter().zip(&after.columns).any(|(a, b)| !a.name.eq_ignore_ascii_case(&b.name) || a.type_key() != b.type_key())
    }
}

fn names_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Pairs each old table with its new version: a move declared (`OLD=NEW`,
/// or a table's `renamed_from`), the same name, or, when each file is one
/// table, whatever names the files give it (a dbt model's file renamed,
/// bigquery-etl's `orders_v1/` folder become `orders_v2/`).
fn pair(old: &[TableDef], new: &[TableDef], declared: Option<(&str, &str)>) -> Vec<Pair> {
    let mut new_taken = vec![false; new.len()];
    let mut found: Vec<Option<usize>> = vec![None; old.len()];
    let link = |o: usize, n: usize, found: &mut Vec<Option<usize>>, new_taken: &mut Vec<bool>| {
        if found[o].is_none() && !new_taken[n] {
            found[o] = Some(n);
            new_taken[n] = true;
        }
    };
    if let Some((from, to)) = declared {
        let o = old.iter().position(|t| names_eq(&t.name, from));
        let n = new.iter().position(|t| names_eq(&t.name, to));
        if let (Some(o), Some(n)) = (o, n) {
            link(o, n, &mut found, &mut new_taken);
        }
    }
    for (n, table) in new.iter().enumerate() {
        if let Some(o) = table.renamed_from.as_deref().and_then(|from| old.iter().position(|t| names_eq(&t.name, from))) {
            link(o, n, &mut found, &mut new_taken);
        }
    }
    // By name through a map: a dbt project's property file can hold
    // thousands of models.
    let mut by_name: std::collections::HashMap<String, usize> = std::collections::HashMap::with_capacity(new.len());
    for (n, table) in new.iter().enumerate().rev() {
        by_name.insert(table.name.to_ascii_lowercase(), n);
    }
    for (o, table) in old.iter().enumerate() {
        if let Some(&n) = by_name.get(&table.name.to_ascii_lowercase()) {
            link(o, n, &mut found, &mut new_taken);
        }
    }
    if old.len() == 1 && new.len() == 1 {
        link(0, 0, &mut found, &mut new_taken);
    }
    found.into_iter().enumerate().map(|(old, new)| Pair { old, new }).collect()
}
