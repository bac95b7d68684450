import type { Config } from '@backstage/config';
import {
  Delivery,
  TransientDeliveryError,
} from '@ripple/backstage-plugin-ripple-node';
import type {
  RolloutConsumer,
  RolloutEvent,
  RolloutStore,
} from '../database/RolloutStore';

/**
 * Retries of deliveries, syncs and reverts that failed transiently
 * (docs/rollout.md, "Retries"): the consumer stays as it was (`pending`, or
 * delivered), with the time of its next attempt, and the scheduled step
 * leaves it alone until then. Nothing sleeps inside a request or a step.
 */

const DEFAULT_FIRST_DELAY_SECONDS = 60;
const DEFAULT_MAX_DELAY_SECONDS = 60 * 60;
// However far a remote's Retry-After or rate-limit reset says, a consumer
// is tried again within a day (a hostile or broken header cannot park it
// for good).
const MAX_REMOTE_WAIT_MS = 24 * 60 * 60_000;

/**
 * When to try again after a transient failure: the attempts counted on from
 * `previous` (the retry recorded after the last one, if it is still
 * running), the next one after an exponential backoff
 * (`ripple.rollout.retry.firstDelaySeconds`, doubled each time up to
 * `maxDelaySeconds`) or at the time the remote asked for, whichever is
 * later.
 */
export function nextRetry(input: {
  previous: Delivery['retry'];
  error: TransientDeliveryError;
  config: Config;
  now?: number;
}): NonNullable<Delivery['retry']> {
  const now = input.now ?? Date.now();
  const first =
    (input.config.getOptionalNumber('ripple.rollout.retry.firstDelaySeconds') ??
      DEFAULT_FIRST_DELAY_SECONDS) * 1000;
  const max =
    (input.config.getOptionalNumber('ripple.rollout.retry.maxDelaySeconds') ??
      DEFAULT_MAX_DELAY_SECONDS) * 1000;
  const attempts = (input.previous?.attempts ?? 0) + 1;
  const backoff = Math.min(first * 2 ** Math.min(attempts - 1, 30), max);
  const asked = input.error.retryAfter?.getTime() ?? 0;
  const next = Math.max(
    now + backoff,
    Math.min(asked, now + MAX_REMOTE_WAIT_MS),
  );
  return { attempts, nextAttemptAt: new Date(next).toISOString() };
}

/**
 * The delivery to record after a transient failure of a delivery: still
 * `pending`, with its next attempt ({@link nextRetry}); a delivery that was
 * not `pending` before starts counting again.
 */
export function retryLater(input: {
  previous: Delivery | undefined;
  method: string;
  error: TransientDeliveryError;
  config: Config;
  now?: number;
}): Delivery {
  const retry = nextRetry({
    ...input,
    previous:
      input.previous?.status === 'pending' ? input.previous.retry : undefined,
  });
  return {
    method: input.method,
    status: 'pending',
    message: `${input.error.message} (attempt ${retry.attempts}; trying again at ${retry.nextAttemptAt})`,
    retry,
  };
}

/**
 * Whether a consumer's next attempt is due: no retry waits on its delivery
 * in the status it is in (a pending delivery, or the sync or revert of a
 * delivered one). A retry recorded in an earlier status (a delivery since
 * reset by a resume) no longer counts.
 */
export function dueForDelivery(
  consumer: RolloutConsumer,
  now: number = Date.now(),
): boolean {
  const state = consumer.delivery?.state;
  const retry = state?.status === consumer.delivery?.status && state?.retry;
  return !retry || Date.parse(retry.nextAttemptAt) <= now;
}

/** The timeline event of a transient failure. */
export function retryEvent(
  consumerRef: string,
  delivery: Delivery,
): RolloutEvent {
  return {
    type: 'delivery-updated',
    consumerRef,
    message: `Delivery of ${consumerRef} failed transiently, retried later: ${delivery.message}`,
    data: { method: delivery.method, status: 'pending', retry: delivery.retry },
  };
}

/**
 * Records what a delivery method's thrown error means for a consumer under
 * the rollout's claim (the claim is released): a transient one leaves it
 * `pending` until its next attempt; any other makes the delivery `failed`
 * with the error's message.
 */
export async function recordDeliveryError(input: {
  rollouts: Pick<RolloutStore, 'recordDelivery'>;
  config: Config;
  migrationId: string;
  consumer: RolloutConsumer;
  method: string;
  error: unknown;
  /** The patch the failed attempt delivered, recorded on a permanent failure. */
  patchId?: number;
}): Promise<void> {
  const { error, consumer } = input;
  if (TransientDeliveryError.is(error)) {
    const delivery = retryLater({
      previous: consumer.delivery?.state,
      method: input.method,
      error,
      config: input.config,
    });
    await input.rollouts.recordDelivery({
      migrationId: input.migrationId,
      consumerRef: consumer.consumerRef,
      delivery,
      event: retryEvent(consumer.consumerRef, delivery),
    });
    return;
  }
  const message = String((error as Error)?.message ?? error);
  await input.rollouts.recordDelivery({
    migrationId: input.migrationId,
    consumerRef: consumer.consumerRef,
    delivery: { method: input.method, status: 'failed', message },
    patchId: input.patchId,
    event: {
      type: 'delivery-failed',
      consumerRef: consumer.consumerRef,
      message: `Delivery to ${consumer.consumerRef} failed: ${message}`,
      data: { method: input.method, status: 'failed', message },
    },
  });
}
