import type {
  Step,
  StepPlanView,
  StepProgress,
  StepState,
} from '@ripple/backstage-plugin-ripple-common';
import type { RippleT } from '../../translation';
import type { Status, Tone } from './status';

const TONES: Record<StepState, Tone> = {
  pending: 'idle',
  running: 'active',
  done: 'done',
  failed: 'blocked',
  'rolled-back': 'idle',
};

/** A step's state as a badge; a failed step's error is its detail. */
export function stepStatus(step: Step, t: RippleT): Status {
  return {
    tone: TONES[step.state],
    label: t(`steps.state.${step.state}`),
    detail: step.error,
  };
}

/** A count as people read a large one: 950, 12.5 k, 1.2 M, 3.4 G. */
export function formatCount(n: number): string {
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, unit] of units) {
    if (Math.abs(n) >= size) {
      const value = n / size;
      return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${unit}`;
    }
  }
  return String(Math.round(n));
}

/** The backfill's share done, in whole percent (0 before its total is known). */
export function percentDone(progress: StepProgress): number {
  if (progress.rowsTotal <= 0) return progress.rowsDone > 0 ? 100 : 0;
  return Math.min(
    100,
    Math.floor((100 * progress.rowsDone) / progress.rowsTotal),
  );
}

/** True while a step runs: the page follows it more often. */
export function isRunning(plan: StepPlanView): boolean {
  return plan.steps.some(s => s.state === 'running');
}

/**
 * The step a rollback applies to: the last one that ran (done or failed),
 * when none after it ran. Rolling back goes backwards one step at a time,
 * as the backend's route accepts only that step.
 */
export function rollbackStep(plan: StepPlanView): Step | undefined {
  const ran = [...plan.steps]
    .reverse()
    .find(s => s.state !== 'pending' && s.state !== 'rolled-back');
  return ran && (ran.state === 'done' || ran.state === 'failed')
    ? ran
    : undefined;
}

/** Whether nothing of the plan ran yet (its statements are a dry run). */
export function nothingRan(plan: StepPlanView): boolean {
  return plan.steps.every(s => s.state === 'pending');
}

/**
 * Where a step plan stands, in a few words for the dataset's tab: the
 * running step (the backfill with its share and rate), a failed one, or the
 * last step done and what comes next.
 */
export function stepSummary(plan: StepPlanView, t: RippleT): string {
  const name = (step: Step) => t(`steps.name.${step.name}`);
  const running = plan.steps.find(s => s.state === 'running');
  if (running) {
    if (running.name === 'backfill' && running.progress) {
      const share = t('stepSummary.backfill', {
        percent: String(percentDone(running.progress)),
      });
      const rate = running.progress.rowsPerSecond;
      return rate
        ? `${share} · ${t('stepSummary.rate', { rate: formatCount(rate) })}`
        : share;
    }
    return t('stepSummary.running', { step: name(running) });
  }
  const failed = plan.steps.find(s => s.state === 'failed');
  if (failed) return t('stepSummary.failed', { step: name(failed) });
  const last = [...plan.steps].reverse().find(s => s.state === 'done');
  if (!last) {
    const rolledBack = plan.steps.find(s => s.state === 'rolled-back');
    return rolledBack
      ? t('stepSummary.rolledBack', { step: name(rolledBack) })
      : t('stepSummary.ready');
  }
  switch (last.name) {
    case 'expand':
      return t('stepSummary.expand');
    case 'backfill':
      return t('stepSummary.backfillDone');
    case 'verify':
      return t('stepSummary.verify');
    case 'switch':
      return t('stepSummary.switch');
    default:
      return last.approvedBy || !last.approval?.length
        ? t('stepSummary.contractApproved')
        : t('stepSummary.contract');
  }
}
