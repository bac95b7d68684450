//! Ripple's own schemas: the engine's `{"tables": {"proj.ds.orders":
//! {"columns": [...]}}}`, or one table's columns as the `ripple.io/schema`
//! annotation takes them (a list of names or `{name, type}`, an object with
//! such a `columns` list, or a `{column: type}` mapping), the table then
//! named after the file (`orders.schema.yaml` is `orders`). A table or a
//! column may declare `renamed_from`.

use super::model::{ColumnDef, TableDef};
use super::read::{first_offset, stem, Problem, Source};
use crate::dbt::yaml::{Map, Node};

pub(crate) fn read(source: &Source, tree: &Option<Node>) -> Result<Vec<TableDef>, Problem> {
    let Some(tree) = tree else {
        return Ok(Vec::new());
    };
    if let Some(tables) = tree.map().and_then(|m| m.get("tables")) {
        let tables = tables.map().ok_or_else(|| Problem::at(offset(tables), "`tables` must map each table's name to its columns"))?;
        let mut read = Vec::with_capacity(tables.entries.len());
        for (name, table) in &tables.entries {
            let key = name.scalar().ok_or_else(|| Problem::at(offset(name), "a table's name must be a string"))?;
            let map = table.map().ok_or_else(|| Problem::at(key.span.start, format!("table `{}` must be an object with `columns`", key.value)))?;
            let columns = map.get("columns").ok_or_else(|| Problem::at(key.span.start, format!("table `{}` has no `columns`", key.value)))?;
            read.push(TableDef { name: key.value.clone(), renamed_from: renamed_from(map), line: source.line(key.span.start), columns: columns_of(source, columns)? });
        }
        return Ok(read);
    }
    let (columns, renamed) = match tree.map() {
        Some(map) if map.get("columns").is_some() => (map.get("columns").unwrap_or(tree), renamed_from(map)),
        _ => (tree, None),
    };
    Ok(vec![TableDef { name: stem(source.path), renamed_from: renamed, line: 1, columns: columns_of(source, columns)? }])
}

fn renamed_from(map: &Map) -> Option<String> {
    map.get_str("renamed_from").map(str::to_string)
}

fn offset(node: &Node) -> usize {
    first_offset(node).unwrap_or(0)
}

/// A list of columns, or a `{column: type}` mapping.
fn columns_of(source: &Source, node: &Node) -> Result<Vec<ColumnDef>, Problem> {
    if let Some(map) = node.map() {
        return map
            .entries
            .iter()
            .map(|(name, data_type)| {
                let name = name.scalar().ok_or_else(|| Problem::at(offset(name), "a column's name must be a string"))?;
                let data_type = data_type.str().ok_or_else(|| Problem::at(name.span.start, format!("the type of column `{}` must be a string", name.value)))?;
                Ok(ColumnDef::new(name.value.clone(), Some(data_type.to_string()), source.line(name.span.start)))
            })
            .collect();
    }
    let Node::Seq { items, .. } = node else {
        return Err(Problem::at(offset(node), "columns must be a list of columns or a {column: type} mapping"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Node::Scalar(s) => Ok(ColumnDef::new(s.value.clone(), None, source.line(s.span.start))),
            Node::Map(map) => {
                let name = map.get("name").and_then(Node::scalar).ok_or_else(|| Problem::at(offset(item), format!("columns[{i}] has no `name`")))?;
                let data_type = map.get("type").or_else(|| map.get("data_type")).and_then(Node::str).map(str::to_string);
                Ok(ColumnDef { renamed_from: renamed_from(map), ..ColumnDef::new(name.value.clone(), data_type, source.line(name.span.start)) })
            }
            _ => Err(Problem::at(offset(item), format!("columns[{i}] must be a column name or an object with a name"))),
        })
        .collect()
}
