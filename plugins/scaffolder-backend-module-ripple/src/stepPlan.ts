import type { ChangeSpec, RippleEngine, Schema } from '@ripple/engine';

// The engine's step plan (docs/scaffolder.md, "ripple:plan"), as the
// engine's `stepPlan` returns it: the fields this module reads. Written
// against the shared contract of issue 20 so that the action builds with an
// engine of either version; an engine without `stepPlan` is refused with a
// clear error at run time.

/** The five steps, in order. */
export const STEP_NAMES = [
  'expand',
  'backfill',
  'verify',
  'switch',
  'contract',
] as const;

export type StepName = (typeof STEP_NAMES)[number];

/** The dialects a step plan supports: the warehouses Ripple connects to. */
export const STEP_PLAN_DIALECTS = [
  'duckdb',
  'postgres',
  'bigquery',
  'snowflake',
] as const;

export type StepPlanDialect = (typeof STEP_PLAN_DIALECTS)[number];

export type StepPlanStep = {
  name: StepName;
  statements: string[];
  rollback: string[];
  approval?: string[];
};

export type StepPlan = {
  dataset: string;
  dialect: string;
  layout: 'move' | 'versioned';
  new_table: string;
  old_table: string;
  final_table: string;
  key: string;
  batch_rows: number;
  steps: StepPlanStep[];
};

export type StepPlanOptions = {
  dialect?: StepPlanDialect;
  schema: Schema;
  key?: string;
  batch_rows?: number;
};

type EngineWithStepPlan = RippleEngine & {
  stepPlan?: (change: ChangeSpec, options: StepPlanOptions) => StepPlan;
};

/**
 * The change's step plan from the engine; an engine built before step
 * plans has no `stepPlan`, which is said as such rather than as a
 * `TypeError`.
 */
export function stepPlan(
  engine: RippleEngine,
  change: ChangeSpec,
  options: StepPlanOptions,
): StepPlan {
  const plan = (engine as EngineWithStepPlan).stepPlan;
  if (typeof plan !== 'function') {
    throw new Error(
      'this build of @ripple/engine has no step plans (stepPlan); rebuild it with scripts/build-engine.sh',
    );
  }
  return plan(change, options);
}

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
