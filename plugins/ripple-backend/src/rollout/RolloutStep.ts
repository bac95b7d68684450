import { ConflictError } from '@backstage/errors';
import type { Consumer } from '@ripple/backstage-plugin-ripple-common';
import type { RolloutConsumer, RolloutRecord } from '../database/RolloutStore';
import {
  REQUIREMENT,
  someOf,
  validationVerdict,
} from '../validation/requirement';
import {
  advanceGate,
  type AdvanceGate,
  WAITING_FOR_DELIVERIES,
  WAITING_FOR_MERGES,
} from './advanceGate';
import { recordAutoApprovals } from './autoApprovals';
import type { RolloutContext } from './RolloutContext';
import type { RolloutDeliveries } from './RolloutDeliveries';
import { ownersOf, type RolloutHealth } from './RolloutHealth';
import { dueForDelivery } from './retry';
import { DELIVERABLE } from './approvedPatch';
import {
  type RolloutTiming,
  type TimingJudgement,
  warningEvent,
} from './timing/RolloutTiming';

/**
 * `runOnce`, the scheduled step (docs/rollout.md, "The scheduled step"):
 * for each active rollout, finishes reverts, follows the deliveries, reads
 * the health providers, delivers the approved patches of the started waves
 * and advances when the active wave has soaked healthy. Every decision is
 * re-read from the database, so any replica can run any step after a
 * restart.
 */
export class RolloutStep {
  constructor(
    private readonly context: RolloutContext,
    private readonly deliveries: RolloutDeliveries,
    private readonly health: RolloutHealth,
    private readonly timing: RolloutTiming,
  ) {}

