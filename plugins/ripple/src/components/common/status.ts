import type {
  Consumer,
  Impact,
  MigrationState,
  Validation,
  ValidationStatementCounts,
  ValidationSummary,
} from '@ripple/backstage-plugin-ripple-common';
import type { RippleT } from '../../translation';
import { duration } from './Feedback';

/**
 * How a status reads at a glance: `done` (green), `active` (yellow: pending
 * or in progress), `blocked` (red: blocked, rejected, failed or unhealthy),
 * `idle` (grey: nothing happening).
 */
export type Tone = 'done' | 'active' | 'blocked' | 'idle';

export type Status = { tone: Tone; label: string; detail?: string };

/**
 * Where one consumer is, from its patch, the decision on it, its delivery
 * and its health: the worst fact wins, so a merged but unhealthy consumer is
 * red.
 */
export function consumerStatus(consumer: Consumer, t: RippleT): Status {
  const { patch, decision, delivery, health } = consumer;
  if (health === 'unhealthy') {
    return {
      tone: 'blocked',
      label: t('status.consumer.unhealthy'),
      detail: consumer.healthReason,
    };
  }
  if (delivery?.status === 'failed') {
    return {
      tone: 'blocked',
      label: t('status.consumer.deliveryFailed'),
      detail: delivery.message,
    };
  }
  if (!patch) {
    return {
      tone: 'blocked',
      label: t('status.consumer.blocked'),
      detail: t('status.consumer.noCode'),
    };
  }
  if (patch.status === 'error') {
    return {
      tone: 'blocked',
      label: t('status.consumer.blocked'),
      detail: t('status.consumer.unreadable'),
    };
  }
  if (decision?.decision === 'reject' && decision.patchId === patch.id) {
    return {
      tone: 'blocked',
      label: t('status.consumer.rejected'),
      detail: decision.comment,
    };
  }
  if (delivery?.status === 'merged') {
    return {
      tone: 'done',
      label:
        health === 'healthy'
          ? t('status.consumer.mergedHealthy')
          : t('status.consumer.merged'),
    };
  }
  if (patch.status === 'unaffected') {
    return {
      tone: 'done',
      label: t('status.consumer.unaffected'),
      detail: t('status.consumer.nothingToChange'),
    };
  }
  if (delivery?.status === 'reverted') {
    return { tone: 'active', label: t('status.consumer.reverted') };
  }
  if (delivery?.status === 'delivered') {
    const waiting = consumer.waitingForMerge;
    return {
      tone: 'active',
      label: waiting
        ? t('status.consumer.notMerged', {
            waited: duration(waiting.since, t),
          })
        : t('status.consumer.delivered'),
      detail: waiting?.overdue
        ? t('status.consumer.mergeOverdue')
        : t('status.consumer.waitingForMerge'),
    };
  }
  if (patch.stale) {
    return {
      tone: 'active',
      label: t('status.consumer.stale'),
      detail: t('status.consumer.staleDetail'),
    };
  }
  if (decision?.decision === 'approve' && decision.patchId === patch.id) {
    return {
      tone: 'active',
      label: t('status.consumer.approved'),
      detail: t('status.consumer.waitingForWave'),
    };
  }
  if (patch.status === 'needs_edit') {
    return { tone: 'active', label: t('status.consumer.needsEdit') };
  }
  return { tone: 'active', label: t('status.consumer.awaitingDecision') };
}

export function migrationStatus(state: MigrationState, t: RippleT): Status {
  const label = t(`status.migration.${state}`);
  switch (state) {
    case 'completed':
      return { tone: 'done', label };
    case 'paused':
    case 'rolled_back':
      return { tone: 'blocked', label };
    case 'cancelled':
    case 'draft':
      return { tone: 'idle', label };
    default:
      return { tone: 'active', label };
  }
}

const VALIDATION_TONES: Record<Validation['status'], Tone> = {
  passed: 'done',
  failed: 'blocked',
  error: 'blocked',
  pending: 'active',
  running: 'active',
  skipped: 'idle',
};

/** Every status of a validation (and of its statements), as the filter offers them. */
export const validationStatuses = Object.keys(
  VALIDATION_TONES,
) as Validation['status'][];

/** A validation statement's status, in the tone of a validation's. */
export function validationStatementStatus(
  t: RippleT,
  status: Validation['status'],
  reason?: string,
): Status {
  return {
    tone: VALIDATION_TONES[status],
    label: t(`validation.status.${status}`),
    detail: reason,
  };
}

/**
 * A consumer's latest validation (the list's summary or the whole one) as
 * a status: failed and error red, passed done; none at all is "Not
 * validated" (its dataset names no warehouse). Its detail (the tooltip)
 * is the reason when nothing could run, else the warehouse and how many
 * statements had each outcome.
 */
export function validationStatus(
  t: RippleT,
  validation: ValidationSummary | undefined,
): Status {
  if (!validation) return { tone: 'idle', label: t('validation.notValidated') };
  const counts = statementCounts(t, validation.statementCounts);
  const where = t('validation.onWarehouse', {
    warehouse: validation.warehouse,
  });
  return {
    tone: VALIDATION_TONES[validation.status],
    label: t(`validation.status.${validation.status}`),
    detail: validation.reason ?? (counts ? `${where}: ${counts}` : where),
  };
}

// The worst outcome first, as a validation's status is its worst statement's.
const COUNTED: (keyof ValidationStatementCounts)[] = [
  'error',
  'failed',
  'passed',
  'skipped',
];

/**
 * How many statements had each outcome, worst first ("1 failed · 2
 * passed"); undefined when none ran (a validation not finished, or one
 * with nothing to run).
 */
export function statementCounts(
  t: RippleT,
  counts: ValidationStatementCounts,
): string | undefined {
  const parts = COUNTED.filter(status => counts[status] > 0).map(status =>
    t(`validation.counts.${status}`, { count: counts[status] }),
  );
  return parts.length ? parts.join(' · ') : undefined;
}

// A verdict reads in the tone of what it asks of the consumer's owner: a
// breaking consumer must change, a partially breaking one should look.
const VERDICT_TONES = {
  breaking: 'blocked',
  partially_breaking: 'active',
  unaffected: 'done',
} as const satisfies Record<NonNullable<Impact['verdict']>, Tone>;

/**
 * The engine's verdict on a consumer as a status, its first (worst) reason
 * as the detail; none for a consumer stored before verdicts, or whose code
 * the engine failed on.
 */
export function verdictStatus(
  impact: Impact | undefined,
  t: RippleT,
): Status | undefined {
  if (!impact?.verdict) {
    return undefined;
  }
  return {
    tone: VERDICT_TONES[impact.verdict],
    label: t(`verdict.${impact.verdict}`),
    detail: impact.reasons?.[0]?.message,
  };
}
