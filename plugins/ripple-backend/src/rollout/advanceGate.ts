import type { RolloutConsumer, RolloutRecord } from '../database/RolloutStore';
import {
  REQUIREMENT,
  someOf,
  validationVerdict,
} from '../validation/requirement';
import type { RolloutContext } from './RolloutContext';
import type { TimingJudgement } from './timing/RolloutTiming';

/** Whether a consumer's patch is in place (delivered or merged). */
export function isInPlace(consumer: RolloutConsumer): boolean {
  const status = consumer.delivery?.status;
  return status === 'delivered' || status === 'merged';
}

/** How the gate's reason starts while the wave's deliveries go on. */
export const WAITING_FOR_DELIVERIES = "waiting for the wave's deliveries";

/**
 * A consumer of the active wave whose validation holds the wave, under a
 * plan with `requireValidation`.
 */
export type ValidationHold = {
  consumerRef: string;
  /** Why, as a clause about its patch ("its validation ... failed: ..."). */
  why: string;
  /**
   * A result that stays until a person acts (failed, error, skipped
   * without a reason): it pauses the rollout, once per validation.
   * Otherwise the validation is still to come, and the wave waits.
   */
  final: boolean;
  validationId?: number;
  /** That validation paused the rollout already (a person resumed it since). */
  pausedBefore: boolean;
};

/** Whether the active wave may advance, and if not, why. */
export type AdvanceGate = {
  ready: boolean;
  /** When the soak ends, once known. */
  soakEndsAt?: Date;
  /**
   * Why the wave does not advance, besides its soak, naming the consumers
   * (`Rollout.gateReason`).
   */
  reason?: string;
  /** The consumers whose validation holds the wave. */
  validations: ValidationHold[];
};

/**
 * Whether the active wave may advance: no delivered consumer unhealthy or
 * with failed checks;
 * under a plan with `requireValidation`, the current patch of each of its
 * consumers validated (passed, or skipped with its reason; a rejected
 * patch or a consumer rolled back alone does not count); each of them
 * delivered (or its patch rejected, or it rolled back alone); the soak time
 * passed since the last delivery; and (unless the plan says otherwise) a
 * signal from each of the wave's delivered consumers since its delivery.
 */
export async function advanceGate(
  context: RolloutContext,
  record: RolloutRecord,
  // The rollout's consumers, when the caller has just read them.
  listed?: RolloutConsumer[],
  // Why consumers wait before their delivery (a window, an upstream).
  timing?: Pick<TimingJudgement, 'deliveryWait'>,
): Promise<AdvanceGate> {
  const consumers =
    listed ?? (await context.rollouts.listConsumers(record.migrationId));
  const reasons: string[] = [];
  // Only a patch still in place can be to blame: a reverted consumer's
  // old breach does not hold the rollout.
  const unhealthy = consumers.filter(
    c => c.health === 'unhealthy' && isInPlace(c),
  );
  // Failed checks hold the wave even when a later signal of another
  // source is healthy: the patch did not pass the consumer's own CI.
  const failing = consumers.filter(
    c => c.delivery?.status === 'delivered' && c.delivery.checks === 'failing',
  );
  if (failing.length) {
    reasons.push(
      someOf(
        failing.map(
          c =>
            `the checks of ${c.consumerRef} fail${
              c.delivery!.failedChecks?.length
                ? ` (${c.delivery!.failedChecks.map(f => f.name).join(', ')})`
                : ''
            }`,
        ),
      ),
    );
  }
  if (unhealthy.length) {
    reasons.push(
      someOf(
        unhealthy.map(c =>
          c.healthReason
            ? `${c.consumerRef} is unhealthy: ${c.healthReason}`
            : `${c.consumerRef} is unhealthy`,
        ),
      ),
    );
  }
  const validations = await validationHolds(context, record, consumers);
  if (validations.length) {
    reasons.push(
      `${REQUIREMENT}: ${someOf(
        validations.map(h => `${h.consumerRef}: ${h.why}`),
      )}`,
    );
  }
  if (reasons.length) {
    return { ready: false, reason: reasons.join('. '), validations };
  }
  const wave = await deliveredWave(context, record, consumers, timing);
  if ('waiting' in wave) {
    return { ready: false, reason: wave.waiting, validations };
  }
  const running = await runningThePatch(context, record, wave.delivered);
  if ('waiting' in running) {
    return { ready: false, reason: running.waiting, validations };
  }
  // The wave soaks from when its last consumer runs the patch.
  const lastStart = Math.max(
    0,
    ...[...running.since.values()].map(at => at.getTime()),
  );
  const soakEndsAt = new Date(lastStart + record.plan.soakMinutes * 60_000);
  if (Date.now() < soakEndsAt.getTime()) {
    return { ready: false, soakEndsAt, validations };
  }
  if (record.plan.health.requireSignals && running.since.size) {
    const reported = await context.rollouts.consumersWithSignalsSince(
      record.migrationId,
      running.since,
    );
    const silent = [...running.since.keys()].filter(ref => !reported.has(ref));
    if (silent.length) {
      return {
        ready: false,
        soakEndsAt,
        reason: `waiting for a health signal since it runs the patch from ${someOf(
          silent,
        )}`,
        validations,
      };
    }
  }
  return { ready: true, soakEndsAt, validations };
}