  /**
   * One scheduled step over every active rollout. When the scheduler's
   * `signal` aborts (the run's timeout, a shutdown), the run stops between
   * two rollouts, or two deliveries, and the next run goes on from the
   * database.
   */
  async runOnce(signal?: AbortSignal): Promise<void> {
    for (const migrationId of await this.context.rollouts.listActiveRollouts()) {
      if (signal?.aborted) return;
      try {
        await this.step(migrationId, signal);
      } catch (error) {
        this.context.logger.warn(
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
  async step(migrationId: string, signal?: AbortSignal): Promise<void> {
    let record = await this.context.requireRollout(migrationId);
    await this.deliveries.revertAll(
      migrationId,
      record.state === 'rolled_back' ? undefined : 'held',
    );
    if (record.state === 'rolled_back') return;
    if ((await this.context.store.getMigration(migrationId))?.stopped) {
      // The kill switch: the deliveries are still read back and the health
      // judged (a breach still pauses), but nothing is approved, delivered
      // or advanced until someone resumes it.
      await this.deliveries.syncDeliveries(migrationId);
      await this.health.judgeChecks(record);
      await this.health.readProviders(record);
      return;
    }
    // New patch versions (and consumers found late) of an auto-approving
    // rollout get their approval before anything reads decisions; under a
    // plan with requireValidation, once their validation passed.
    await recordAutoApprovals(
      this.context,
      migrationId,
      record.autoApproval,
      record.plan.requireValidation,
    );
    await this.joinApproved(migrationId);
    await this.deliveries.syncDeliveries(migrationId);
    await this.health.judgeChecks(record);
    await this.health.readProviders(record);
    record = await this.context.requireRollout(migrationId);
    if (record.state !== 'rolling_out' || signal?.aborted) return;
    // Judged once per step: it reads every consumer's entity.
    const judgement = await this.timing.judge(
      record,
      await this.context.rollouts.listConsumers(migrationId),
    );
    await this.warn(migrationId, judgement);
    await this.deliverPending(record, judgement, signal);
    await this.gate(await this.context.requireRollout(migrationId), judgement);
  }

  /** Records the timing's warnings on the timeline, each once. */
  private async warn(migrationId: string, judgement: TimingJudgement) {
    for (const warning of judgement.warnings) {
      const { dedupeKey, message, consumerRef } = warningEvent(warning);
      const recorded = await this.context.store.recordEventOnce({
        migrationId,
        type: 'timing-warning',
        message,
        ...(consumerRef ? { consumerRef } : {}),
        data: warning,
        dedupeKey,
      });
      if (recorded) {
        this.context.logger.warn(`Migration ${migrationId}: ${message}`);
      }
    }
  }

  private async deliverPending(
    record: RolloutRecord,
    judgement: TimingJudgement,
    signal?: AbortSignal,
  ) {
    const consumers = await this.context.rollouts.listConsumers(
      record.migrationId,
    );
    const migration = (await this.context.store.getMigration(
      record.migrationId,
    ))!;
    const due = consumers.filter(
      consumer =>
        !consumer.held &&
        consumer.wave <= record.currentWave &&
        consumer.delivery?.status === 'pending' &&
        dueForDelivery(consumer) &&
        // Outside its windows, in a freeze, just before its pipeline runs,
        // or before its upstream consumers: it waits (docs/rollout.md).
        !judgement.deliveryWait(consumer.consumerRef),
    );
    // Under a plan with requireValidation an approved patch is delivered
    // only once validated too: an approval recorded before the rollout
    // started (when the config did not require it), or before a re-run
    // that failed, does not carry a patch that failed its validation.
    const validations = record.plan.requireValidation
      ? await this.context.validations.latest(
          record.migrationId,
          due.map(c => c.consumerRef),
        )
      : undefined;
    for (const consumer of due) {
      if (signal?.aborted) return;
      const current = await this.context.store.getConsumer(
        record.migrationId,
        consumer.consumerRef,
      );
      if (!current || !this.approved(current)) continue;
      if (validations) {
        const validation = validations.get(consumer.consumerRef);
        if (
          validation?.patchId !== current.patch!.id ||
          !validationVerdict(validation).ok
        ) {
          continue;
        }
      }
      // Between two consumers the rollout may have been paused or rolled back.
      const now = await this.context.rollouts.getRollout(record.migrationId);
      if (now?.state !== 'rolling_out') return;
      // Or stopped by the kill switch.
      if (
        (await this.context.store.getMigration(record.migrationId))?.stopped
      ) {
        return;
      }
      // Exactly the patch version this approval is about is delivered.
      await this.deliveries.deliver(
        migration,
        consumer.consumerRef,
        current.patch!.id,
      );
    }
  }

  /**
   * Whether the consumer's current patch may be delivered: its latest review
   * approves it (a person's, or the auto-approval policy's, recorded by
   * {@link recordAutoApprovals}).
   */
  private approved(consumer: Consumer): boolean {
    const patch = consumer.patch;
    if (!patch || patch.stale || !DELIVERABLE.has(patch.status)) return false;
    return consumer.decision?.decision === 'approve';
  }

  /** Consumers found after the start join the rollout once approved. */
  private async joinApproved(migrationId: string): Promise<void> {
    try {
      const joined = await this.context.rollouts.joinApproved(migrationId);
      for (const { consumerRef, wave } of joined) {
        this.context.logger.info(
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
   * The active wave's gate ({@link advanceGate}). A validation the plan
   * requires that failed (or ended in an error) in the active wave pauses
   * the rollout, as a health breach does, once per validation: resumed,
   * the rollout waits for it without pausing again. Otherwise it advances
   * when the active wave is done: each of its consumers delivered (or its
   * patch rejected) and validated when the plan requires it, the soak time
   * passed since the last delivery, no delivered consumer unhealthy, and
   * (unless the plan says otherwise) a signal from each of the wave's
   * consumers since its delivery.
   */
  private async gate(record: RolloutRecord, judgement: TimingJudgement) {
    if (record.state !== 'rolling_out') return;
    // Read once for the gate and for the signals its decision records.
    const consumers = await this.context.rollouts.listConsumers(
      record.migrationId,
    );
    let gate = await advanceGate(this.context, record, consumers, judgement);
    if (gate.ready && judgement.advanceWait) {
      // Ready, but an automatic advance waits for the plan's window.
      gate = { ...gate, ready: false, reason: judgement.advanceWait.reason };
    }
    await this.recordDecision(record, gate, consumers);
    if (!record.plan.autoAdvance && !record.plan.requireValidation) return;
    const failed = gate.validations.filter(
      h => h.final && !h.pausedBefore && h.validationId !== undefined,
    );
    if (failed.length) {
      const reason = `${REQUIREMENT}: ${someOf(
        failed.map(h => `${h.consumerRef}: ${h.why}`),
      )}`;
      try {
        const paused = await this.context.rollouts.pauseForValidation({
          migrationId: record.migrationId,
          validations: failed.map(h => ({
            consumerRef: h.consumerRef,
            validationId: h.validationId!,
          })),
          reason,
        });
        if (paused) {
          this.context.logger.info(
            `Rollout of migration ${record.migrationId} paused: ${reason}`,
          );
          await this.notifyValidationPause(record.migrationId, failed);
        }
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        // Someone moved the rollout meanwhile: the next step judges again.
      }
      return;
    }
    if (!record.plan.autoAdvance) return;
    // The kill switch may have been thrown since the step began.
    if (
      gate.ready &&
      !(await this.context.store.getMigration(record.migrationId))?.stopped
    ) {
      await this.context.rollouts.advance({
        migrationId: record.migrationId,
        fromWave: record.currentWave,
        message: `soaked ${record.plan.soakMinutes} minutes with healthy signals`,
      });
    }
  }

  /**
   * Records the gate's decision on the timeline when it changed since the
   * last step (any replica's), with the latest signal of each of the active
   * wave's consumers it judged by: a person sees why a wave advanced,
   * waited or paused. A decision that only waits for its soak to end is one
   * decision for the whole soak.
   */
  private async recordDecision(
    record: RolloutRecord,
    gate: AdvanceGate,
    listed: RolloutConsumer[],
  ) {
    const wave = record.currentWave;
    const why = gate.ready
      ? 'ready'
      : gate.reason ??
        (gate.soakEndsAt
          ? `soaking until ${gate.soakEndsAt.toISOString()}`
          : 'waiting');
    const consumers = listed.filter(c => c.wave === wave && !c.held);
    const latest = await this.context.rollouts.latestSignals(
      record.migrationId,
    );
    const signals = Object.fromEntries(
      consumers.flatMap(c => {
        const signal = latest.get(c.consumerRef);
        return signal
          ? [
              [
                c.consumerRef,
                {
                  source: signal.source,
                  observedAt: signal.observedAt.toISOString(),
                  ...signal.signals,
                },
              ],
            ]
          : [];
      }),
    );
    const waveName = record.waves[wave]?.name ?? `${wave + 1}`;
    // Deliveries go one by one: waiting for them is one decision, not one
    // per consumer delivered.
    // Nor is waiting for merges one per minute waited.
    let decision = why.startsWith(WAITING_FOR_DELIVERIES)
      ? WAITING_FOR_DELIVERIES
      : why;
    if (decision.startsWith(WAITING_FOR_MERGES)) {
      decision = decision.replace(/delivered [^,)]* ago/g, 'delivered');
    }
    const recorded = await this.context.rollouts.recordGateDecision(
      record.migrationId,
      `${wave}: ${decision}`,
      {
        type: 'gate-changed',
        message: gate.ready
          ? `The gate of wave ${waveName} is open`
          : `The gate of wave ${waveName} holds: ${why}`,
        data: {
          wave,
          ready: gate.ready,
          ...(gate.reason ? { reason: gate.reason } : {}),
          ...(gate.soakEndsAt
            ? { soakEndsAt: gate.soakEndsAt.toISOString() }
            : {}),
          signals,
        },
      },
    );
    if (recorded) {
      this.context.logger.info(
        `Rollout of migration ${record.migrationId}, wave ${waveName}: ${why}`,
      );
    }
  }

  /**
   * Tells the owners of each consumer whose validation paused the rollout,
   * and the migration's owner, as a health breach does: the rollout waits
   * for them (a new patch version that passes, or a resume).
   */
  private async notifyValidationPause(
    migrationId: string,
    held: { consumerRef: string; why: string }[],
  ): Promise<void> {
    const { notify } = this.context.options;
    if (!notify) return;
    for (const { consumerRef, why } of held) {
      try {
        const migration = (await this.context.store.getMigration(migrationId))!;
        const entity = await this.context.entity(consumerRef);
        await notify({
          recipients: [...new Set([...ownersOf(entity), migration.owner])],
          title: `Ripple: the patch of ${consumerRef} did not pass its validation in "${migration.title}"`,
          description: `${why}. The rollout is paused: its plan requires a passed validation.`,
          link: this.context.migrationUrl(migrationId),
          scope: `ripple:${migrationId}:${consumerRef}:validation`,
        });
      } catch (error) {
        this.context.logger.warn(
          `Could not notify the owners of ${consumerRef}: ${error}`,
        );
      }
    }
  }
}
