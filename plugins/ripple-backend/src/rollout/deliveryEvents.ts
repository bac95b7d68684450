import { isDeepStrictEqual } from 'node:util';
import type { Delivery } from '@ripple/backstage-plugin-ripple-node';
import type { RolloutEvent } from '../database/RolloutStore';

// The timeline events of deliveries, syncs and reverts, and how a delivery
// is compared with the one stored.

export function deliveryFailed(
  consumerRef: string,
  message: string,
  method?: string,
): RolloutEvent {
  return {
    type: 'delivery-failed',
    consumerRef,
    message: `Delivery to ${consumerRef} failed: ${message}`,
    data: { ...(method ? { method } : {}), status: 'failed', message },
  };
}

export function deliveryData(delivery: Delivery): Record<string, unknown> {
  return {
    method: delivery.method,
    status: delivery.status,
    ...(delivery.url ? { url: delivery.url } : {}),
    ...(delivery.branch ? { branch: delivery.branch } : {}),
    ...(delivery.commit ? { commit: delivery.commit } : {}),
  };
}

/** The event of what a method's `deliver` returned. */
export function deliveredEvent(
  consumerRef: string,
  method: string,
  delivery: Delivery,
  patchVersion: number,
): RolloutEvent {
  if (delivery.status === 'failed') {
    return deliveryFailed(consumerRef, delivery.message ?? 'failed', method);
  }
  return {
    type: 'patch-delivered',
    consumerRef,
    message: `Patch version ${patchVersion} of ${consumerRef} delivered (${method}${
      delivery.url ? `: ${delivery.url}` : ''
    })`,
    data: deliveryData(delivery),
  };
}

/** The event of a sync that changed what people see (status, checks, link); none otherwise. */
export function syncedEvent(
  consumerRef: string,
  before: Delivery,
  synced: Delivery,
): RolloutEvent | undefined {
  const changed =
    synced.status !== before.status ||
    synced.checks !== before.checks ||
    synced.url !== before.url;
  if (!changed) return undefined;
  return {
    type: 'delivery-updated',
    consumerRef,
    message: `Delivery of ${consumerRef} is ${synced.status}${
      synced.checks ? ` (checks ${synced.checks})` : ''
    }${synced.message ? `: ${synced.message}` : ''}`,
    data: deliveryData(synced),
  };
}

/** The event of what a method's `revert` returned. */
export function revertedEvent(
  consumerRef: string,
  method: string,
  reverted: Delivery,
): RolloutEvent {
  return reverted.status === 'reverted'
    ? {
        type: 'patch-reverted',
        consumerRef,
        message: `Patch of ${consumerRef} reverted (${method}${
          reverted.url ? `: ${reverted.url}` : ''
        })`,
        data: deliveryData(reverted),
      }
    : deliveryFailed(
        consumerRef,
        `could not revert: ${reverted.message ?? reverted.status}`,
        method,
      );
}

/**
 * Whether two deliveries say the same, as stored: the store keeps them as
 * JSON, where a field set to undefined is absent.
 */
export function sameDelivery(a: Delivery, b: Delivery): boolean {
  return isDeepStrictEqual(withoutUndefined(a), withoutUndefined(b));
}

/** A delivery's plain data as JSON keeps it: object fields set to undefined left out. */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(item =>
      item === undefined ? null : withoutUndefined(item),
    );
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, field]) => field !== undefined)
        .map(([key, field]) => [key, withoutUndefined(field)]),
    );
  }
  return value;
}
