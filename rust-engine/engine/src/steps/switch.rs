//! `switch` (today's table steps aside; a view under the dataset's name
//! serves readers patched or not) and `contract` (the view goes; what
//! deletes data waits for a person's approval).

use super::catalog::{self, Kind};
use super::layout::{Fate, Shape};
use super::{Layout, Step, StepName};
use crate::{Dialect, EngineError};

pub(super) fn switch(shape: &Shape) -> Result<Step, EngineError> {
    let view = view(shape)?;
    let dataset = shape.dataset();
    let drop_view = format!("DROP VIEW IF EXISTS {};", shape.sql.name(dataset));
    let mut step = Step::new(StepName::Switch, vec![rename(shape, dataset, &shape.old_table), view], vec![drop_view, rename(shape, &shape.old_table, dataset)]);
    step.applied = Some(format!("SELECT {} > 0 AND {} > 0;", catalog::count(shape, &shape.old_table, Kind::Any), catalog::count(shape, dataset, Kind::View)));
    Ok(step)
}

pub(super) fn contract(shape: &Shape) -> Result<Step, EngineError> {
    let sql = &shape.sql;
    let dataset = shape.dataset();
    let drop_view = format!("DROP VIEW IF EXISTS {};", sql.name(dataset));
    let drop_old = format!("DROP TABLE IF EXISTS {};", sql.name(&shape.old_table));
    let mut step = match shape.layout {
        Layout::Move => {
            let mut step = Step::new(StepName::Contract, vec![drop_view], vec![view(shape)?]);
            step.applied = Some(format!("SELECT {} = 0;", catalog::count(shape, dataset, Kind::View)));
            step
        }
        Layout::Versioned => {
            let mut step = Step::new(StepName::Contract, vec![drop_view, rename(shape, &shape.new_table, dataset)], vec![rename(shape, dataset, &shape.new_table), view(shape)?]);
            step.applied = Some(format!("SELECT {} = 0 AND {} > 0;", catalog::count(shape, &shape.new_table, Kind::Any), catalog::count(shape, dataset, Kind::Table)));
            // The versioned table kept the dropped columns for readers not
            // yet patched; once contracted, nothing reads them.
            step.approval = shape.columns.iter().filter(|c| c.fate == Fate::Dropped).map(|c| format!("ALTER TABLE {} DROP COLUMN {};", sql.name(dataset), sql.ident(c.old))).collect();
            step
        }
    };
    step.approval.push(drop_old);
    Ok(step)
}

/// `ALTER TABLE from RENAME TO to`: a table keeps its schema, so the new
/// name is its last part, except in Snowflake, which takes the whole name.
fn rename(shape: &Shape, from: &str, to: &str) -> String {
    let sql = &shape.sql;
    let target = match shape.dialect() {
        Dialect::Snowflake => sql.name(to),
        _ => sql.ident(to.rsplit('.').next().unwrap_or(to)),
    };
    format!("ALTER TABLE {} RENAME TO {target};", sql.name(from))
}

/// The view under the dataset's name from the switch to the contract.
fn view(shape: &Shape) -> Result<String, EngineError> {
    match shape.layout {
        // The old shape over the moved table: the compatibility view.
        Layout::Move => Ok(crate::compat_view(shape.spec, shape.dialect(), Some(shape.schema))?.create),
        // Every old column under its old name and type, then the new name
        // of each renamed column: readers patched or not both find theirs.
        Layout::Versioned => {
            let sql = &shape.sql;
            let mut items: Vec<String> = shape
                .columns
                .iter()
                .map(|c| {
                    let old = sql.ident(c.old);
                    match c.fate {
                        Fate::Kept | Fate::Dropped => old,
                        Fate::Renamed => format!("{} AS {old}", sql.ident(c.name)),
                        Fate::Retyped => format!("CAST({old} AS {}) AS {old}", c.old_type),
                    }
                })
                .collect();
            items.extend(shape.columns.iter().filter(|c| c.fate == Fate::Renamed).map(|c| sql.ident(c.name)));
            Ok(format!("CREATE OR REPLACE VIEW {} AS\nSELECT\n  {}\nFROM {};", sql.name(shape.dataset()), items.join(",\n  "), sql.name(&shape.new_table)))
        }
    }
}
