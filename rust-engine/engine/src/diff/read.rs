//! Reading a schema file: which format it is (from its name and content,
//! unless the caller says), and the tree JSON and YAML files are read into.
//! JSON is read as YAML (JSON is YAML), so that every format's values know
//! the line they are written on.

use serde::{Deserialize, Serialize};

use super::model::TableDef;
use super::{bigquery, dbt, ddl, ripple};
use crate::analysis::MAX_FILE_BYTES;
use crate::dbt::yaml::{self, Node};
use crate::{Dialect, EngineError, LineIndex};

/// The formats `ripple diff` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum SchemaFormat {
    /// Ripple's schema: the engine's `{"tables": {...}}`, or one table's
    /// columns as the `ripple.io/schema` annotation takes them (a list,
    /// `{columns: [...]}` or a `{column: type}` mapping).
    Ripple,
    /// A dbt property file: its models', seeds', snapshots' and sources'
    /// `columns`.
    Dbt,
    /// A BigQuery schema: `bq show --schema`'s JSON array of fields, or a
    /// `schema.yaml` with a `fields:` list (bigquery-etl's layout).
    Bigquery,
    /// `CREATE TABLE` statements.
    Ddl,
}

impl std::str::FromStr for SchemaFormat {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name.to_ascii_lowercase().as_str() {
            "ripple" => Ok(SchemaFormat::Ripple),
            "dbt" => Ok(SchemaFormat::Dbt),
            "bigquery" => Ok(SchemaFormat::Bigquery),
            "ddl" | "sql" => Ok(SchemaFormat::Ddl),
            _ => Err(format!("unknown schema format `{name}` (expected one of: ripple, dbt, bigquery, ddl)")),
        }
    }
}

/// A schema file as read: its format and its tables.
pub(crate) struct SchemaRead {
    pub format: SchemaFormat,
    pub tables: Vec<TableDef>,
}

/// Where a format's reader found something it cannot take.
pub(crate) struct Problem {
    pub offset: usize,
    pub message: String,
}

impl Problem {
    pub fn at(offset: usize, message: impl Into<String>) -> Self {
        Problem { offset, message: message.into() }
    }
}

/// A file and what locates its values.
pub(crate) struct Source<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub lines: LineIndex,
}

impl<'a> Source<'a> {
    pub fn line(&self, offset: usize) -> u64 {
        self.lines.location(self.text, offset).line
    }

    pub fn error(&self, offset: usize, message: impl Into<String>) -> EngineError {
        let at = self.lines.location(self.text, offset);
        EngineError::InvalidSchemaFile { path: self.path.to_string(), line: at.line, column: at.column, message: message.into() }
    }
}

pub(crate) fn first_offset(node: &Node) -> Option<usize> {
    // Iterative: the tree is at most `yaml::MAX_DEPTH` deep, but a wide one
    // is visited without recursion all the same.
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match node {
            Node::Scalar(s) => return Some(s.span.start),
            Node::Seq { items, .. } => stack.extend(items.iter().rev()),
            Node::Map(m) => {
                for (k, v) in m.entries.iter().rev() {
                    stack.push(v);
                    stack.push(k);
                }
            }
            Node::Alias { .. } => {}
        }
    }
    None
}

