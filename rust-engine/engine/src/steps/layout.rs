//! What a step plan is built from: the old table's columns, what each
//! becomes in the table the data is copied into, the batch key, and the
//! names of the tables each step touches.

use std::collections::HashMap;

use super::{refuse, Layout};
use crate::compat::sql::Sql;
use crate::schema::names_match;
use crate::{Change, ChangeSpec, ColumnFate, ColumnSchema, Dialect, EngineError, Schema};

/// What becomes of one old column in the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    Kept,
    Renamed,
    Retyped,
    /// Dropped by the change. The versioned layout still copies it (until
    /// the approval), so readers not yet patched keep their values.
    Dropped,
}

/// One column of the dataset's table as it is today.
#[derive(Debug)]
pub(super) struct Column<'a> {
    /// Its name in the dataset's table.
    pub old: &'a str,
    /// Its name in the new table.
    pub name: &'a str,
    /// Both types as the dialect writes them (parsed from the schema and the change).
    pub old_type: String,
    pub new_type: String,
    pub fate: Fate,
    /// Whether the new table has it (a dropped column, in a move, not).
    pub copied: bool,
}

pub(super) struct Shape<'a> {
    pub spec: &'a ChangeSpec,
    pub schema: &'a Schema,
    pub sql: Sql,
    pub layout: Layout,
    pub new_table: String,
    pub old_table: String,
    pub final_table: String,
    /// In the old table's order.
    pub columns: Vec<Column<'a>>,
    key: usize,
}

impl<'a> Shape<'a> {
    pub(super) fn new(spec: &'a ChangeSpec, dialect: Dialect, schema: &'a Schema, key: Option<&str>) -> Result<Shape<'a>, EngineError> {
        let sql = Sql { dialect };
        let (table_key, old_columns) = dataset_table(spec, schema)?;
        let fields = change_fields(spec);
        let layout = if spec.new_table().is_some() { Layout::Move } else { Layout::Versioned };

        for (column, field) in &fields {
            if !old_columns.iter().any(|c| c.name.eq_ignore_ascii_case(column)) {
                return Err(refuse(field.clone(), format!("names column {column}, which the schema of {} does not list", spec.dataset)));
            }
        }

        let mut columns = Vec::with_capacity(old_columns.len());
        for (i, column) in old_columns.iter().enumerate() {
            let type_field = format!("tables.{table_key}.columns[{i}].type");
            let parse = |text: &str, field: &str| crate::spec_sql::data_type(text, dialect).map(|t| t.to_string()).map_err(|why| refuse(field, format!("must be a SQL type of {dialect}: {why}")));
            let old_type = match column.data_type.as_deref().filter(|t| !t.trim().is_empty()) {
                Some(text) => parse(text, &type_field)?,
                None => return Err(refuse(type_field, format!("the schema gives no type for column {}, and the step plan creates the new table with every column's type", column.name))),
            };
            let field = || fields.iter().find(|(c, _)| c.eq_ignore_ascii_case(&column.name)).map(|(_, f)| f.clone()).unwrap_or_default();
            let (name, new_type, fate) = match spec.column_fate(&column.name) {
                ColumnFate::Kept => (column.name.as_str(), old_type.clone(), Fate::Kept),
                ColumnFate::Renamed(to) => (to, old_type.clone(), Fate::Renamed),
                ColumnFate::Retyped(to) => (column.name.as_str(), parse(to, &format!("{}.to", field()))?, Fate::Retyped),
                ColumnFate::Dropped => (column.name.as_str(), old_type.clone(), Fate::Dropped),
                ColumnFate::Path(_) | ColumnFate::Expression(_) => {
                    return Err(refuse(
                        field(),
                        "maps the column to a field path or an expression, which a backfill cannot copy into: the copy runs from the old \
                         table to the new one, and a mapping only says how to read the old column from the new table; map it to a column name",
                    ))
                }
            };
            let copied = !(fate == Fate::Dropped && layout == Layout::Move);
            columns.push(Column { old: column.name.as_str(), name, old_type, new_type, fate, copied });
        }

        clashes(&columns, layout, &fields)?;
        for (name, field) in written_names(spec, &columns, table_key) {
            if let Some(why) = dialect.unquotable(name) {
                return Err(refuse(field, format!("{dialect} SQL cannot name `{name}` so that it reads back: {why}")));
            }
        }

        let key = choose_key(spec, &columns, layout, key)?;
        let old_table = format!("{}__ripple_old", spec.dataset);
        let (new_table, final_table) = match spec.new_table() {
            Some(to) => (to.to_string(), to.to_string()),
            None => (format!("{}__ripple_v2", spec.dataset), spec.dataset.clone()),
        };
        Ok(Shape { spec, schema, sql, layout, new_table, old_table, final_table, columns, key })
    }

    /// The batch key.
    pub(super) fn key(&self) -> &Column<'a> {
        // `key` is an index found in `columns` by `choose_key`.
        &self.columns[self.key]
    }

    /// The columns of the new table, in order.
    pub(super) fn copied(&self) -> impl Iterator<Item = &Column<'a>> {
        self.columns.iter().filter(|c| c.copied)
    }

    pub(super) fn dialect(&self) -> Dialect {
        self.sql.dialect
    }

    pub(super) fn dataset(&self) -> &str {
        &self.spec.dataset
    }
}

