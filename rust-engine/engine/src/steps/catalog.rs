//! Questions to the warehouse's catalog (`information_schema`), for the
//! `applied` queries that tell a runner, after a kill, whether a step's
//! effect is already in place.

use super::layout::Shape;
use crate::compat::sql::is_plain;
use crate::Dialect;

/// The kind of relation a name must be.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Any,
    Table,
    View,
}

/// `(SELECT count(*) FROM <catalog's tables> WHERE <name is table, of kind>)`.
pub(super) fn count(shape: &Shape, table: &str, kind: Kind) -> String {
    let dialect = shape.dialect();
    let parts: Vec<&str> = table.split('.').collect();
    let (name, schema, database) = match parts.as_slice() {
        [.., database, schema, name] => (*name, Some(*schema), Some(*database)),
        [schema, name] => (*name, Some(*schema), None),
        _ => (table, None, None),
    };
    let equals = |column: &str, value: &str| match dialect {
        // DuckDB keeps a name's case as it was created but matches names
        // case-insensitively, and so must this.
        Dialect::DuckDb => format!("lower({column}) = {}", literal(dialect, &value.to_lowercase())),
        _ => format!("{column} = {}", literal(dialect, &stored(dialect, value))),
    };
    let mut conditions = vec![equals("table_name", name)];
    let from = match dialect {
        // A dataset's INFORMATION_SCHEMA lists its tables.
        Dialect::BigQuery => {
            let dataset: Vec<&str> = parts.iter().take(parts.len().saturating_sub(1)).copied().collect();
            if dataset.is_empty() {
                "INFORMATION_SCHEMA.TABLES".to_string()
            } else {
                format!("{}.INFORMATION_SCHEMA.TABLES", shape.sql.name(&dataset.join(".")))
            }
        }
        Dialect::Snowflake => {
            conditions.push(match schema {
                Some(schema) => equals("table_schema", schema),
                None => "table_schema = CURRENT_SCHEMA()".to_string(),
            });
            match database {
                Some(database) => format!("{}.INFORMATION_SCHEMA.TABLES", shape.sql.ident(database)),
                None => "INFORMATION_SCHEMA.TABLES".to_string(),
            }
        }
        _ => {
            conditions.push(match schema {
                Some(schema) => equals("table_schema", schema),
                None => "table_schema = current_schema()".to_string(),
            });
            if let Some(database) = database {
                conditions.push(equals("table_catalog", database));
            }
            "information_schema.tables".to_string()
        }
    };
    match kind {
        Kind::Any => {}
        Kind::Table => conditions.push("table_type = 'BASE TABLE'".to_string()),
        Kind::View => conditions.push("table_type = 'VIEW'".to_string()),
    }
    format!("(SELECT count(*) FROM {from} WHERE {})", conditions.join(" AND "))
}

/// A name as the catalog stores it: a plain word as the dialect folds it
/// unquoted (the plan writes plain words bare, or quoted folded), anything
/// else as written.
fn stored(dialect: Dialect, name: &str) -> String {
    if is_plain(name) {
        dialect.fold(name)
    } else {
        name.to_string()
    }
}

/// A string literal.
pub(super) fn literal(dialect: Dialect, text: &str) -> String {
    match dialect {
        // BigQuery escapes with a backslash; a doubled quote ends the string.
        Dialect::BigQuery => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
        // Snowflake reads a backslash as an escape inside '...' too.
        Dialect::Snowflake => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''")),
        _ => format!("'{}'", text.replace('\'', "''")),
    }
}
