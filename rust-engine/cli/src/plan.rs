//! `ripple plan`: a change's step plan on the warehouse, as SQL a person
//! runs step by step, or as JSON.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use ripple_engine::{Dialect, StepName, StepPlan, StepPlanOptions};

use crate::files::{print_json, read_change, read_schema};
use crate::Usage;

/// How `plan` prints the plan.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PlanFormat {
    /// Each step's statements under a `-- expand` header; its rollback
    /// (and the contract's approval) commented out below them.
    Sql,
    /// The plan as the engine returns it: {"steps": [{"name", "statements", "rollback", ...}], ...}.
    Json,
}

pub(crate) struct PlanArgs<'a> {
    pub change: &'a Path,
    pub dialect: Option<Dialect>,
    pub schema: &'a Path,
    pub key: Option<String>,
    pub batch_rows: Option<u64>,
    pub format: PlanFormat,
}

pub(crate) fn plan(args: PlanArgs) -> Result<ExitCode, Usage> {
    let spec = read_change(args.change, args.dialect)?;
    let schema = read_schema(args.schema)?;
    let options = StepPlanOptions { dialect: args.dialect, schema, key: args.key, batch_rows: args.batch_rows };
    let plan = ripple_engine::step_plan(&spec, &options).map_err(|e| Usage(e.to_string()))?;
    match args.format {
        PlanFormat::Json => print_json(&plan)?,
        PlanFormat::Sql => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(sql(&plan).as_bytes()).and_then(|()| stdout.flush()).map_err(|e| Usage(format!("cannot write output: {e}")))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The plan as one script: what runs uncommented, what undoes or deletes
/// for good commented out, so running the whole file never rolls back nor
/// drops anything.
fn sql(plan: &StepPlan) -> String {
    let layout = match plan.layout {
        ripple_engine::Layout::Move => "the table moves",
        ripple_engine::Layout::Versioned => "versioned: the table keeps its name",
    };
    let mut out = format!("-- Step plan of {} ({}; {layout}).\n-- The data is copied into {}; the switch renames today's table to {}.\n", plan.dataset, plan.dialect, plan.new_table, plan.old_table);
    for step in &plan.steps {
        let name = serde_json::to_value(step.name).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let about = match step.name {
            StepName::Verify => " (each query returns true when the copy matches)",
            _ => "",
        };
        out.push_str(&format!("\n-- {name}{about}\n"));
        for statement in &step.statements {
            out.push_str(statement);
            out.push('\n');
        }
        if !step.approval.is_empty() {
            out.push_str("-- approval (deletes data for good: only once a person approves; no rollback)\n");
            step.approval.iter().for_each(|s| out.push_str(&commented(s)));
        }
        if !step.rollback.is_empty() {
            out.push_str("-- rollback\n");
            step.rollback.iter().for_each(|s| out.push_str(&commented(s)));
        }
    }
    out
}

fn commented(statement: &str) -> String {
    statement.lines().map(|line| format!("--   {line}\n")).collect()
}
