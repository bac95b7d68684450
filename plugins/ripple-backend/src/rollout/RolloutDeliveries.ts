import { ConflictError } from '@backstage/errors';
import type { Migration, Patch } from '@ripple/backstage-plugin-ripple-common';
import {
  Delivery,
  DeliveryRequest,
  RippleDeliveryMethod,
  TransientDeliveryError,
} from '@ripple/backstage-plugin-ripple-node';
import type { RolloutConsumer } from '../database/RolloutStore';
import { isInPlace } from './advanceGate';
import { approvedPatch } from './approvedPatch';
import { withClaim } from './claims';
import {
  deliveredEvent,
  deliveryFailed,
  revertedEvent,
  sameDelivery,
  syncedEvent,
} from './deliveryEvents';
import { DELIVERY_ANNOTATION } from './plan';
import { dueForDelivery, nextRetry, recordDeliveryError } from './retry';
import type { RolloutContext } from './RolloutContext';
import { ownersOf } from './RolloutHealth';

/** What a delivery attempt came to, its method's errors caught. */
type Attempt =
  | { delivery: Delivery }
  | { notReady: string }
  | { error: unknown; delivering: boolean };

/**
 * The deliveries of a rollout (docs/rollout.md, "Delivery"): delivering an
 * approved patch, reading deliveries back, and reverting them, each under
 * a claim on its consumer ({@link withClaim}) so that two runners never
 * work on one consumer at once. A transient failure of any of them
 * (`TransientDeliveryError`) is tried again after a backoff (retry.ts).
 */
export class RolloutDeliveries {
  private readonly methods = new Map<string, RippleDeliveryMethod>();
  /** When this replica last read back each delivery (migration, consumer). */
  private readonly lastSynced = new Map<string, number>();

  constructor(private readonly context: RolloutContext) {
    for (const method of context.options.deliveryMethods) {
      this.methods.set(method.id, method);
    }
  }

  /**
   * Records a delivered consumer's patch as merged, on a person's word: a
   * method that cannot see merges (a download applied by hand), or a merge
   * it cannot recognise (a squash into another commit). 409 unless the
   * delivery is `delivered`; idempotent on a merged one.
   */
  async markMerged(
    migrationId: string,
    consumerRef: string,
    actor: string,
  ): Promise<void> {
    const done = await withClaim(
      this.context.rollouts,
      { migrationId, consumerRef },
      async () => {
        const [consumer] = await this.context.rollouts.listConsumers(
          migrationId,
          [consumerRef],
        );
        const status = consumer?.delivery?.status;
        if (status === 'merged') return;
        if (status !== 'delivered' || !consumer.delivery?.state) {
          throw new ConflictError(
            `The patch of ${consumerRef} is ${
              status ?? 'not delivered'
            }: only a delivered patch can be marked merged`,
          );
        }
        const { state } = consumer.delivery;
        await this.context.rollouts.recordDelivery({
          migrationId,
          consumerRef,
          delivery: {
            ...state,
            status: 'merged',
            message: `Marked merged by ${actor}`,
          },
          event: {
            type: 'delivery-updated',
            consumerRef,
            message: `${consumerRef}: its patch was marked merged by ${actor}`,
            data: { method: state.method, status: 'merged' },
          },
        });
      },
      { waitMs: 30_000 },
    );
    if (!done) {
      throw new ConflictError(
        `${consumerRef} is being delivered or synced: try again in a moment`,
      );
    }
  }

  /** Delivers exactly the approved patch version to a pending consumer. */
  async deliver(
    migration: Migration,
    consumerRef: string,
    approvedPatchId: number,
  ): Promise<void> {
    await withClaim(
      this.context.rollouts,
      { migrationId: migration.id, consumerRef },
      () => this.deliverClaimed(migration, consumerRef, approvedPatchId),
    );
  }

  private async deliverClaimed(
    migration: Migration,
    consumerRef: string,
    approvedPatchId: number,
  ): Promise<void> {
    const { rollouts } = this.context;
    const migrationId = migration.id;
    const [consumer] = await rollouts.listConsumers(migrationId, [consumerRef]);
    if (consumer?.delivery?.status !== 'pending' || consumer.held) return;
    // Read again under the claim: a refresh may have made a new version
    // since the approval was read. Only the approved one is delivered.
    const patch = await approvedPatch(
      this.context.store,
      rollouts,
      migrationId,
      consumerRef,
      approvedPatchId,
    );
    if (!patch) return;
    const request = await this.deliveryRequest(migration, consumerRef, patch);
    const method = this.methodFor(request.consumer);
    if (typeof method === 'string') {
      await rollouts.recordDelivery({
        migrationId,
        consumerRef,
        delivery: { method: 'none', status: 'failed', message: method },
        event: deliveryFailed(consumerRef, method),
      });
      return;
    }
    const attempt = await attemptDelivery(method, request);
    if ('error' in attempt) {
      // Transient errors are retried later (retry.ts).
      await recordDeliveryError({
        ...this.context.options,
        migrationId,
        consumer,
        method: method.id,
        error: attempt.error,
        // A failed `deliver` (not its readiness check) is about this patch.
        patchId: attempt.delivering ? patch.id : undefined,
      });
    } else if ('notReady' in attempt) {
      const message = `not ready to merge: ${attempt.notReady}`;
      await rollouts.recordDelivery({
        migrationId,
        consumerRef,
        delivery: { method: method.id, status: 'failed', message },
        event: deliveryFailed(consumerRef, message, method.id),
      });
    } else {
      await rollouts.recordDelivery({
        migrationId,
        consumerRef,
        delivery: attempt.delivery,
        patchId: patch.id,
        event: deliveredEvent(
          consumerRef,
          method.id,
          attempt.delivery,
          patch.version,
        ),
      });
    }
  }