impl Column<'_> {
    /// How the copy reads this column from the old table: as the new
    /// table's column (cast to its new type when retyped).
    pub(super) fn source(&self, sql: &Sql) -> String {
        match self.fate {
            Fate::Retyped => format!("CAST({} AS {})", sql.ident(self.old), self.new_type),
            _ => sql.ident(self.old),
        }
    }
}

/// The dataset's table in the schema (its key there, to name a field) and
/// its columns: the exact name, or the only table whose name ends like it.
fn dataset_table<'s>(spec: &ChangeSpec, schema: &'s Schema) -> Result<(&'s str, &'s [ColumnSchema]), EngineError> {
    let found = schema.table(&spec.dataset).or_else(|| {
        let mut found = schema.tables.iter().filter(|(name, _)| names_match(&spec.dataset, name));
        let first = found.next()?;
        found.next().is_none().then_some((first.0.as_str(), first.1.columns.as_slice()))
    });
    match found {
        Some((_, [])) | None => {
            Err(refuse("tables", format!("the schema has no table {} with columns; it must list the dataset's columns, with their types, as they are before the change", spec.dataset)))
        }
        Some(found) => Ok(found),
    }
}

/// Each column the change names, with the field that names it.
fn change_fields(spec: &ChangeSpec) -> Vec<(&str, String)> {
    let mut fields = Vec::new();
    for (i, change) in spec.changes.iter().enumerate() {
        match change {
            Change::RenameColumn { column, .. } | Change::DropColumn { column } | Change::ChangeType { column, .. } => fields.push((column.as_str(), format!("changes[{i}].column"))),
            Change::ReplaceTable { columns, .. } => fields.extend(columns.keys().map(|c| (c.as_str(), format!("changes[{i}].columns.{c}")))),
            Change::RenameTable { .. } => {}
        }
    }
    fields
}

/// Two columns under one name, in the new table or (versioned) in the
/// switch's view, which exposes the old names and the new names of the
/// renamed columns side by side.
fn clashes(columns: &[Column], layout: Layout, fields: &[(&str, String)]) -> Result<(), EngineError> {
    let field = |old: &str| fields.iter().find(|(c, _)| c.eq_ignore_ascii_case(old)).map(|(_, f)| f.clone()).unwrap_or_else(|| "changes".into());
    let mut seen: HashMap<String, &str> = HashMap::new();
    for column in columns.iter().filter(|c| c.copied) {
        if let Some(other) = seen.insert(column.name.to_lowercase(), column.old) {
            return Err(refuse(field(column.old), format!("gives column {} the name {}, which column {other} has in the new table", column.old, column.name)));
        }
    }
    if layout == Layout::Versioned {
        for column in columns.iter().filter(|c| c.fate == Fate::Renamed) {
            if let Some(other) = columns.iter().find(|c| c.old.eq_ignore_ascii_case(column.name)) {
                return Err(refuse(
                    field(column.old),
                    format!(
                        "renames {} to {}, the name column {} has today; until the contract the dataset's view exposes both the old and the new names, so they must differ",
                        column.old, column.name, other.old
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The batch key: the one asked for, or the first column the change keeps
/// or renames. Ranges of old keys are deleted from the new table by the
/// key's new name, so the key must keep its values there.
fn choose_key(spec: &ChangeSpec, columns: &[Column], layout: Layout, wanted: Option<&str>) -> Result<usize, EngineError> {
    let usable = |c: &Column| c.fate == Fate::Kept || c.fate == Fate::Renamed || (c.fate == Fate::Dropped && layout == Layout::Versioned);
    let Some(wanted) = wanted else {
        return columns.iter().position(usable).ok_or_else(|| refuse("key", format!("the change keeps none of the columns of {}, and the backfill's batches need one as their key", spec.dataset)));
    };
    let Some(index) = columns.iter().position(|c| c.old.eq_ignore_ascii_case(wanted)) else {
        let names: Vec<&str> = columns.iter().map(|c| c.old).collect();
        return Err(refuse("key", format!("{wanted} is not a column of {} (its columns: {})", spec.dataset, names.join(", "))));
    };
    match columns.get(index) {
        Some(c) if usable(c) => Ok(index),
        _ => Err(refuse(
            "key",
            format!("the change drops or retypes {wanted}, and the backfill deletes the batches it copies by the key's value in the new table; choose a column the change keeps or renames"),
        )),
    }
}

/// Every name the plan writes, with the field that gave it.
fn written_names<'n>(spec: &'n ChangeSpec, columns: &[Column<'n>], table_key: &str) -> Vec<(&'n str, String)> {
    let mut names: Vec<(&str, String)> = spec.dataset.split('.').map(|part| (part, "dataset".to_string())).collect();
    if let Some(to) = spec.new_table() {
        names.extend(to.split('.').map(|part| (part, "changes".to_string())));
    }
    for (i, column) in columns.iter().enumerate() {
        names.push((column.old, format!("tables.{table_key}.columns[{i}].name")));
        names.push((column.name, "changes".to_string()));
    }
    names
}
