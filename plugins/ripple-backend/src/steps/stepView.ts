import type { StepPlanRecord, StepRecord } from '../database/StepStore';
import type { Step, StepPlanView } from '../schema/openapi/generated/models';
import { planStep, type StepPlan } from './stepPlan';

/**
 * The plan as the API shows it: every statement (the dry run), where each
 * step stands, and the whole plan as one SQL script. `contractWait` is why
 * the contract cannot run yet (the consumers, the retention time).
 */
export function stepPlanView(
  record: StepPlanRecord,
  contractWait: string | undefined,
  /** Why a running step does not go on now: a freeze, the kill switch. */
  held: { frozen?: string; stopped?: string } = {},
): StepPlanView {
  const { plan } = record;
  const next = record.steps.find(s => s.state !== 'done');
  return {
    migrationId: record.migrationId,
    warehouse: record.warehouse,
    mode: record.mode,
    dialect: plan.dialect,
    layout: plan.layout,
    dataset: plan.dataset,
    newTable: plan.new_table,
    oldTable: plan.old_table,
    finalTable: plan.final_table,
    key: plan.key,
    batchRows: plan.batch_rows,
    ...(next ? { next: next.name } : {}),
    steps: record.steps.map((step, i) =>
      stepView(
        plan,
        step,
        step.state === 'running'
          ? held.stopped ?? held.frozen
          : waitingFor(record.steps, i, next, contractWait),
      ),
    ),
    script: stepScript(plan),
    createdBy: record.createdBy,
    createdAt: record.createdAt.toISOString(),
  };
}

export function stepView(
  plan: StepPlan,
  step: StepRecord,
  waiting?: string,
): Step {
  const definition = planStep(plan, step.name);
  const result = step.result;
  return {
    name: step.name,
    state: step.state,
    statements: definition.statements,
    rollback: definition.rollback,
    ...(definition.approval?.length ? { approval: definition.approval } : {}),
    attempt: step.attempt,
    ...(step.rowsTotal !== undefined
      ? {
          progress: {
            rowsDone: step.rowsDone ?? 0,
            rowsTotal: step.rowsTotal,
            ...(step.batches !== undefined ? { batches: step.batches } : {}),
            ...(step.rate !== undefined ? { rowsPerSecond: step.rate } : {}),
          },
        }
      : {}),
    ...(result
      ? {
          verification: {
            passed: result.passed,
            checks: result.checks,
            ...(result.differences ? { differences: result.differences } : {}),
            durationMs: result.durationMs,
          },
        }
      : {}),
    ...(step.error ? { error: step.error } : {}),
    ...(waiting ? { waitingFor: waiting } : {}),
    ...(step.startedAt ? { startedAt: step.startedAt.toISOString() } : {}),
    ...(step.finishedAt ? { finishedAt: step.finishedAt.toISOString() } : {}),
    ...(step.doneBy ? { doneBy: step.doneBy } : {}),
    ...(step.approvedBy ? { approvedBy: step.approvedBy } : {}),
    ...(step.approvedAt ? { approvedAt: step.approvedAt.toISOString() } : {}),
  };
}

/** Why a step that is not done cannot run now; undefined when it can, or is done. */
function waitingFor(
  steps: StepRecord[],
  index: number,
  next: StepRecord | undefined,
  contractWait: string | undefined,
): string | undefined {
  const step = steps[index];
  if (step.state === 'done') return undefined;
  if (next && next.name !== step.name) {
    return `waiting for the step ${next.name}`;
  }
  if (step.name === 'contract' && step.state !== 'running') {
    return contractWait;
  }
  return undefined;
}

/**
 * The whole plan as one SQL script, for a person to run (hand-over): each
 * step under a `-- expand` header, then its rollback as comments, and the
 * contract's approval statements apart.
 */
export function stepScript(plan: StepPlan): string {
  const lines = [
    `-- The step plan of ${plan.dataset} (${plan.dialect}, ${plan.layout}): new table ${plan.new_table}, old table ${plan.old_table}`,
    '-- Run one step at a time, in order; mark each done in Ripple once it ran.',
    '',
  ];
  const commented = (sql: string) =>
    sql
      .split('\n')
      .map(line => `--   ${line}`)
      .join('\n');
  for (const step of plan.steps) {
    lines.push(`-- ${step.name}`);
    lines.push(...step.statements);
    if (step.approval?.length) {
      lines.push(
        `-- ${step.name}: approval (deletes the old data for good; only once a person approves)`,
      );
      lines.push(...step.approval.map(commented));
    }
    if (step.rollback.length) {
      lines.push(`-- ${step.name}: rollback`);
      lines.push(...step.rollback.map(commented));
    }
    lines.push('');
  }
  return lines.join('\n');
}
