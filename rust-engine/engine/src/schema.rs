use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::EngineError;

/// What is known of the tables consumers read: their columns, in order.
/// `{"tables": {"proj.ds.orders": {"columns": [{"name": "id", "type": "INT64"}]}}}`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Schema {
    pub tables: HashMap<String, TableSchema>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct TableSchema {
    pub columns: Vec<ColumnSchema>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ColumnSchema {
    pub name: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
}

impl Schema {
    /// Reads a schema from JSON; errors name the field or the position.
    pub fn from_json(json: &str) -> Result<Schema, EngineError> {
        crate::json::read(json).map_err(|e| EngineError::InvalidSchema { field: e.field, message: e.message })
    }

    /// The columns of `table`, matched case-insensitively on the whole name
    /// or, when the SQL writes fewer parts, on its last parts
    /// (`orders` and `ds.orders` both find `proj.ds.orders`).
    pub fn columns(&self, table: &str) -> Option<&[ColumnSchema]> {
        self.table(table).map(|(_, columns)| columns)
    }

    /// [`Schema::columns`] with the key of the table found.
    pub(crate) fn table(&self, table: &str) -> Option<(&str, &[ColumnSchema])> {
        if let Some((key, t)) = self.tables.get_key_value(table) {
            return Some((key.as_str(), &t.columns));
        }
        let mut found = self.tables.iter().filter(|(name, _)| names_match(name, table));
        let first = found.next()?;
        // Two schema tables ending the same way: the SQL does not say which.
        found.next().is_none().then_some((first.0.as_str(), first.1.columns.as_slice()))
    }
}

/// True when `written` names `full`: equal, or a `.`-separated suffix of it,
/// ignoring case.
pub fn names_match(full: &str, written: &str) -> bool {
    if full.len() < written.len() {
        return false;
    }
    let tail = &full[full.len() - written.len()..];
    tail.eq_ignore_ascii_case(written) && (full.len() == written.len() || full.as_bytes()[full.len() - written.len() - 1] == b'.')
}
