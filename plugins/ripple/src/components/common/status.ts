import type {
  Consumer,
  MigrationState,
} from '@ripple/backstage-plugin-ripple-common';

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
export function consumerStatus(consumer: Consumer): Status {
  const { patch, decision, delivery, health } = consumer;
  if (health === 'unhealthy') {
    return { tone: 'blocked', label: 'Unhealthy', detail: consumer.healthReason };
  }
  if (delivery?.status === 'failed') {
    return { tone: 'blocked', label: 'Delivery failed', detail: delivery.message };
  }
  if (!patch) {
    return {
      tone: 'blocked',
      label: 'Blocked',
      detail: 'No code to patch: the entity names no code location',
    };
  }
  if (patch.status === 'error') {
    return { tone: 'blocked', label: 'Blocked', detail: 'The engine could not read its code' };
  }
  if (decision?.decision === 'reject' && decision.patchId === patch.id) {
    return { tone: 'blocked', label: 'Rejected', detail: decision.comment };
  }
  if (delivery?.status === 'merged') {
    return {
      tone: 'done',
      label: health === 'healthy' ? 'Merged, healthy' : 'Merged',
    };
  }
  if (patch.status === 'unaffected') {
    return { tone: 'done', label: 'Unaffected', detail: 'Nothing to change' };
  }
  if (delivery?.status === 'reverted') {
    return { tone: 'active', label: 'Reverted' };
  }
  if (delivery?.status === 'delivered') {
    return { tone: 'active', label: 'Delivered', detail: 'Waiting for the merge' };
  }
  if (patch.stale) {
    return { tone: 'active', label: 'Stale', detail: 'The code changed; a new patch is coming' };
  }
  if (decision?.decision === 'approve' && decision.patchId === patch.id) {
    return { tone: 'active', label: 'Approved', detail: 'Waiting for its wave' };
  }
  if (patch.status === 'needs_review') {
    return { tone: 'active', label: 'Needs a person' };
  }
  return { tone: 'active', label: 'Awaiting review' };
}

/** The filter choices of a consumer list, by tone. */
export const TONE_LABELS: Record<Tone, string> = {
  done: 'Done',
  active: 'In progress',
  blocked: 'Blocked',
  idle: 'Not started',
};

const STATE_LABELS: Record<MigrationState, string> = {
  draft: 'Draft',
  analyzing: 'Analyzing',
  proposed: 'Proposed',
  rolling_out: 'Rolling out',
  paused: 'Paused',
  completed: 'Completed',
  rolled_back: 'Rolled back',
  cancelled: 'Cancelled',
};

export function migrationStatus(state: MigrationState): Status {
  const label = STATE_LABELS[state];
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