/** How the gate's reason starts while the wave's patches await their merge. */
export const WAITING_FOR_MERGES = 'waiting for merges';

/**
 * When each delivered consumer of the wave started running its patch: its
 * merge, or, when a source knows its runs (OpenLineage), its first
 * successful run after the merge. Or why the wave still waits: the
 * consumers not merged (with how long they waited, and `overdue` past the
 * plan's `mergeWithinHours` from the wave's start), or merged but not run
 * yet.
 */
export async function runningThePatch(
  context: RolloutContext,
  record: RolloutRecord,
  delivered: RolloutConsumer[],
): Promise<{ since: Map<string, Date> } | { waiting: string }> {
  const now = Date.now();
  const unmerged = delivered.filter(c => c.delivery?.status !== 'merged');
  if (unmerged.length) {
    const overdue = isMergeOverdue(record, now);
    return {
      waiting: `${WAITING_FOR_MERGES}: ${someOf(
        unmerged.map(
          c =>
            `${c.consumerRef} (delivered ${waited(
              now - (c.deliveredAt?.getTime() ?? now),
            )} ago${overdue ? ', overdue' : ''})`,
        ),
      )}`,
    };
  }
  // Merged before merges were recorded: from its delivery.
  const mergedAt = new Map(
    delivered.map(c => [c.consumerRef, c.mergedAt ?? c.deliveredAt!]),
  );
  const { knowsRuns, firstSuccess } = await context.rollouts.successfulRuns(
    record.migrationId,
    mergedAt,
  );
  const notRun = [...knowsRuns].filter(ref => !firstSuccess.has(ref));
  if (notRun.length) {
    return {
      waiting: `waiting for the first successful run after the merge of ${someOf(
        notRun,
      )}`,
    };
  }
  return {
    since: new Map(
      [...mergedAt].map(([ref, at]) => [ref, firstSuccess.get(ref) ?? at]),
    ),
  };
}

/** Whether the active wave started more than the plan's `mergeWithinHours` ago. */
export function isMergeOverdue(
  record: RolloutRecord,
  now: number = Date.now(),
): boolean {
  const startedAt = record.waves[record.currentWave]?.startedAt;
  return (
    startedAt !== undefined &&
    record.plan.mergeWithinHours !== undefined &&
    now - new Date(startedAt).getTime() >
      record.plan.mergeWithinHours * 3_600_000
  );
}

/** A duration in words: minutes, hours or days. */
function waited(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}

/**
 * The consumers of the active wave (not rolled back alone) whose current
 * patch's latest validation does not count, under a plan with
 * `requireValidation`; a rejected patch is never delivered, and does not
 * hold the wave.
 */
async function validationHolds(
  context: RolloutContext,
  record: RolloutRecord,
  consumers: RolloutConsumer[],
): Promise<ValidationHold[]> {
  if (!record.plan.requireValidation) return [];
  const wave = consumers.filter(c => c.wave === record.currentWave && !c.held);
  if (!wave.length) return [];
  const latest = await context.validations.latest(
    record.migrationId,
    wave.map(c => c.consumerRef),
  );
  const held: ValidationHold[] = [];
  for (const consumer of wave) {
    const verdict = validationVerdict(latest.get(consumer.consumerRef));
    if (verdict.ok) continue;
    held.push({
      consumerRef: consumer.consumerRef,
      why: verdict.why,
      final: verdict.final,
      ...(verdict.validationId !== undefined
        ? { validationId: verdict.validationId }
        : {}),
      pausedBefore:
        verdict.validationId !== undefined &&
        verdict.validationId === consumer.validationPausedId,
    });
  }
  if (!held.length) return [];
  const rejected = await context.rollouts.rejectedConsumers(
    record.migrationId,
    held.map(h => h.consumerRef),
  );
  return held.filter(h => !rejected.has(h.consumerRef));
}

/**
 * The active wave's delivered consumers, or why it still waits: the first
 * of its consumers neither delivered, nor rejected, nor held, with how
 * many others are not in place.
 */
async function deliveredWave(
  context: RolloutContext,
  record: RolloutRecord,
  consumers: RolloutConsumer[],
  timing?: Pick<TimingJudgement, 'deliveryWait'>,
): Promise<{ delivered: RolloutConsumer[] } | { waiting: string }> {
  const delivered: RolloutConsumer[] = [];
  // Rolled back alone: left out until someone resumes it.
  const wave = consumers.filter(c => c.wave === record.currentWave && !c.held);
  for (const consumer of wave) {
    if (isInPlace(consumer)) {
      delivered.push(consumer);
      continue;
    }
    const current = await context.store.getConsumer(
      record.migrationId,
      consumer.consumerRef,
    );
    // A rejected patch is never delivered: it does not hold the wave.
    if (current?.decision?.decision === 'reject') continue;
    const others = wave.filter(c => c !== consumer && !isInPlace(c)).length;
    const wait =
      current?.decision && consumer.delivery?.status === 'pending'
        ? timing?.deliveryWait(consumer.consumerRef)
        : undefined;
    let state = current?.decision
      ? `delivery ${consumer.delivery?.status ?? 'pending'}`
      : 'not approved yet';
    if (wait) state = wait.reason;
    return {
      waiting: `${WAITING_FOR_DELIVERIES}: ${consumer.consumerRef} (${state})${
        others ? ` and up to ${others} more` : ''
      }`,
    };
  }
  return { delivered };
}
