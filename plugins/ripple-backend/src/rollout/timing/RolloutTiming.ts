import type { Config } from '@backstage/config';
import type {
  ConsumerWait,
  DeliveryWindow,
} from '@ripple/backstage-plugin-ripple-common';
import type {
  RolloutConsumer,
  RolloutRecord,
} from '../../database/RolloutStore';
import { someOf } from '../../validation/requirement';
import type { RolloutContext } from '../RolloutContext';
import { type UpstreamWarning, upstreamOrder } from './upstream';
import {
  checkWindows,
  type Constraint,
  DELIVERY_WINDOW_ANNOTATION,
  earliestAllowed,
  type Freeze,
  freezesConstraint,
  parseFreezes,
  parseScheduleAnnotation,
  parseWindowAnnotation,
  SCHEDULE_ANNOTATION,
  scheduleConstraint,
  waitingFor,
  windowsConstraint,
} from './windows';

/**
 * What the automatic steps of a rollout may do, and when (docs/rollout.md,
 * "Timing"). Each kind of step asks its own question, so that a step added
 * later (a warehouse step) asks {@link TimingJudgement.stepWait} with the
 * plan's windows and the freezes, as an advance does.
 */
export type TimingJudgement = {
  now: Date;
  /** Why the consumer's delivery waits now; undefined when it may go. */
  deliveryWait(consumerRef: string): ConsumerWait | undefined;
  /** Why an automatic wave advance waits now (plan windows, freezes). */
  advanceWait?: { reason: string; until?: Date };
  /**
   * Why any other automatic step of the rollout waits now (plan windows,
   * freezes): the seam for warehouse steps.
   */
  stepWait?: { reason: string; until?: Date };
  /** What to record once on the timeline. */
  warnings: TimingWarning[];
};

export type TimingWarning =
  | UpstreamWarning
  | {
      kind: 'bad-annotation';
      consumerRef: string;
      annotation: string;
      error: string;
    };

/** Why deliveries wait while a step plan's switch is not done. */
export const STEP_SWITCH_WAIT = 'waiting for the step switch';

/** The config's timing, read (and checked) once at the start of the backend. */
export type TimingConfig = {
  freezes: Freeze[];
  defaultWindows: DeliveryWindow[];
  scheduleMarginMinutes: number;
  confirmAbove: number;
};

/**
 * Reads `ripple.rollout.freezes`, `.windows`, `.scheduleMarginMinutes` and
 * `.confirmAbove`; a bad value throws, naming its key, so the backend does
 * not start with a freeze it cannot honour.
 */
export function readTimingConfig(config: Config): TimingConfig {
  const rollout = config.getOptionalConfig('ripple.rollout');
  const freezes = parseFreezes(
    (rollout?.getOptionalConfigArray('freezes') ?? []).map(f => ({
      from: f.getString('from'),
      to: f.getString('to'),
      reason: f.getOptionalString('reason'),
    })),
  );
  const defaultWindows = checkWindows(
    rollout?.getOptionalConfigArray('windows')?.map(w => ({
      cron: w.getString('cron'),
      durationMinutes: w.getNumber('durationMinutes'),
      timeZone: w.getOptionalString('timeZone'),
    })),
    'ripple.rollout.windows',
  );
  return {
    freezes,
    defaultWindows,
    scheduleMarginMinutes:
      rollout?.getOptionalNumber('scheduleMarginMinutes') ?? 30,
    confirmAbove: rollout?.getOptionalNumber('confirmAbove') ?? 100,
  };
}

/** Judges the timing of a rollout's steps at the context's clock. */
export class RolloutTiming {
  private readonly timing: TimingConfig;

  constructor(private readonly context: RolloutContext) {
    this.timing = readTimingConfig(context.config);
  }

  get confirmAbove(): number {
    return this.timing.confirmAbove;
  }

