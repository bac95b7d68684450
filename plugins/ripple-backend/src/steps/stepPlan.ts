import { InputError } from '@backstage/errors';
import { isRippleError } from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, RippleEngine, Schema } from '@ripple/engine';

/**
 * The engine's step plan (rust-engine/engine/src/steps/, the shape of
 * issue 20's contract, serialized as the engine serializes it: snake_case).
 * Written here until `@ripple/engine` exports the tsify type `StepPlan`,
 * which has these very fields.
 */
export type StepPlan = {
  dataset: string;
  dialect: string;
  layout: 'move' | 'versioned';
  new_table: string;
  old_table: string;
  final_table: string;
  key: string;
  batch_rows: number;
  steps: PlanStep[];
};

export type StepName = 'expand' | 'backfill' | 'verify' | 'switch' | 'contract';

/** The steps, in the order they run. */
export const STEP_NAMES: StepName[] = [
  'expand',
  'backfill',
  'verify',
  'switch',
  'contract',
];

/** One step of the engine's plan. */
export type PlanStep = {
  name: StepName;
  statements: string[];
  rollback: string[];
  applied?: string;
  batch?: Batch;
  differences?: string;
  approval?: string[];
};

/** The backfill in key ranges (`$1`, `$2` in PostgreSQL and DuckDB). */
export type Batch = {
  count: string;
  next: string;
  next_first: string;
  copy: string;
  copy_first: string;
  clear: string;
  clear_first: string;
  copy_nulls: string;
  clear_nulls: string;
};

export type StepPlanOptions = {
  dialect?: string;
  schema: Schema;
  key?: string;
  batch_rows?: number;
};

/** The engine, with `stepPlan` (present in builds from issue 20 on). */
export type StepPlanEngine = RippleEngine & {
  stepPlan?(change: ChangeSpec, options: StepPlanOptions): StepPlan;
};

/**
 * The step plan of a change, from the backend's engine service. The
 * engine's refusal (a mapping it cannot copy back, a column without a
 * type) is a 400 with its message, which names the field.
 */
export function makeStepPlan(
  engine: StepPlanEngine,
  change: ChangeSpec,
  options: StepPlanOptions,
): StepPlan {
  if (!engine.stepPlan) {
    throw new InputError(
      `The engine ${engine.version()} cannot write step plans (it has no stepPlan): upgrade @ripple/engine`,
    );
  }
  try {
    return engine.stepPlan(change, options);
  } catch (error) {
    if (isRippleError(error)) throw new InputError(error.message);
    throw error;
  }
}

/** The step of a plan by name. */
export function planStep(plan: StepPlan, name: StepName): PlanStep {
  const step = plan.steps.find(s => s.name === name);
  if (!step) throw new Error(`The step plan has no ${name} step`);
  return step;
}