  /** Reads back the status of delivered patches (merged, closed, checks). */
  async syncDeliveries(migrationId: string): Promise<void> {
    const consumers = await this.context.rollouts.listConsumers(migrationId);
    const migration = (await this.context.store.getMigration(migrationId))!;
    // Each delivery is read back at most every syncMinutes (default 5):
    // thousands of open pull requests must not each cost an API call on
    // every run of the task.
    const syncMs =
      (this.context.config.getOptionalNumber('ripple.rollout.syncMinutes') ??
        5) * 60_000;
    const now = Date.now();
    for (const listed of consumers) {
      const key = `${migrationId}\u0000${listed.consumerRef}`;
      if (listed.delivery?.status !== 'delivered') {
        this.lastSynced.delete(key);
        continue;
      }
      // An unchanged delivery is not written (its updatedAt stays when it
      // was last changed), so when it was last read back is kept here: per
      // replica, and lost on a restart, which costs one early read.
      const last = Math.max(
        listed.updatedAt.getTime(),
        this.lastSynced.get(key) ?? 0,
      );
      // After a transient failure, not before its next attempt either.
      if (now - last < syncMs || !dueForDelivery(listed, now)) continue;
      await withClaim(
        this.context.rollouts,
        { migrationId, consumerRef: listed.consumerRef },
        () => this.syncClaimed(migration, listed.consumerRef, key),
      );
    }
  }

  private async syncClaimed(
    migration: Migration,
    consumerRef: string,
    key: string,
  ): Promise<void> {
    const { rollouts } = this.context;
    // Read again under the claim: a revert may have finished meanwhile.
    const [consumer] = await rollouts.listConsumers(migration.id, [
      consumerRef,
    ]);
    const delivery = consumer.delivery;
    const method = delivery && this.methods.get(delivery.method);
    const patch = await this.patchOf(migration.id, consumer);
    if (
      delivery?.status !== 'delivered' ||
      !delivery.state ||
      !method ||
      !patch
    ) {
      return;
    }
    let synced: Delivery;
    try {
      const request = await this.deliveryRequest(migration, consumerRef, patch);
      synced = await method.sync(request, methodState(delivery.state));
      this.lastSynced.set(key, Date.now());
    } catch (error) {
      if (!(await this.retryLater(migration.id, consumer, 'sync', error))) {
        this.context.logger.warn(
          `Could not sync the delivery of ${consumerRef}: ${error}`,
        );
      }
      return;
    }
    // A sync that finds nothing new writes nothing but the release of its
    // claim: the consumer, its updatedAt and the timeline stay as they were.
    if (sameDelivery(synced, delivery.state)) return;
    await rollouts.recordDelivery({
      migrationId: migration.id,
      consumerRef,
      delivery: synced,
      event: syncedEvent(consumerRef, delivery, synced),
    });
  }

  /**
   * Reverts the deliveries of the named consumers, of the held ones
   * (`held`), or of all (undefined). Reverted ones are left alone, and so
   * are those whose last revert failed transiently until its next attempt.
   * With `wait` (an action), waits a little for a sync or delivery in
   * flight on a consumer; the scheduled step leaves it for its next run.
   */
  async revertAll(
    migrationId: string,
    which?: string[] | 'held',
    options: { wait?: boolean } = {},
  ): Promise<void> {
    const consumers = await this.context.rollouts.listConsumers(
      migrationId,
      Array.isArray(which) ? which : undefined,
    );
    const migration = (await this.context.store.getMigration(migrationId))!;
    const failures: string[] = [];
    for (const listed of consumers) {
      if (which === 'held' && !listed.held) continue;
      if (!isInPlace(listed) || !dueForDelivery(listed)) continue;
      const failure = await withClaim(
        this.context.rollouts,
        { migrationId, consumerRef: listed.consumerRef },
        () => this.revertClaimed(migration, listed.consumerRef),
        { waitMs: options.wait ? 30_000 : 0 },
      );
      if (failure?.value) failures.push(failure.value);
    }
    if (failures.length) {
      this.context.logger.warn(
        `Reverts of migration ${migrationId} will be retried: ${failures.join(
          '; ',
        )}`,
      );
    }
  }

