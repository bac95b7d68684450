//! `expand` (the new table, empty) and `backfill` (the copy, whole or in
//! key ranges).

use super::catalog::{self, Kind};
use super::layout::Shape;
use super::{Batch, Step, StepName};
use crate::Dialect;

pub(super) fn expand(shape: &Shape) -> Step {
    let sql = &shape.sql;
    let new = sql.name(&shape.new_table);
    let columns: Vec<String> = shape.copied().map(|c| format!("  {} {}", sql.ident(c.name), c.new_type)).collect();
    let mut step = Step::new(StepName::Expand, vec![format!("CREATE TABLE {new} (\n{}\n);", columns.join(",\n"))], vec![format!("DROP TABLE IF EXISTS {new};")]);
    step.applied = Some(format!("SELECT {} > 0;", catalog::count(shape, &shape.new_table, Kind::Any)));
    step
}

pub(super) fn backfill(shape: &Shape, batch_rows: u64) -> Step {
    let sql = &shape.sql;
    let old = sql.name(shape.dataset());
    let new = sql.name(&shape.new_table);
    let names: Vec<String> = shape.copied().map(|c| sql.ident(c.name)).collect();
    let sources: Vec<String> = shape.copied().map(|c| c.source(sql)).collect();
    let insert = format!("INSERT INTO {new} ({})\nSELECT {}\nFROM {old}", names.join(", "), sources.join(", "));
    let key = sql.ident(shape.key().old);
    let new_key = sql.ident(shape.key().name);
    let (first, second) = placeholders(shape.dialect());
    let next = |bound: &str| format!("SELECT max({key}) FROM (SELECT {key} FROM {old} WHERE {bound} ORDER BY {key} LIMIT {batch_rows}) AS next_keys;");
    let batch = Batch {
        count: format!("SELECT count(*) FROM {old};"),
        next: next(&format!("{key} > {first}")),
        next_first: next(&format!("{key} IS NOT NULL")),
        copy: format!("{insert}\nWHERE {key} > {first} AND {key} <= {second};"),
        copy_first: format!("{insert}\nWHERE {key} <= {first};"),
        clear: format!("DELETE FROM {new} WHERE {new_key} > {first} AND {new_key} <= {second};"),
        clear_first: format!("DELETE FROM {new} WHERE {new_key} <= {first};"),
        copy_nulls: format!("{insert}\nWHERE {key} IS NULL;"),
        clear_nulls: format!("DELETE FROM {new} WHERE {new_key} IS NULL;"),
    };
    let clear_all = match shape.dialect() {
        // BigQuery's DELETE must have a WHERE.
        Dialect::BigQuery => format!("DELETE FROM {new} WHERE true;"),
        _ => format!("DELETE FROM {new};"),
    };
    let mut step = Step::new(StepName::Backfill, vec![format!("{insert};")], vec![clear_all]);
    step.batch = Some(batch);
    step
}

/// The first and second bind parameters, as the warehouse's clients write them.
fn placeholders(dialect: Dialect) -> (&'static str, &'static str) {
    match dialect {
        Dialect::Snowflake => (":1", ":2"),
        // BigQuery's positional parameters are bound in order.
        Dialect::BigQuery => ("?", "?"),
        _ => ("$1", "$2"),
    }
}
