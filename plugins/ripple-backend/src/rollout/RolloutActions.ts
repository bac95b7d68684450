import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import type {
  Migration,
  Rollout,
  RolloutPlanRequest,
} from '@ripple/backstage-plugin-ripple-common';
import type { RolloutRecord } from '../database/RolloutStore';
import { ANNOTATION_RIPPLE_WAREHOUSE } from '../dataset/warehouse';
import { autoApprovalPolicy, recordAutoApprovals } from './autoApprovals';
import type { CompatViewGate } from './CompatViews';
import type { RolloutContext } from './RolloutContext';
import type { RolloutDeliveries } from './RolloutDeliveries';
import type { RolloutView } from './RolloutView';
import type { RolloutTiming } from './timing/RolloutTiming';

/**
 * The actions people take on a rollout (docs/rollout.md, "Actions"): start,
 * advance, pause, resume and roll back. Each is idempotent, and one that
 * loses a race to the same action elsewhere answers as done
 * ({@link RolloutActions.settled}).
 */
export class RolloutActions {
  constructor(
    private readonly context: RolloutContext,
    private readonly view: RolloutView,
    private readonly deliveries: RolloutDeliveries,
    private readonly timing: RolloutTiming,
  ) {}

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
      /**
       * The number of consumers the person starting it confirmed: needed
       * above `ripple.rollout.confirmAbove`, and it must be the number.
       */
      confirmConsumers?: number;
    } = {},
  ): Promise<Rollout> {
    if (await this.context.rollouts.getRollout(migration.id)) {
      // Idempotent: a second start returns the rollout as it is.
      return this.view.getRollout(migration);
    }
    if (migration.state !== 'proposed') {
      throw new ConflictError(
        `Migration ${migration.id} is ${migration.state}; a rollout starts from proposed`,
      );
    }
    const { plan, critical, waves, dataset } = await this.view.plan(
      migration,
      request,
    );
    if (waves.length === 0) {
      throw new ConflictError(
        `Migration ${migration.id} has no consumer with a patch to deliver`,
      );
    }
    const count = waves.reduce((n, w) => n + w.consumers.length, 0);
    const above = this.timing.confirmAbove;
    if (count > above && options.confirmConsumers !== count) {
      // A rollout this wide is confirmed with its number, so that a start
      // sent by habit (or by a script written for a smaller fleet) does
      // not reach them all.
      throw new ConflictError(
        `The rollout of migration ${
          migration.id
        } would reach ${count} consumers, more than ripple.rollout.confirmAbove (${above}): start it with confirmConsumers: ${count} to confirm${
          options.confirmConsumers !== undefined
            ? ` (confirmConsumers was ${options.confirmConsumers})`
            : ''
        }`,
      );
    }
    if (
      plan.requireValidation &&
      !dataset?.metadata.annotations?.[ANNOTATION_RIPPLE_WAREHOUSE]?.trim()
    ) {
      // Its patches are never validated: such a rollout could deliver none.
      throw new ConflictError(
        `The rollout plan requires validation, but ${migration.datasetRef} names no warehouse (annotation ${ANNOTATION_RIPPLE_WAREHOUSE}), so its consumers' patches are never validated: name its warehouse, or start with requireValidation false`,
      );
    }
    const autoApproval = plan.autoApprove
      ? autoApprovalPolicy(request, actor, plan.requireValidation)
      : undefined;
    const compatView = await options.compatView?.();
    await this.settled(
      migration.id,
      () =>
        this.context.rollouts.start({
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
    // Under the kill switch the policy approves nothing yet: the step
    // does, once resumed.
    if (!(await this.context.store.getMigration(migration.id))?.stopped) {
      await recordAutoApprovals(
        this.context,
        migration.id,
        autoApproval,
        plan.requireValidation,
      );
    }
    await this.context.trigger();
    return this.view.getRolloutById(migration.id);
  }

  /**
   * The kill switch (docs/rollout.md): stops every automatic step of the
   * migration until {@link resumeAutomation}. Idempotent: stopping a
   * stopped migration records nothing.
   */
  async stopAutomation(
    migrationId: string,
    reason: string | undefined,
    actor: string,
  ): Promise<Migration> {
    await this.context.store.setStopped({
      migrationId,
      stopped: true,
      actor,
      ...(reason?.trim() ? { reason: reason.trim() } : {}),
    });
    return (await this.context.store.getMigration(migrationId))!;
  }

  /** Lifts the kill switch; the next step goes on where it stopped. */
  async resumeAutomation(
    migrationId: string,
    actor: string,
  ): Promise<Migration> {
    await this.context.store.setStopped({
      migrationId,
      stopped: false,
      actor,
    });
    await this.context.trigger();
    return (await this.context.store.getMigration(migrationId))!;
  }

  /** Advances from `wave` (the active one by default); idempotent on `wave`. */
  async advance(
    migrationId: string,
    wave: number | undefined,
    actor: string,
  ): Promise<Rollout> {
    const record = await this.context.requireRollout(migrationId);
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
        this.context.rollouts.advance({
          migrationId,
          fromWave: from,
          actor,
          message: `advanced by ${actor}`,
        }),
      now => now?.currentWave !== from || now.state === 'completed',
    );
    await this.context.trigger();
    return this.view.getRolloutById(migrationId);
  }

  async pause(
    migrationId: string,
    reason: string | undefined,
    actor: string,
  ): Promise<Rollout> {
    const record = await this.context.requireRollout(migrationId);
    if (record.state !== 'paused') {
      await this.settled(
        migrationId,
        () =>
          this.context.rollouts.pause({
            migrationId,
            reason: reason ?? `paused by ${actor}`,
            actor,
          }),
        now => now?.state === 'paused',
      );
    }
    return this.view.getRolloutById(migrationId);
  }

  /** Resumes the rollout, or with `consumerRef` releases that consumer for a new delivery. */
  async resume(
    migrationId: string,
    consumerRef: string | undefined,
    actor: string,
  ): Promise<Rollout> {
    const record = await this.context.requireRollout(migrationId);
    if (consumerRef) {
      await this.context.rollouts.setHeld({
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
        () => this.context.rollouts.resume({ migrationId, actor }),
        now => now?.state === 'rolling_out',
      );
    }
    await this.context.trigger();
    return this.view.getRolloutById(migrationId);
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
    const record = await this.context.requireRollout(migrationId);
    if (consumerRef) {
      const [consumer] = await this.context.rollouts.listConsumers(
        migrationId,
        [consumerRef],
      );
      if (!consumer) {
        throw new NotFoundError(
          `${consumerRef} is not in the rollout of migration ${migrationId} (it has no patch to deliver)`,
        );
      }
      if (!consumer.held) {
        await this.context.rollouts.setHeld({
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
      await this.deliveries.revertAll(migrationId, [consumer.consumerRef], {
        wait: true,
      });
    } else {
      if (record.state !== 'rolled_back') {
        await this.settled(
          migrationId,
          () => this.context.rollouts.rollBack({ migrationId, actor, reason }),
          now => now?.state === 'rolled_back',
        );
      }
      await this.deliveries.revertAll(migrationId, undefined, { wait: true });
    }
    return this.view.getRolloutById(migrationId);
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
        !done(await this.context.rollouts.getRollout(migrationId))
      ) {
        throw error;
      }
    }
  }
}
