import type { StepName, StepPlan, StepPlanOptions } from '@ripple/engine';

// The engine's step plan (docs/scaffolder.md, "ripple:plan"), written out
// as SQL files. The types are the engine's own (generated from its Rust).

export type { StepName, StepPlan, StepPlanOptions };

/** The dialects a step plan supports: the warehouses Ripple connects to. */
export const STEP_PLAN_DIALECTS = [
  'duckdb',
  'postgres',
  'bigquery',
  'snowflake',
] as const;

export type StepPlanDialect = (typeof STEP_PLAN_DIALECTS)[number];

/** A file of the plan, relative to the plan's folder. */
export type PlanFile = { path: string; content: string };

const PURPOSE: Record<StepName, string> = {
  expand: 'creates the new table in its new shape',
  backfill: "copies the data through the change's mapping",
  verify:
    'compares the old table and the new one: each query returns one row, true (or 0) when the copy matches',
  switch:
    'moves the old table aside and puts a view under its name for readers not yet migrated',
  contract:
    'once every consumer is merged and healthy: removes the view (the old table is kept until approved)',
};

function sqlFile(header: string[], statements: string[]): string {
  return `${[...header.map(line => `-- ${line}`), '', ...statements].join(
    '\n',
  )}\n`;
}

/**
 * The plan as SQL files, one per step in order (`01_expand.sql`), each
 * step's rollback next to it (`01_expand.rollback.sql`; verify has none),
 * and the contract's approval statements, which delete data for good, in
 * their own file (`05_contract.approval.sql`).
 */
export function stepPlanFiles(plan: StepPlan): PlanFile[] {
  const files: PlanFile[] = [];
  const about = `${plan.dataset} (${plan.dialect}, ${plan.layout}): ${plan.dataset} -> ${plan.new_table}`;
  plan.steps.forEach((step, i) => {
    const prefix = `${String(i + 1).padStart(2, '0')}_${step.name}`;
    const title = `Step ${i + 1} of ${plan.steps.length}: ${step.name}`;
    const header = [title, about];
    const stepHeader = [
      ...header,
      `It ${PURPOSE[step.name]}.`,
      ...(step.name === 'backfill'
        ? [
            `Ripple runs it in batches of ${plan.batch_rows} rows by ${plan.key}; run by hand, it is one statement.`,
          ]
        : []),
    ];
    files.push({
      path: `${prefix}.sql`,
      content: sqlFile(stepHeader, step.statements),
    });
    if (step.rollback.length) {
      files.push({
        path: `${prefix}.rollback.sql`,
        content: sqlFile(
          [...header, `Rollback: restores the state before ${step.name}.`],
          step.rollback,
        ),
      });
    }
    if (step.approval?.length) {
      files.push({
        path: `${prefix}.approval.sql`,
        content: sqlFile(
          [
            ...header,
            'Approval: DELETES DATA FOR GOOD, with no rollback.',
            `Run only after a person approved it, once ${step.name} is done and every consumer is migrated.`,
          ],
          step.approval,
        ),
      });
    }
  });
  return files;
}

/**
 * The folder a plan's files go to by default, `migrations/<dataset>`: the
 * dataset's name kept to letters, digits, `_`, `.` and `-` so that it is
 * one path segment whatever the change names.
 */
export function defaultPlanDirectory(dataset: string): string {
  const segment = dataset.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
  return `migrations/${segment || 'dataset'}`;
}
