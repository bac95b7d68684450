//! Step plans: the dataset's half of a migration, as SQL a warehouse runs.
//!
//! A change is made on the warehouse in five steps, after pgroll's
//! expand/contract, adapted to warehouses: `expand` creates the table in
//! its new shape, `backfill` copies the rows through the change (in key
//! ranges a runner can checkpoint), `verify` compares row counts and one
//! checksum per column, `switch` puts a view under the dataset's name so
//! that readers not yet patched and readers already patched both work, and
//! `contract` removes the view once every consumer has moved. What deletes
//! data for good (the old table, dropped columns) is held back as
//! `approval`, run only once a person agrees.
//!
//! Two layouts. A change that moves the table (`rename_table`,
//! `replace_table`) copies into the new table, and the view under the old
//! name is the compatibility view ([`crate::compat_view`]). A change that
//! keeps the name (column renames, drops, retypes) copies into a versioned
//! table (`orders__ripple_v2`), and the view exposes every old column and
//! the new name of each renamed one; the contract gives the versioned table
//! the dataset's name.

use serde::{Deserialize, Serialize};

use crate::{ChangeSpec, Dialect, EngineError, Schema};

mod backfill;
mod catalog;
mod layout;
mod switch;
#[cfg(test)]
mod tests;
mod verify;

/// Rows per backfill batch when the options name none, except in DuckDB.
pub const DEFAULT_BATCH_ROWS: u64 = 100_000;

/// Rows per backfill batch when the options name none: in DuckDB, 16 row
/// groups of 122 880 rows. A commit of less than a row group goes through
/// the write-ahead log and is written again at the checkpoint, and each
/// batch's `next` sorts the keys after the last one: batches of 100 000
/// rows made the backfill of 10 million rows 6.5 times slower than one
/// `INSERT ... SELECT`, 8 row groups 1.5 times, 16 row groups 1.3 times
/// (docs/steps.md, "Figures").
pub fn default_batch_rows(dialect: Dialect) -> u64 {
    match dialect {
        Dialect::DuckDb => 16 * 122_880,
        _ => DEFAULT_BATCH_ROWS,
    }
}

/// The dialects a step plan is written for: the warehouses Ripple connects to.
pub const STEP_PLAN_DIALECTS: [Dialect; 4] = [Dialect::DuckDb, Dialect::Postgres, Dialect::BigQuery, Dialect::Snowflake];

/// What a step plan takes besides the change (`ripple plan`, the
/// WebAssembly package's `stepPlan(change, options)`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct StepPlanOptions {
    /// The warehouse's dialect; defaults to the change spec's. One of
    /// duckdb, postgres, bigquery, snowflake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub dialect: Option<Dialect>,
    /// The dataset's table as it is before the change, with every column's
    /// type: the new table is created from it.
    pub schema: Schema,
    /// The column the backfill's batches are ranges of; defaults to the
    /// first column the change keeps or renames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub key: Option<String>,
    /// Rows per backfill batch (default 100 000; in DuckDB 1 966 080, whole
    /// row groups); only written into the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub batch_rows: Option<u64>,
}

/// How the data moves: into the change's new table, or into a versioned
/// table that takes the dataset's name at the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Layout {
    /// `rename_table` or `replace_table`: the table moves.
    Move,
    /// Only column changes: the table keeps its name.
    Versioned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum StepName {
    Expand,
    Backfill,
    Verify,
    Switch,
    Contract,
}

/// The plan of a change on the warehouse: always the five steps, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct StepPlan {
    /// The dataset's table as it is today (`shop.orders`).
    pub dataset: String,
    pub dialect: Dialect,
    pub layout: Layout,
    /// The table the data is copied into: the change's new table for a
    /// move, `<dataset>__ripple_v2` for the versioned layout.
    pub new_table: String,
    /// Where the switch moves today's table: `<dataset>__ripple_old`.
    pub old_table: String,
    /// The table's name once contracted.
    pub final_table: String,
    /// The column the backfill's batches are ranges of (its old name).
    pub key: String,
    pub batch_rows: u64,
    pub steps: Vec<Step>,
}

