//! dbt property files: each model's, seed's and snapshot's `columns` (the
//! table named as `ref()` names it), and each source table's (named
//! `source.table`, as `source()` renders in the analysis). Renames are
//! declared in `meta` (`meta: {renamed_from: amount}`, also under
//! `config:`), since dbt refuses keys it does not know; a bare
//! `renamed_from` is read too.

use super::model::{ColumnDef, TableDef};
use super::read::{first_offset, Problem, Source};
use crate::dbt::yaml::{Map, Node};

pub(crate) fn read(source: &Source, tree: &Option<Node>) -> Result<Vec<TableDef>, Problem> {
    let Some(root) = tree.as_ref().and_then(Node::map) else {
        return Ok(Vec::new());
    };
    let mut tables = Vec::new();
    for kind in ["models", "seeds", "snapshots"] {
        for entry in root.get(kind).map(Node::items).unwrap_or_default() {
            if let Some(table) = table(source, entry, None)? {
                tables.push(table);
            }
        }
    }
    for entry in root.get("sources").map(Node::items).unwrap_or_default() {
        let Some(map) = entry.map() else { continue };
        let Some(source_name) = map.get_str("name") else {
            return Err(Problem::at(first_offset(entry).unwrap_or(0), "a source has no `name`"));
        };
        for table_entry in map.get("tables").map(Node::items).unwrap_or_default() {
            if let Some(table) = table(source, table_entry, Some(source_name))? {
                tables.push(table);
            }
        }
    }
    Ok(tables)
}

/// An entry with `columns`; entries without (documentation only) say
/// nothing of the table's columns and are left out.
fn table(source: &Source, entry: &Node, source_name: Option<&str>) -> Result<Option<TableDef>, Problem> {
    let Some(map) = entry.map() else {
        return Ok(None);
    };
    let Some(name) = map.get("name").and_then(Node::scalar) else {
        return Err(Problem::at(first_offset(entry).unwrap_or(0), "an entry has no `name`"));
    };
    let Some(columns) = map.get("columns") else {
        return Ok(None);
    };
    let qualified = |n: &str| match source_name {
        Some(s) => format!("{s}.{n}"),
        None => n.to_string(),
    };
    let mut read = Vec::new();
    for (i, column) in columns.items().iter().enumerate() {
        let Some(column_map) = column.map() else {
            return Err(Problem::at(first_offset(column).unwrap_or(name.span.start), format!("`{}` columns[{i}] must be an object with a name", name.value)));
        };
        let Some(column_name) = column_map.get("name").and_then(Node::scalar) else {
            return Err(Problem::at(first_offset(column).unwrap_or(name.span.start), format!("`{}` columns[{i}] has no `name`", name.value)));
        };
        let data_type = column_map.get_str("data_type").map(str::to_string);
        read.push(ColumnDef { renamed_from: renamed_from(column_map), ..ColumnDef::new(column_name.value.clone(), data_type, source.line(column_name.span.start)) });
    }
    Ok(Some(TableDef { name: qualified(&name.value), renamed_from: renamed_from(map).map(|n| qualified(&n)), line: source.line(name.span.start), columns: read }))
}

/// `meta.renamed_from`, `config.meta.renamed_from` or `renamed_from`.
fn renamed_from(map: &Map) -> Option<String> {
    let meta = |m: &Map| m.get("meta").and_then(Node::map).and_then(|meta| meta.get_str("renamed_from")).map(str::to_string);
    meta(map).or_else(|| map.get("config").and_then(Node::map).and_then(meta)).or_else(|| map.get_str("renamed_from").map(str::to_string))
}