/// Reads `text`, the file at `path`, as `format` or as the format it is.
pub(crate) fn read(path: &str, text: &str, format: Option<SchemaFormat>, dialect: Dialect) -> Result<SchemaRead, EngineError> {
    let source = Source { path, text, lines: LineIndex::new(text) };
    if text.len() > MAX_FILE_BYTES {
        return Err(source.error(0, format!("file is {} bytes, over the {MAX_FILE_BYTES}-byte limit; not read", text.len())));
    }
    let lower = path.to_ascii_lowercase();
    let is_sql = lower.ends_with(".sql") || lower.ends_with(".ddl");
    let format = match format {
        Some(format) => Some(format),
        None if is_sql => Some(SchemaFormat::Ddl),
        None => None,
    };
    if format == Some(SchemaFormat::Ddl) {
        let tables = ddl::read(&source, dialect)?;
        return Ok(SchemaRead { format: SchemaFormat::Ddl, tables });
    }
    let tree = tree(&source, lower.ends_with(".json"))?;
    let format = match format {
        Some(format) => format,
        None => detect(&tree).ok_or_else(|| {
            source.error(
                0,
                "unknown schema format: expected Ripple's schema ({\"tables\": ...} or a list of columns), a dbt property file \
                 (models: or sources:), a BigQuery schema (a JSON array of fields, or fields:) or CREATE TABLE statements (.sql)",
            )
        })?,
    };
    let tables = match format {
        SchemaFormat::Ripple => ripple::read(&source, &tree),
        SchemaFormat::Dbt => dbt::read(&source, &tree),
        SchemaFormat::Bigquery => bigquery::read(&source, &tree),
        // Read above, from the text: DDL has no tree.
        SchemaFormat::Ddl => Ok(Vec::new()),
    }
    .map_err(|p| source.error(p.offset, p.message))?;
    Ok(SchemaRead { format, tables })
}

/// The file's one YAML document (or JSON value), `None` when empty.
fn tree(source: &Source, json: bool) -> Result<Option<Node>, EngineError> {
    let mut text = std::borrow::Cow::Borrowed(source.text);
    if json || source.text.trim_start().starts_with(['{', '[']) {
        // serde_json's errors are JSON's own; the YAML reader's would be
        // about YAML. Valid JSON has tabs only between tokens (a string
        // holds them escaped), where YAML's flow style refuses some: they
        // become spaces, which keeps every offset.
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(source.text) {
            if json {
                let message = e.to_string();
                let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
                let offset = source.lines.offset(source.text, crate::Location { line: e.line() as u64, column: e.column() as u64 });
                return Err(source.error(offset, format!("invalid JSON: {message}")));
            }
        } else {
            text = std::borrow::Cow::Owned(source.text.replace('\t', " "));
        }
    }
    let mut roots =
        yaml::parse(&text).map_err(|e| EngineError::InvalidSchemaFile { path: source.path.to_string(), line: e.line, column: e.column, message: format!("invalid YAML: {}", e.message) })?;
    if roots.len() > 1 {
        return Err(source.error(first_offset(&roots[1]).unwrap_or(0), "holds several YAML documents; a schema file holds one"));
    }
    Ok(roots.pop())
}

/// The format a JSON or YAML tree is written in, from its keys.
fn detect(tree: &Option<Node>) -> Option<SchemaFormat> {
    match tree.as_ref()? {
        Node::Seq { items, .. } => {
            // `bq show --schema`: every field has a `type` (and maybe
            // `mode`, `fields`); a list of columns is Ripple's.
            let bigquery = !items.is_empty() && items.iter().all(|i| i.map().is_some_and(|m| m.get("type").is_some() && m.get("name").is_some()))
                || items.iter().any(|i| i.map().is_some_and(|m| m.get("mode").is_some() || m.get("fields").is_some()));
            Some(if bigquery { SchemaFormat::Bigquery } else { SchemaFormat::Ripple })
        }
        Node::Map(map) => {
            if ["models", "sources", "seeds", "snapshots"].iter().any(|k| map.get(k).is_some()) {
                Some(SchemaFormat::Dbt)
            } else if map.get("fields").is_some() || map.get("schema").and_then(Node::map).is_some_and(|s| s.get("fields").is_some()) {
                Some(SchemaFormat::Bigquery)
            } else if map.get("tables").is_some() || map.get("columns").is_some() {
                Some(SchemaFormat::Ripple)
            } else if !map.entries.is_empty() && map.entries.iter().all(|(k, v)| k.str().is_some() && v.str().is_some()) {
                // `{column: type}`.
                Some(SchemaFormat::Ripple)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The table a file stands for by its name: `orders.schema.yaml` and
/// `orders.json` stand for `orders`.
pub(crate) fn stem(path: &str) -> String {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    file.split('.').next().filter(|s| !s.is_empty()).unwrap_or(file).to_string()
}