  /**
   * The judgement for one rollout, at one time: `consumers` are all of its
   * consumers (the upstream order reads them all).
   */
  async judge(
    record: RolloutRecord,
    consumers: RolloutConsumer[],
  ): Promise<TimingJudgement> {
    const now = this.context.now();
    const { freezes, scheduleMarginMinutes } = this.timing;
    const planWindows = windowsConstraint(
      record.plan.windows ?? [],
      "outside the plan's delivery windows",
    );
    const frozen = freezesConstraint(freezes);
    const common = earliestAllowed([planWindows, frozen], now);
    const commonWait = waitingFor(common, now);
    // A step plan's switch puts the view that both unpatched and patched
    // readers use under the dataset's name: until it is done, a patched
    // consumer would read names that do not exist yet.
    const switchState = await this.context.options.steps?.switchState(
      record.migrationId,
    );
    const switchWait =
      switchState !== undefined && switchState !== 'done'
        ? { reason: STEP_SWITCH_WAIT }
        : undefined;
    const stepWait =
      switchWait ??
      (commonWait
        ? { reason: commonWait, ...(common.at ? { until: common.at } : {}) }
        : undefined);

    const entities = await this.context.entities(
      consumers.map(c => c.consumerRef),
    );
    const warnings: TimingWarning[] = [];
    const { upstreams, warnings: orderWarnings } = await upstreamOrder(
      consumers.map(c => ({
        consumerRef: c.consumerRef,
        wave: c.wave,
        position: c.position,
        entity: entities.get(c.consumerRef),
      })),
      this.context.options.lineage,
    );
    warnings.push(...orderWarnings);
    const byRef = new Map(consumers.map(c => [c.consumerRef, c]));
    // An upstream whose patch was rejected is never delivered: nothing
    // changes upstream, so its readers need not wait for it.
    const pendingUpstreams = [...new Set([...upstreams.values()].flat())];
    const rejected = pendingUpstreams.length
      ? await this.context.rollouts.rejectedConsumers(
          record.migrationId,
          pendingUpstreams,
        )
      : new Set<string>();

    const waits = new Map<string, ConsumerWait | undefined>();
    const deliveryWait = (consumerRef: string): ConsumerWait | undefined => {
      if (switchWait) return { consumerRef, reason: switchWait.reason };
      if (waits.has(consumerRef)) return waits.get(consumerRef);
      const entity = entities.get(consumerRef);
      const annotations = entity?.metadata.annotations ?? {};
      const constraints: (Constraint | undefined)[] = [planWindows, frozen];
      let wait: ConsumerWait | undefined;
      try {
        const own = annotations[DELIVERY_WINDOW_ANNOTATION];
        if (own !== undefined) {
          constraints.push(
            windowsConstraint(
              parseWindowAnnotation(own),
              `outside the delivery windows of ${consumerRef} (${DELIVERY_WINDOW_ANNOTATION})`,
            ),
          );
        }
      } catch (error) {
        wait = badAnnotation(
          consumerRef,
          DELIVERY_WINDOW_ANNOTATION,
          error,
          warnings,
        );
      }
      try {
        const schedule = annotations[SCHEDULE_ANNOTATION];
        if (schedule !== undefined) {
          constraints.push(
            scheduleConstraint(
              parseScheduleAnnotation(schedule),
              scheduleMarginMinutes,
              consumerRef,
            ),
          );
        }
      } catch (error) {
        wait ??= badAnnotation(
          consumerRef,
          SCHEDULE_ANNOTATION,
          error,
          warnings,
        );
      }
      if (!wait) {
        const allowed = earliestAllowed(constraints, now);
        const reason = waitingFor(allowed, now);
        if (reason) {
          wait = {
            consumerRef,
            reason,
            ...(allowed.at ? { until: allowed.at.toISOString() } : {}),
          };
        }
      }
      if (!wait) {
        const notYet = (upstreams.get(consumerRef) ?? []).filter(u => {
          const upstream = byRef.get(u);
          if (!upstream || rejected.has(u)) return false;
          return !(
            upstream.delivery?.status === 'merged' &&
            upstream.health === 'healthy'
          );
        });
        if (notYet.length) {
          wait = {
            consumerRef,
            reason: `waiting for ${someOf(
              notYet,
            )} upstream to be merged and healthy`,
          };
        }
      }
      waits.set(consumerRef, wait);
      return wait;
    };
    return {
      now,
      deliveryWait,
      ...(commonWait
        ? {
            advanceWait: {
              reason: commonWait,
              ...(common.at ? { until: common.at } : {}),
            },
          }
        : {}),
      ...(stepWait ? { stepWait } : {}),
      warnings,
    };
  }
}

/** A consumer's unusable annotation: it holds the consumer, and warns once. */
function badAnnotation(
  consumerRef: string,
  annotation: string,
  error: unknown,
  warnings: TimingWarning[],
): ConsumerWait {
  const message = (error as Error).message;
  warnings.push({
    kind: 'bad-annotation',
    consumerRef,
    annotation,
    error: message,
  });
  return {
    consumerRef,
    reason: `waiting for a usable ${annotation} on ${consumerRef}: ${message}`,
  };
}

/** The timeline's words for a warning, and the key it is recorded once by. */
export function warningEvent(warning: TimingWarning): {
  dedupeKey: string;
  message: string;
  consumerRef?: string;
} {
  switch (warning.kind) {
    case 'upstream-cycle':
      return {
        dedupeKey: `upstream-cycle:${warning.consumers.join(',')}`,
        message: `Consumers read each other's output in a cycle (${warning.consumers.join(
          ', ',
        )}): the wave order breaks it, ${warning.ignored
          .map(([d, u]) => `${d} does not wait for ${u}`)
          .join('; ')}`,
      };
    case 'upstream-order':
      return {
        dedupeKey: `upstream-order:${warning.consumerRef}>${warning.upstreamRef}`,
        consumerRef: warning.consumerRef,
        message: `${warning.consumerRef} reads the output of ${warning.upstreamRef}, which is in a later wave: it does not wait for it`,
      };
    default:
      return {
        dedupeKey:
          `bad-annotation:${warning.consumerRef}:${warning.annotation}:${warning.error}`.slice(
            0,
            255,
          ),
        consumerRef: warning.consumerRef,
        message: `${warning.consumerRef} has an unusable ${warning.annotation}; it is not delivered until it is fixed: ${warning.error}`,
      };
  }
}