/// One step: what runs it, what undoes it, and how to tell it is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Step {
    pub name: StepName,
    /// Each one statement ending with `;`, run in order (in one transaction
    /// where the warehouse has transactional DDL). For `verify`, queries of
    /// one row and one column, true when the copy matches: the row counts
    /// first, then one checksum per column of the new table, in its order.
    pub statements: Vec<String>,
    /// Restores the state before the step (empty for `verify`).
    pub rollback: Vec<String>,
    /// One row, one boolean column: true when the step's effect is in place
    /// (to resume after a kill without running a step twice). For `expand`,
    /// `switch` and `contract`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub applied: Option<String>,
    /// `backfill` only: the copy in key ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub batch: Option<Batch>,
    /// `verify` only: up to 20 rows that differ, a first column `side`
    /// (`old` or `new`) then the new table's columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub differences: Option<String>,
    /// `contract` only: statements that delete data for good (the old
    /// table; the columns the change drops). Run only after a person
    /// approves; no rollback.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "typescript", tsify(optional))]
    pub approval: Vec<String>,
}

/// The backfill in key ranges. Placeholders: `$1`, `$2` in PostgreSQL and
/// DuckDB, `:1`, `:2` in Snowflake, `?` (in order) in BigQuery. A runner
/// runs `clear` then `copy` for a range in one transaction, so a batch run
/// again is not copied twice. Only the first range of a run needs its
/// `clear` (the one a kill may have committed before its checkpoint): the
/// new table has no index, so a `clear` scans it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Batch {
    /// The old table's row count, for progress.
    pub count: String,
    /// The largest key among the next `batch_rows` keys after `$1` (NULL
    /// when none is left).
    pub next: String,
    /// [`Batch::next`] from the first key.
    pub next_first: String,
    /// Copies the rows whose key is in `($1, $2]`.
    pub copy: String,
    /// Copies the rows whose key is `<= $1`.
    pub copy_first: String,
    /// Deletes the copied rows whose key is in `($1, $2]`.
    pub clear: String,
    /// Deletes the copied rows whose key is `<= $1`.
    pub clear_first: String,
    /// Copies the rows whose key is NULL (last, after `clear_nulls`).
    pub copy_nulls: String,
    pub clear_nulls: String,
}

impl Step {
    fn new(name: StepName, statements: Vec<String>, rollback: Vec<String>) -> Step {
        Step { name, statements, rollback, applied: None, batch: None, differences: None, approval: Vec::new() }
    }
}

/// The step plan of `spec` on a warehouse.
///
/// Errors ([`EngineError::StepPlan`], [`EngineError::InvalidChange`]) name
/// the field at fault: a dialect that is no warehouse's, a schema without
/// the dataset or a column's type, a key that is no column, a mapping that
/// is not a plain column name (a field path or an expression cannot be
/// copied back: the copy runs from the old table to the new one, and a
/// mapping says how to read the old column from the new table).
pub fn step_plan(spec: &ChangeSpec, options: &StepPlanOptions) -> Result<StepPlan, EngineError> {
    let dialect = options.dialect.or(spec.dialect).ok_or_else(|| refuse("dialect", "a step plan is written for a warehouse: name its dialect (duckdb, postgres, bigquery or snowflake)"))?;
    if !STEP_PLAN_DIALECTS.contains(&dialect) {
        return Err(refuse("dialect", format!("a step plan is written for duckdb, postgres, bigquery or snowflake, not {dialect}")));
    }
    spec.validate_in(dialect)?;
    let batch_rows = options.batch_rows.unwrap_or_else(|| default_batch_rows(dialect));
    if batch_rows == 0 {
        return Err(refuse("batch_rows", "must be at least 1"));
    }
    let shape = layout::Shape::new(spec, dialect, &options.schema, options.key.as_deref())?;
    let steps = vec![backfill::expand(&shape), backfill::backfill(&shape, batch_rows), verify::verify(&shape), switch::switch(&shape)?, switch::contract(&shape)?];
    Ok(StepPlan {
        dataset: spec.dataset.clone(),
        dialect,
        layout: shape.layout,
        new_table: shape.new_table.clone(),
        old_table: shape.old_table.clone(),
        final_table: shape.final_table.clone(),
        key: shape.key().old.to_string(),
        batch_rows,
        steps,
    })
}

fn refuse(field: impl Into<String>, message: impl Into<String>) -> EngineError {
    EngineError::StepPlan { field: field.into(), message: message.into() }
}
