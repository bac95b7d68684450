import type {
  AuditorService,
  AuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { isDeepStrictEqual } from 'node:util';
import { Entity } from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type {
  Consumer,
  HealthVerdict,
  Migration,
  Patch,
  Rollout,
  RolloutPlanRequest,
  RolloutState,
  WaveState,
} from '@ripple/backstage-plugin-ripple-common';
import type {
  Delivery,
  DeliveryRequest,
  RippleDeliveryMethod,
  RippleHealthProvider,
} from '@ripple/backstage-plugin-ripple-node';
import type { MigrationStore } from '../database/MigrationStore';
import {
  AutoApproval,
  RolloutConsumer,
  RolloutEvent,
  RolloutRecord,
  RolloutStore,
} from '../database/RolloutStore';
import { dueForDelivery, recordDeliveryError } from './retry';
import { ownersOf, RolloutHealth } from './RolloutHealth';
import type { CompatViewGate } from './CompatViews';
import { approvedPatch } from './approvedPatch';
import {
  assignWaves,
  DELIVERY_ANNOTATION,
  isCriticalDataset,
  orderConsumers,
  resolvePlan,
} from './plan';

/** Sends a notification to entities (Backstage's notifications service, when installed). */
export type RolloutNotifier = (notification: {
  recipients: string[];
  title: string;
  description: string;
  link: string;
  scope: string;
}) => Promise<void>;

export type RolloutServiceOptions = {
  store: MigrationStore;
  rollouts: RolloutStore;
  catalog: CatalogService;
  auth: AuthService;
  config: Config;
  logger: LoggerService;
  deliveryMethods: RippleDeliveryMethod[];
  healthProviders: RippleHealthProvider[];
  notify?: RolloutNotifier;
  /** Audits the auto-approvals as a person's reviews are ('patch-review'). */
  auditor?: AuditorService;
  /** Asks for a run of the rollout task now (after an action). */
  trigger?: () => Promise<void>;
};

/** Patch statuses with an edit to deliver. */
const DELIVERABLE = new Set(['rewritten', 'needs_edit']);

/**
 * The rollout of migrations (docs/rollout.md): the actions people take
 * (start, advance, pause, resume, roll back), the health signals, and
 * `runOnce`, the scheduled step that delivers, follows deliveries, reads
 * health providers and advances. Every decision is re-read from the
 * database, so any replica can run any step after a restart.
 */
export class RolloutService {
  private readonly methods = new Map<string, RippleDeliveryMethod>();
  /** When this replica last read back each delivery (migration, consumer). */
  private readonly lastSynced = new Map<string, number>();

  private readonly health: RolloutHealth;

  constructor(private readonly options: RolloutServiceOptions) {
    for (const method of options.deliveryMethods) {
      this.methods.set(method.id, method);
    }
    this.health = new RolloutHealth({
      ...options,
      entity: ref => this.entity(ref),
      migrationUrl: id => this.migrationUrl(id),
    });
  }

  /** The migration's rollout; before it starts, the plan and waves it would start with. */
  async getRollout(migration: Migration): Promise<Rollout> {
    const record = await this.options.rollouts.getRollout(migration.id);
    if (!record) {
      const { plan, critical, waves } = await this.plan(migration, undefined);
      return {
        state: 'not_started',
        plan,
        critical,
        waves: waves.map((wave, index) => ({
          index,
          name: wave.name,
          consumers: wave.consumers,
          state: 'pending',
        })),
      };
    }
    const consumers = await this.options.rollouts.listConsumers(migration.id);
    return this.toRollout(record, consumers);
  }

  async start(
    migration: Migration,
    request: RolloutPlanRequest | undefined,
    actor: string,
    options: {
      /**
       * The compatibility view's gate ({@link CompatViews.gate}), run once
       * the start's own checks passed: it refuses (409) or says what to
       * record with the start, in its transaction.
       */
      compatView?: () => Promise<CompatViewGate>;
    } = {},
  ): Promise<Rollout> {
    if (await this.options.rollouts.getRollout(migration.id)) {
      // Idempotent: a second start returns the rollout as it is.
      return this.getRollout(migration);
    }
    if (migration.state !== 'proposed') {
      throw new ConflictError(
        `Migration ${migration.id} is ${migration.state}; a rollout starts from proposed`,
      );
    }
    const { plan, critical, waves } = await this.plan(migration, request);
    if (waves.length === 0) {
      throw new ConflictError(
        `Migration ${migration.id} has no consumer with a patch to deliver`,
      );
    }
    const autoApproval = plan.autoApprove
      ? autoApprovalPolicy(request, actor)
      : undefined;
    const compatView = await options.compatView?.();
    await this.settled(
      migration.id,
      () =>
        this.options.rollouts.start({
          migrationId: migration.id,
          from: migration.state,
          plan,
          critical,
          waves,
          autoApproval,
          actor,
          compatView: compatView?.record,
        }),
      started => started !== undefined,
    );
    await this.recordAutoApprovals(migration.id, autoApproval);
    await this.trigger();
    return this.getRolloutById(migration.id);
  }

  /** Advances from `wave` (the active one by default); idempotent on `wave`. */
  async advance(
    migrationId: string,
    wave: number | undefined,
    actor: string,
  ): Promise<Rollout> {
    const record = await this.requireRollout(migrationId);
    if (record.state !== 'rolling_out') {
      throw new ConflictError(
        `Migration ${migrationId} is ${record.state}; only a rollout that is rolling out advances`,
      );
    }
    const from = wave ?? record.currentWave;
    if (from > record.waves.length - 1) {
      throw new InputError(
        `wave: the rollout has waves 0 to ${record.waves.length - 1}`,
      );
    }
    await this.settled(
      migrationId,
      () =>
        this.options.rollouts.advance({
          migrationId,
          fromWave: from,
          actor,
          message: `advanced by ${actor}`,
        }),
      now => now?.currentWave !== from || now.state === 'completed',
    );
    await this.trigger();
    return this.getRolloutById(migrationId);
  }

  async pause(
    migrationId: string,
    reason: string | undefined,
    actor: string,
  ): Promise<Rollout> {
    const record = await this.requireRollout(migrationId);
    if (record.state !== 'paused') {
      await this.settled(
        migrationId,
        () =>
          this.options.rollouts.pause({
            migrationId,
            reason: reason ?? `paused by ${actor}`,
            actor,
          }),
        now => now?.state === 'paused',
      );
    }
    return this.getRolloutById(migrationId);
  }

  /** Resumes the rollout, or with `consumerRef` releases that consumer for a new delivery. */
  async resume(
    migrationId: string,
    consumerRef: string | undefined,
    actor: string,
  ): Promise<Rollout> {
    const record = await this.requireRollout(migrationId);
    if (consumerRef) {
      await this.options.rollouts.setHeld({
        migrationId,
        consumerRef,
        held: false,
        actor,
        event: {
          type: 'delivery-updated',
          consumerRef,
          message: `${consumerRef} released for delivery again by ${actor}`,
          data: { status: 'pending' },
        },
      });
    } else if (record.state !== 'rolling_out') {
      await this.settled(
        migrationId,
        () => this.options.rollouts.resume({ migrationId, actor }),
        now => now?.state === 'rolling_out',
      );
    }
    await this.trigger();
    return this.getRolloutById(migrationId);
  }

  /**
   * Rolls back one consumer (held, its delivery reverted) or the whole
   * rollout (the migration `rolled_back`, every delivery reverted). The
   * reverts run now; any left unfinished (a crash, a method failing) are
   * retried by the scheduled step.
   */
  async rollback(
    migrationId: string,
    consumerRef: string | undefined,
    reason: string | undefined,
    actor: string,
  ): Promise<Rollout> {
    const record = await this.requireRollout(migrationId);
    if (consumerRef) {
      const [consumer] = await this.options.rollouts.listConsumers(
        migrationId,
        [consumerRef],
      );
      if (!consumer) {
        throw new NotFoundError(
          `${consumerRef} is not in the rollout of migration ${migrationId} (it has no patch to deliver)`,
        );
      }
      if (!consumer.held) {
        await this.options.rollouts.setHeld({
          migrationId,
          consumerRef,
          held: true,
          actor,
          event: {
            type: 'delivery-updated',
            consumerRef,
            message: `${consumerRef} rolled back by ${actor}${
              reason ? `: ${reason}` : ''
            }`,
            data: { held: true },
          },
        });
      }
      await this.revertAll(migrationId, [consumer.consumerRef], { wait: true });
    } else {
      if (record.state !== 'rolled_back') {
        await this.settled(
          migrationId,
          () => this.options.rollouts.rollBack({ migrationId, actor, reason }),
          now => now?.state === 'rolled_back',
        );
      }
      await this.revertAll(migrationId, undefined, { wait: true });
    }
    return this.getRolloutById(migrationId);
  }

  /**
   * Records a health signal of a consumer, and judges it when the
   * consumer's patch is in place ({@link RolloutHealth.recordSignal}).
   */
  async recordSignal(
    input: Parameters<RolloutHealth['recordSignal']>[0],
  ): Promise<HealthVerdict> {
    return this.health.recordSignal(input);
  }

  /** One scheduled step over every active rollout. */
  async runOnce(): Promise<void> {
    for (const migrationId of await this.options.rollouts.listActiveRollouts()) {
      try {
        await this.step(migrationId);
      } catch (error) {
        this.options.logger.warn(
          `Rollout step of migration ${migrationId} failed: ${error}`,
        );
      }
    }
  }

  /**
   * What the scheduler does for one rollout: finish reverts; follow the
   * deliveries; read the health providers; deliver the approved patches of
   * the started waves; advance when the active wave has soaked healthy.
   */
  async step(migrationId: string): Promise<void> {
    let record = await this.requireRollout(migrationId);
    await this.revertAll(
      migrationId,
      record.state === 'rolled_back' ? undefined : 'held',
    );
    if (record.state === 'rolled_back') return;
    // New patch versions (and consumers found late) of an auto-approving
    // rollout get their approval before anything reads decisions.
    await this.recordAutoApprovals(migrationId, record.autoApproval);
    await this.joinApproved(migrationId);
    await this.syncDeliveries(migrationId);
    await this.health.readProviders(record);
    record = await this.requireRollout(migrationId);
    if (record.state !== 'rolling_out') return;
    await this.deliverPending(record);
    await this.autoAdvance(await this.requireRollout(migrationId));
  }

  private async deliverPending(record: RolloutRecord) {
    const consumers = await this.options.rollouts.listConsumers(
      record.migrationId,
    );
    const migration = (await this.options.store.getMigration(
      record.migrationId,
    ))!;
    for (const consumer of consumers) {
      if (
        consumer.held ||
        consumer.wave > record.currentWave ||
        consumer.delivery?.status !== 'pending' ||
        !dueForDelivery(consumer)
      ) {
        continue;
      }
      const current = await this.options.store.getConsumer(
        record.migrationId,
        consumer.consumerRef,
      );
      if (!current || !this.approved(current)) continue;
      // Between two consumers the rollout may have been paused or rolled back.
      const now = await this.options.rollouts.getRollout(record.migrationId);
      if (now?.state !== 'rolling_out') return;
      // Exactly the patch version this approval is about is delivered.
      await this.deliver(migration, consumer.consumerRef, current.patch!.id);
    }
  }

  /**
   * Whether the consumer's current patch may be delivered: its latest review
   * approves it (a person's, or the auto-approval policy's, recorded by
   * {@link RolloutService.recordAutoApprovals}).
   */
  private approved(consumer: Consumer): boolean {
    const patch = consumer.patch;
    if (!patch || patch.stale || !DELIVERABLE.has(patch.status)) return false;
    return consumer.decision?.decision === 'approve';
  }

  /** Consumers found after the start join the rollout once approved. */
  private async joinApproved(migrationId: string): Promise<void> {
    try {
      const joined = await this.options.rollouts.joinApproved(migrationId);
      for (const { consumerRef, wave } of joined) {
        this.options.logger.info(
          `${consumerRef} joined wave ${wave} of the rollout of migration ${migrationId}`,
        );
      }
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // An advance or another replica moved the rollout meanwhile: the
      // next step joins them to the waves as they are then.
    }
  }

  /**
   * Records the auto-approval policy's approval of every `rewritten`,
   * unreviewed current patch of the migration, each audited as a person's
   * review is (`patch-review`, its reviewer the policy).
   */
  private async recordAutoApprovals(
    migrationId: string,
    autoApproval: AutoApproval | undefined,
  ): Promise<void> {
    if (!autoApproval) return;
    const { auditor } = this.options;
    for (;;) {
      let approved;
      try {
        approved = await this.options.rollouts.recordAutoApprovals({
          migrationId,
          autoApproval,
        });
      } catch (error) {
        const event = await auditor?.createEvent({
          eventId: 'patch-review',
          severityLevel: 'medium',
          meta: {
            migrationId,
            decision: 'approve',
            reviewer: autoApproval.reviewer,
          },
        });
        await event?.fail({ error: error as Error });
        // A person's review or another replica won a race: the next step
        // approves what is left.
        this.options.logger.info(
          `Auto-approvals of migration ${migrationId} left for the next step: ${error}`,
        );
        return;
      }
      for (const { consumerRef, patchId, reviewId } of approved) {
        const event = await auditor?.createEvent({
          eventId: 'patch-review',
          severityLevel: 'medium',
          meta: {
            migrationId,
            consumerRef,
            patchId,
            reviewId,
            decision: 'approve',
            reviewer: autoApproval.reviewer,
            comment: autoApproval.reason,
          },
        });
        await event?.success();
      }
      if (approved.length < 500) return;
    }
  }

  private async deliver(
    migration: Migration,
    consumerRef: string,
    approvedPatchId: number,
  ) {
    const { rollouts } = this.options;
    const claimed = await rollouts.claim(migration.id, consumerRef);
    if (!claimed) return;
    try {
      const [consumer] = await rollouts.listConsumers(migration.id, [
        consumerRef,
      ]);
      if (consumer?.delivery?.status !== 'pending' || consumer.held) {
        await rollouts.release(migration.id, consumerRef);
        return;
      }
      // Read again under the claim: a refresh may have made a new version
      // since the approval was read. Only the approved one is delivered.
      const patch = await approvedPatch(
        this.options.store,
        this.options.rollouts,
        migration.id,
        consumerRef,
        approvedPatchId,
      );
      if (!patch) {
        await rollouts.release(migration.id, consumerRef);
        return;
      }
      const request = await this.deliveryRequest(
        migration,
        consumerRef,
        patch!,
      );
      const method = this.methodFor(request.consumer);
      if (typeof method === 'string') {
        await rollouts.recordDelivery({
          migrationId: migration.id,
          consumerRef,
          delivery: { method: 'none', status: 'failed', message: method },
          event: deliveryFailed(consumerRef, method),
        });
        return;
      }
      // A thrown error: transient ones are retried later (retry.ts).
      const readiness = await method
        .checkReady(request, { method: method.id, status: 'pending' })
        .catch(error => ({ error }));
      if ('error' in readiness) {
        await recordDeliveryError({
          ...this.options,
          migrationId: migration.id,
          consumer,
          method: method.id,
          error: readiness.error,
        });
        return;
      }
      if (!readiness.ready) {
        const message = `not ready to merge: ${
          readiness.reason ?? 'the method says so'
        }`;
        await rollouts.recordDelivery({
          migrationId: migration.id,
          consumerRef,
          delivery: { method: method.id, status: 'failed', message },
          event: deliveryFailed(consumerRef, message, method.id),
        });
        return;
      }
      const delivery = await method
        .deliver(request)
        .catch(error => ({ error }));
      if ('error' in delivery) {
        await recordDeliveryError({
          ...this.options,
          migrationId: migration.id,
          consumer,
          method: method.id,
          error: delivery.error,
          patchId: patch!.id,
        });
        return;
      }
      await rollouts.recordDelivery({
        migrationId: migration.id,
        consumerRef,
        delivery,
        patchId: patch!.id,
        event:
          delivery.status === 'failed'
            ? deliveryFailed(
                consumerRef,
                delivery.message ?? 'failed',
                method.id,
              )
            : {
                type: 'patch-delivered',
                consumerRef,
                message: `Patch version ${
                  patch!.version
                } of ${consumerRef} delivered (${method.id}${
                  delivery.url ? `: ${delivery.url}` : ''
                })`,
                data: deliveryData(delivery),
              },
      });
    } catch (error) {
      await rollouts.release(migration.id, consumerRef);
      throw error;
    }
  }

  /** Reads back the status of delivered patches (merged, closed, checks). */
  private async syncDeliveries(migrationId: string) {
    const consumers = await this.options.rollouts.listConsumers(migrationId);
    const migration = (await this.options.store.getMigration(migrationId))!;
    // Each delivery is read back at most every syncMinutes (default 5):
    // thousands of open pull requests must not each cost an API call on
    // every run of the task.
    const syncMs =
      (this.options.config.getOptionalNumber('ripple.rollout.syncMinutes') ??
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
      if (now - last < syncMs) continue;
      const claimed = await this.options.rollouts.claim(
        migrationId,
        listed.consumerRef,
      );
      if (!claimed) continue;
      // Read again under the claim: a revert may have finished meanwhile.
      const [consumer] = await this.options.rollouts.listConsumers(
        migrationId,
        [listed.consumerRef],
      );
      const delivery = consumer.delivery;
      const method = delivery && this.methods.get(delivery.method);
      const patch = await this.patchOf(migrationId, consumer);
      if (
        delivery?.status !== 'delivered' ||
        !delivery.state ||
        !method ||
        !patch
      ) {
        await this.options.rollouts.release(migrationId, consumer.consumerRef);
        continue;
      }
      let synced: Delivery;
      try {
        const request = await this.deliveryRequest(
          migration,
          consumer.consumerRef,
          patch,
        );
        synced = await method.sync(request, delivery.state);
        this.lastSynced.set(key, Date.now());
      } catch (error) {
        await this.options.rollouts.release(migrationId, consumer.consumerRef);
        this.options.logger.warn(
          `Could not sync the delivery of ${consumer.consumerRef}: ${error}`,
        );
        continue;
      }
      // A sync that finds nothing new writes nothing but the release of its
      // claim: the consumer, its updatedAt and the timeline stay as they were.
      if (sameDelivery(synced, delivery.state)) {
        await this.options.rollouts.release(migrationId, consumer.consumerRef);
        continue;
      }
      const changed =
        synced.status !== delivery.status ||
        synced.checks !== delivery.checks ||
        synced.url !== delivery.url;
      await this.options.rollouts.recordDelivery({
        migrationId,
        consumerRef: consumer.consumerRef,
        delivery: synced,
        event: changed
          ? {
              type: 'delivery-updated',
              consumerRef: consumer.consumerRef,
              message: `Delivery of ${consumer.consumerRef} is ${
                synced.status
              }${synced.checks ? ` (checks ${synced.checks})` : ''}${
                synced.message ? `: ${synced.message}` : ''
              }`,
              data: deliveryData(synced),
            }
          : undefined,
      });
    }
  }

  /**
   * Reverts the deliveries of the named consumers, of the held ones
   * (`held`), or of all (undefined). Reverted ones are left alone.
   */
  private async revertAll(
    migrationId: string,
    which?: string[] | 'held',
    options: { wait?: boolean } = {},
  ): Promise<void> {
    const consumers = await this.options.rollouts.listConsumers(
      migrationId,
      Array.isArray(which) ? which : undefined,
    );
    const migration = (await this.options.store.getMigration(migrationId))!;
    const failures: string[] = [];
    for (const listed of consumers) {
      if (which === 'held' && !listed.held) continue;
      if (!isInPlace(listed)) continue;
      // An action waits for a sync or delivery in flight on the consumer
      // (seconds); the scheduled step leaves it for its next run.
      const claimed = await this.claim(
        migrationId,
        listed.consumerRef,
        options.wait ? 30_000 : 0,
      );
      if (!claimed) continue;
      // Read again under the claim: a sync may have changed it meanwhile.
      const [consumer] = await this.options.rollouts.listConsumers(
        migrationId,
        [listed.consumerRef],
      );
      const delivery = consumer.delivery!;
      if (!isInPlace(consumer)) {
        await this.options.rollouts.release(migrationId, consumer.consumerRef);
        continue;
      }
      try {
        const method = this.methods.get(delivery.method);
        const patch = await this.patchOf(migrationId, consumer);
        if (!method || !patch || !delivery.state) {
          throw new Error(
            `the delivery method ${delivery.method} is not installed`,
          );
        }
        const request = await this.deliveryRequest(
          migration,
          consumer.consumerRef,
          patch,
        );
        const reverted = await method.revert(request, delivery.state);
        await this.options.rollouts.recordDelivery({
          migrationId,
          consumerRef: consumer.consumerRef,
          delivery: reverted,
          event:
            reverted.status === 'reverted'
              ? {
                  type: 'patch-reverted',
                  consumerRef: consumer.consumerRef,
                  message: `Patch of ${consumer.consumerRef} reverted (${
                    delivery.method
                  }${reverted.url ? `: ${reverted.url}` : ''})`,
                  data: deliveryData(reverted),
                }
              : deliveryFailed(
                  consumer.consumerRef,
                  `could not revert: ${reverted.message ?? reverted.status}`,
                  delivery.method,
                ),
        });
      } catch (error) {
        await this.options.rollouts.release(migrationId, consumer.consumerRef);
        failures.push(`${consumer.consumerRef}: ${(error as Error).message}`);
      }
    }
    if (failures.length) {
      this.options.logger.warn(
        `Reverts of migration ${migrationId} will be retried: ${failures.join(
          '; ',
        )}`,
      );
    }
  }

  /**
   * Runs an action's write; when it loses a race (its compare-and-set on
   * the migration's state or the rollout's version fails: another replica,
   * or the scheduled step, moved it first), the action is done if the
   * rollout is now where the action would have put it, so the same action
   * sent to two replicas at once answers both as done, and writes once.
   */
  private async settled(
    migrationId: string,
    write: () => Promise<unknown>,
    done: (now: RolloutRecord | undefined) => boolean,
  ): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (
        !(error instanceof ConflictError) ||
        !done(await this.options.rollouts.getRollout(migrationId))
      ) {
        throw error;
      }
    }
  }

  /** Claims a consumer, retrying for up to `waitMs` while another runner holds it. */
  private async claim(
    migrationId: string,
    consumerRef: string,
    waitMs: number,
  ): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (await this.options.rollouts.claim(migrationId, consumerRef)) {
        return true;
      }
      if (Date.now() >= deadline) return false;
      await new Promise(resolve => setTimeout(resolve, 200));
    }
  }

  /**
   * Advances when the active wave is done: each of its consumers delivered
   * (or its patch rejected), the soak time passed since the last delivery,
   * no delivered consumer unhealthy, and (unless the plan says otherwise)
   * a signal from each of the wave's consumers since its delivery.
   */
  private async autoAdvance(record: RolloutRecord) {
    if (!record.plan.autoAdvance || record.state !== 'rolling_out') return;
    const gate = await this.advanceGate(record);
    if (gate.ready) {
      await this.options.rollouts.advance({
        migrationId: record.migrationId,
        fromWave: record.currentWave,
        message: `soaked ${record.plan.soakMinutes} minutes with healthy signals`,
      });
    }
  }

  private async advanceGate(
    record: RolloutRecord,
    // The rollout's consumers, when the caller has just read them.
    listed?: RolloutConsumer[],
  ): Promise<{ ready: boolean; soakEndsAt?: Date }> {
    const consumers =
      listed ?? (await this.options.rollouts.listConsumers(record.migrationId));
    // Only a patch still in place can be to blame: a reverted consumer's
    // old breach does not hold the rollout.
    if (consumers.some(c => c.health === 'unhealthy' && isInPlace(c))) {
      return { ready: false };
    }
    const wave = consumers.filter(c => c.wave === record.currentWave);
    const delivered: RolloutConsumer[] = [];
    for (const consumer of wave) {
      // Rolled back alone: left out until someone resumes it.
      if (consumer.held) continue;
      const status = consumer.delivery?.status;
      if (status === 'delivered' || status === 'merged') {
        delivered.push(consumer);
        continue;
      }
      const current = await this.options.store.getConsumer(
        record.migrationId,
        consumer.consumerRef,
      );
      // A rejected patch is never delivered: it does not hold the wave.
      if (current?.decision?.decision !== 'reject') {
        return { ready: false };
      }
    }
    const lastDelivery = Math.max(
      0,
      ...delivered.map(c => c.deliveredAt?.getTime() ?? 0),
    );
    const soakEndsAt = new Date(
      lastDelivery + record.plan.soakMinutes * 60_000,
    );
    if (Date.now() < soakEndsAt.getTime()) {
      return { ready: false, soakEndsAt };
    }
    if (record.plan.health.requireSignals && delivered.length) {
      const reported = await this.options.rollouts.consumersWithSignalsSince(
        record.migrationId,
        new Map(delivered.map(c => [c.consumerRef, c.deliveredAt!])),
      );
      if (delivered.some(c => !reported.has(c.consumerRef))) {
        return { ready: false, soakEndsAt };
      }
    }
    return { ready: true, soakEndsAt };
  }

  /** The effective plan and the waves of the migration's deliverable consumers. */
  private async plan(
    migration: Migration,
    request: RolloutPlanRequest | undefined,
  ) {
    const dataset = await this.entity(migration.datasetRef);
    const critical = isCriticalDataset(
      this.options.config,
      migration.datasetRef,
      dataset,
    );
    const plan = resolvePlan(this.options.config, request, critical);
    const deliverable: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await this.options.store.listConsumers(migration.id, {
        limit: 500,
        offset,
      });
      for (const consumer of page.items) {
        if (consumer.patch && DELIVERABLE.has(consumer.patch.status)) {
          deliverable.push(consumer.consumerRef);
        }
      }
      if (offset + 500 >= page.totalCount) break;
    }
    const entities = await this.entities(deliverable);
    const ordered = orderConsumers(
      deliverable.map(consumerRef => ({
        consumerRef,
        entity: entities.get(consumerRef),
      })),
    );
    return { plan, critical, waves: assignWaves(ordered, plan.waves) };
  }

  private async toRollout(
    record: RolloutRecord,
    consumers: RolloutConsumer[],
  ): Promise<Rollout> {
    const state: RolloutState =
      record.state === 'analyzing' ||
      record.state === 'draft' ||
      record.state === 'proposed'
        ? 'not_started'
        : record.state;
    const gate =
      state === 'rolling_out'
        ? await this.advanceGate(record, consumers)
        : undefined;
    return {
      state,
      plan: record.plan,
      critical: record.critical,
      waves: record.waves.map(wave => ({
        index: wave.index,
        name: wave.name,
        consumers: consumers
          .filter(c => c.wave === wave.index)
          .map(c => c.consumerRef),
        state: waveState(wave, state),
        ...(wave.startedAt ? { startedAt: wave.startedAt } : {}),
        ...(wave.completedAt ? { completedAt: wave.completedAt } : {}),
      })),
      ...(state !== 'completed' ? { currentWave: record.currentWave } : {}),
      ...(record.pausedReason && state === 'paused'
        ? { pausedReason: record.pausedReason }
        : {}),
      ...(gate?.soakEndsAt
        ? { soakEndsAt: gate.soakEndsAt.toISOString() }
        : {}),
    };
  }

  private async getRolloutById(migrationId: string): Promise<Rollout> {
    const migration = await this.options.store.getMigration(migrationId);
    if (!migration) throw new NotFoundError(`No migration ${migrationId}`);
    return this.getRollout(migration);
  }

  private async requireRollout(migrationId: string): Promise<RolloutRecord> {
    const record = await this.options.rollouts.getRollout(migrationId);
    if (!record) {
      const migration = await this.options.store.getMigration(migrationId);
      if (!migration) throw new NotFoundError(`No migration ${migrationId}`);
      throw new ConflictError(
        `The rollout of migration ${migrationId} has not started (it is ${migration.state})`,
      );
    }
    return record;
  }

  /** The method the consumer's annotation or the config names, or why there is none. */
  private methodFor(
    consumer: DeliveryRequest['consumer'],
  ): RippleDeliveryMethod | string {
    const id =
      consumer.entity.metadata.annotations?.[DELIVERY_ANNOTATION] ??
      this.options.config.getOptionalString('ripple.rollout.delivery.method') ??
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
    const entity = await this.entity(consumerRef);
    if (!entity) {
      throw new Error(`${consumerRef} is no longer in the catalog`);
    }
    return {
      migration: {
        id: migration.id,
        title: migration.title,
        datasetRef: migration.datasetRef,
        url: this.migrationUrl(migration.id),
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
      ? this.options.rollouts.getPatch(
          migrationId,
          consumer.consumerRef,
          patchId,
        )
      : this.options.store.getCurrentPatch(migrationId, consumer.consumerRef);
  }

  private migrationUrl(migrationId: string): string {
    const base = this.options.config.getOptionalString('app.baseUrl') ?? '';
    return `${base}/ripple/migrations/${migrationId}`;
  }

  private async entity(entityRef: string): Promise<Entity | undefined> {
    return this.options.catalog.getEntityByRef(entityRef, {
      credentials: await this.options.auth.getOwnServiceCredentials(),
    });
  }

  private async entities(refs: string[]): Promise<Map<string, Entity>> {
    const result = new Map<string, Entity>();
    if (!refs.length) return result;
    const credentials = await this.options.auth.getOwnServiceCredentials();
    for (let i = 0; i < refs.length; i += 500) {
      const chunk = refs.slice(i, i + 500);
      const { items } = await this.options.catalog.getEntitiesByRefs(
        { entityRefs: chunk },
        { credentials },
      );
      items.forEach((entity, j) => {
        if (entity) result.set(chunk[j], entity);
      });
    }
    return result;
  }

  private async trigger() {
    await this.options
      .trigger?.()
      .catch(error =>
        this.options.logger.debug(
          `Could not trigger the rollout task: ${error}`,
        ),
      );
  }
}

/**
 * Who auto-approves: the start request's plan when it asks for it (the
 * person starting the rollout chose it), else the config.
 */
function autoApprovalPolicy(
  request: RolloutPlanRequest | undefined,
  actor: string,
): AutoApproval {
  return request?.autoApprove
    ? {
        reviewer: 'policy:ripple/auto-approval-plan',
        reason: `the rollout plan ${actor} started sets autoApprove, and the dataset is not critical`,
      }
    : {
        reviewer: 'policy:ripple/auto-approval-config',
        reason:
          'the config ripple.rollout.autoApprove is true, and the dataset is not critical',
      };
}

function waveState(
  wave: RolloutRecord['waves'][number],
  state: RolloutState,
): WaveState {
  if (wave.completedAt || state === 'completed') return 'completed';
  return wave.startedAt ? 'active' : 'pending';
}

function isInPlace(consumer: RolloutConsumer): boolean {
  const status = consumer.delivery?.status;
  return status === 'delivered' || status === 'merged';
}

function deliveryFailed(
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

function deliveryData(delivery: Delivery): Record<string, unknown> {
  return {
    method: delivery.method,
    status: delivery.status,
    ...(delivery.url ? { url: delivery.url } : {}),
    ...(delivery.branch ? { branch: delivery.branch } : {}),
    ...(delivery.commit ? { commit: delivery.commit } : {}),
  };
}

/** Whether two deliveries say the same, as stored (JSON: absent and undefined fields alike). */
function sameDelivery(a: Delivery, b: Delivery): boolean {
  return isDeepStrictEqual(
    JSON.parse(JSON.stringify(a)),
    JSON.parse(JSON.stringify(b)),
  );
}