  /** Reverts one consumer's delivery; why it could not, to be retried. */
  private async revertClaimed(
    migration: Migration,
    consumerRef: string,
  ): Promise<string | undefined> {
    // Read again under the claim: a sync may have changed it meanwhile.
    const [consumer] = await this.context.rollouts.listConsumers(migration.id, [
      consumerRef,
    ]);
    if (!isInPlace(consumer)) return undefined;
    const delivery = consumer.delivery!;
    try {
      const method = this.methods.get(delivery.method);
      const patch = await this.patchOf(migration.id, consumer);
      if (!method || !patch || !delivery.state) {
        throw new Error(
          `the delivery method ${delivery.method} is not installed`,
        );
      }
      const request = await this.deliveryRequest(migration, consumerRef, patch);
      const reverted = await method.revert(
        request,
        methodState(delivery.state),
      );
      await this.context.rollouts.recordDelivery({
        migrationId: migration.id,
        consumerRef,
        delivery: reverted,
        event: revertedEvent(consumerRef, delivery.method, reverted),
      });
      return undefined;
    } catch (error) {
      if (await this.retryLater(migration.id, consumer, 'revert', error)) {
        return undefined;
      }
      return `${consumerRef}: ${(error as Error).message}`;
    }
  }

  /**
   * After a transient failure of a sync or a revert: records when to try
   * again on the consumer's delivery (its status unchanged) and says so
   * (true). Any other error is left to the caller (false).
   */
  private async retryLater(
    migrationId: string,
    consumer: RolloutConsumer,
    what: 'sync' | 'revert',
    error: unknown,
  ): Promise<boolean> {
    if (!TransientDeliveryError.is(error)) return false;
    const { consumerRef } = consumer;
    const delivery = consumer.delivery!;
    const retry = nextRetry({
      previous: delivery.state?.retry,
      error,
      config: this.context.config,
    });
    const message = `The ${what} of the delivery of ${consumerRef} failed transiently, retried later: ${error.message} (attempt ${retry.attempts}; trying again at ${retry.nextAttemptAt})`;
    await this.context.rollouts.recordRetry({
      migrationId,
      consumerRef,
      retry,
      // A revert waited for is on the timeline; a sync changes nothing
      // people see.
      event:
        what === 'revert'
          ? {
              type: 'delivery-updated',
              consumerRef,
              message,
              data: { method: delivery.method, status: delivery.status, retry },
            }
          : undefined,
    });
    this.context.logger.warn(message);
    return true;
  }

  /** The method the consumer's annotation or the config names, or why there is none. */
  private methodFor(
    consumer: DeliveryRequest['consumer'],
  ): RippleDeliveryMethod | string {
    const id =
      consumer.entity.metadata.annotations?.[DELIVERY_ANNOTATION] ??
      this.context.config.getOptionalString('ripple.rollout.delivery.method') ??
      'download';
    const method = this.methods.get(id);
    if (!method) {
      return `no delivery method "${id}" is installed (installed: ${
        [...this.methods.keys()].join(', ') || 'none'
      })`;
    }
    if (!method.supports(consumer)) {
      return `the delivery method "${id}" cannot deliver to ${consumer.ref} (see its annotations)`;
    }
    return method;
  }

  private async deliveryRequest(
    migration: Migration,
    consumerRef: string,
    patch: Patch,
  ): Promise<DeliveryRequest> {
    const entity = await this.context.entity(consumerRef);
    if (!entity) {
      throw new Error(`${consumerRef} is no longer in the catalog`);
    }
    return {
      migration: {
        id: migration.id,
        title: migration.title,
        datasetRef: migration.datasetRef,
        url: this.context.migrationUrl(migration.id),
      },
      consumer: { ref: consumerRef, entity, owners: ownersOf(entity) },
      patch: {
        id: patch.id,
        diff: patch.diff,
        baseHash: patch.baseHash,
      },
    };
  }

  /** The patch a consumer was delivered: reverts and syncs are about it, even after a newer version. */
  private async patchOf(
    migrationId: string,
    consumer: RolloutConsumer,
  ): Promise<Patch | undefined> {
    const patchId = consumer.delivery?.patchId;
    return patchId !== undefined
      ? this.context.rollouts.getPatch(
          migrationId,
          consumer.consumerRef,
          patchId,
        )
      : this.context.store.getCurrentPatch(migrationId, consumer.consumerRef);
  }
}

/**
 * The readiness check, then the delivery; a thrown error is caught, with
 * whether it came from `deliver` itself.
 */
async function attemptDelivery(
  method: RippleDeliveryMethod,
  request: DeliveryRequest,
): Promise<Attempt> {
  let delivering = false;
  try {
    const readiness = await method.checkReady(request, {
      method: method.id,
      status: 'pending',
    });
    if (!readiness.ready) {
      return { notReady: readiness.reason ?? 'the method says so' };
    }
    delivering = true;
    return { delivery: await method.deliver(request) };
  } catch (error) {
    return { error, delivering };
  }
}

/** A stored delivery as its method gave it: without the rollout's retry. */
function methodState(state: Delivery): Delivery {
  const { retry: _retry, ...delivery } = state;
  return delivery;
}
