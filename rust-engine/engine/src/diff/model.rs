//! What every schema format reads into: the tables a file defines, each
//! with its columns in order, where each is written, and what the file
//! declares about renames. The comparison only ever sees this; callers
//! that know a table's columns from elsewhere (`ripple check`, a dbt
//! model's output columns from its SQL) build it and call `diff_tables`.

/// One table of a schema file.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    /// As consumers name it: a dbt model's name, a source's
    /// `source.table`, BigQuery's `project.dataset.table`, DDL's name.
    pub name: String,
    /// The table's old name, when the file declares one.
    pub renamed_from: Option<String>,
    /// The line its name is written on (1 when the file is the table).
    pub line: u64,
    pub columns: Vec<ColumnDef>,
}

/// One column (or, inside a BigQuery RECORD, one field).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    /// The type as the file spells it (`INT64`, `ARRAY<STRING>`); `None`
    /// when the file does not say (a dbt column without `data_type`).
    pub data_type: Option<String>,
    /// The column's old name, when the file declares one (`renamed_from`,
    /// dbt's `meta.renamed_from`).
    pub renamed_from: Option<String>,
    /// The line its name is written on.
    pub line: u64,
    /// A RECORD's fields; empty for other columns.
    pub fields: Vec<ColumnDef>,
}

impl ColumnDef {
    pub fn new(name: String, data_type: Option<String>, line: u64) -> Self {
        ColumnDef { name, data_type, renamed_from: None, line, fields: Vec::new() }
    }

    /// The type compared: case, spaces and BigQuery's legacy names
    /// (`INTEGER`, `FLOAT`, `BOOLEAN`, `RECORD`) do not make two types
    /// differ. `None` when the file does not say.
    pub fn type_key(&self) -> Option<String> {
        self.data_type.as_deref().map(type_key)
    }
}

/// A type as compared (see [`ColumnDef::type_key`]).
pub(crate) fn type_key(data_type: &str) -> String {
    // Words (legacy names replaced one by one, so `ARRAY<INTEGER>` is
    // `ARRAY<INT64>`) and punctuation, spaces kept only between two words.
    let mut key = String::with_capacity(data_type.len());
    let mut word = String::new();
    let mut last_was_word = false;
    let flush = |word: &mut String, key: &mut String, last_was_word: &mut bool| {
        if word.is_empty() {
            return;
        }
        if *last_was_word {
            key.push(' ');
        }
        key.push_str(match word.as_str() {
            "INTEGER" => "INT64",
            "FLOAT" => "FLOAT64",
            "BOOLEAN" => "BOOL",
            "RECORD" => "STRUCT",
            other => other,
        });
        word.clear();
        *last_was_word = true;
    };
    for c in data_type.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c.to_ascii_uppercase());
        } else {
            flush(&mut word, &mut key, &mut last_was_word);
            if !c.is_whitespace() {
                key.push(c);
                last_was_word = false;
            }
        }
    }
    flush(&mut word, &mut key, &mut last_was_word);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_compare_without_case_spaces_or_legacy_names() {
        assert_eq!(type_key("integer"), type_key("INT64"));
        assert_eq!(type_key("ARRAY< integer >"), "ARRAY<INT64>");
        assert_eq!(type_key("STRUCT<a FLOAT, b BOOLEAN>"), type_key("struct<a float64,b bool>"));
        assert_ne!(type_key("NUMERIC"), type_key("BIGNUMERIC"));
        assert_ne!(type_key("INTEGER_X"), type_key("INT64_X"));
    }
}
