//! BigQuery schemas: `bq show --schema`'s JSON array of fields (also a
//! table's `{"schema": {"fields": [...]}}`), and `schema.yaml` files with a
//! `fields:` list, the layout of Mozilla's bigquery-etl. Each field has a
//! `name`, a `type`, a `mode` (`REPEATED` makes it an array) and, for a
//! RECORD, its `fields`. The table is named after the path:
//! bigquery-etl's `PROJECT/DATASET/TABLE/schema.yaml` is
//! `PROJECT.DATASET.TABLE`; any other file after its name.

use super::model::{ColumnDef, TableDef};
use super::read::{first_offset, stem, Problem, Source};
use crate::dbt::yaml::Node;

pub(crate) fn read(source: &Source, tree: &Option<Node>) -> Result<Vec<TableDef>, Problem> {
    let Some(tree) = tree else {
        return Ok(Vec::new());
    };
    let fields = match tree.map() {
        Some(map) => match map.get("fields").or_else(|| map.get("schema").and_then(Node::map).and_then(|s| s.get("fields"))) {
            Some(fields) => fields,
            None => return Err(Problem::at(first_offset(tree).unwrap_or(0), "a BigQuery schema has `fields`")),
        },
        None => tree,
    };
    let renamed_from = tree.map().and_then(|m| m.get_str("renamed_from")).map(str::to_string);
    Ok(vec![TableDef { name: table_name(source.path), renamed_from, line: 1, columns: fields_of(source, fields, "fields")? }])
}

/// `PROJECT.DATASET.TABLE` for `.../PROJECT/DATASET/TABLE/schema.yaml`
/// (or `.json`), else the file's name.
pub(crate) fn table_name(path: &str) -> String {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").collect();
    match parts.split_last() {
        Some((file, dirs)) if stem(file) == "schema" && !dirs.is_empty() && !dirs.iter().rev().take(3).any(|d| *d == "..") => dirs[dirs.len().saturating_sub(3)..].join("."),
        _ => stem(path),
    }
}

fn fields_of(source: &Source, node: &Node, at: &str) -> Result<Vec<ColumnDef>, Problem> {
    let Node::Seq { items, .. } = node else {
        return Err(Problem::at(first_offset(node).unwrap_or(0), format!("`{at}` must be a list of fields")));
    };
    let mut fields = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let offset = first_offset(item).unwrap_or(0);
        let map = item.map().ok_or_else(|| Problem::at(offset, format!("{at}[{i}] must be a field: {{name, type, mode}}")))?;
        let name = map.get("name").and_then(Node::scalar).ok_or_else(|| Problem::at(offset, format!("{at}[{i}] has no `name`")))?;
        let kind = map.get_str("type").map(str::to_ascii_uppercase);
        let nested = match map.get("fields") {
            Some(node) => fields_of(source, node, &format!("{at}[{i}].fields"))?,
            None => Vec::new(),
        };
        let mut data_type = match kind.as_deref() {
            Some("RECORD" | "STRUCT") => Some(format!("STRUCT<{}>", nested.iter().map(|f| format!("{} {}", f.name, f.data_type.as_deref().unwrap_or("STRING"))).collect::<Vec<_>>().join(", "))),
            Some(other) => Some(standard(other).to_string()),
            None => None,
        };
        if map.get_str("mode").is_some_and(|m| m.eq_ignore_ascii_case("repeated")) {
            data_type = data_type.map(|t| format!("ARRAY<{t}>"));
        }
        fields.push(ColumnDef { renamed_from: map.get_str("renamed_from").map(str::to_string), fields: nested, ..ColumnDef::new(name.value.clone(), data_type, source.line(name.span.start)) });
    }
    Ok(fields)
}

/// The legacy type names of BigQuery's JSON schemas, as GoogleSQL spells
/// them: what a change spec's `change_type` is written in.
fn standard(kind: &str) -> &str {
    match kind {
        "INTEGER" => "INT64",
        "FLOAT" => "FLOAT64",
        "BOOLEAN" => "BOOL",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_names_the_table() {
        assert_eq!(table_name("sql/moz-fx-data-shared-prod/telemetry_derived/clients_daily_v6/schema.yaml"), "moz-fx-data-shared-prod.telemetry_derived.clients_daily_v6");
        assert_eq!(table_name("proj/ds/orders/schema.json"), "proj.ds.orders");
        assert_eq!(table_name("ds/orders/schema.json"), "ds.orders");
        assert_eq!(table_name("exports/orders.json"), "orders");
    }
}
