import { InputError } from '@backstage/errors';
import { isRippleError } from '@ripple/backstage-plugin-ripple-common';
import type {
  ChangeSpec,
  RippleEngine,
  Step,
  StepName,
  StepPlan,
} from '@ripple/engine';

// The engine's step plan (rust-engine/engine/src/steps/; docs/engine.md,
// "Step plans"), in the types the engine's build generates.
export type { Batch, StepName, StepPlan } from '@ripple/engine';
/** One step of the engine's plan. */
export type PlanStep = Step;

/** The steps, in the order they run. */
export const STEP_NAMES: StepName[] = [
  'expand',
  'backfill',
  'verify',
  'switch',
  'contract',
];

export type StepPlanOptions = Parameters<RippleEngine['stepPlan']>[1];

/**
 * The step plan of a change, from the backend's engine service. The
 * engine's refusal (a mapping it cannot copy back, a column without a
 * type) is a 400 with its message, which names the field.
 */
export function makeStepPlan(
  engine: RippleEngine,
  change: ChangeSpec,
  options: StepPlanOptions,
): StepPlan {
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
