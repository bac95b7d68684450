import { NotFoundError } from '@backstage/errors';
import type {
  Migration,
  Rollout,
  RolloutPlanRequest,
  RolloutState,
  WaveState,
} from '@ripple/backstage-plugin-ripple-common';
import type { RolloutConsumer, RolloutRecord } from '../database/RolloutStore';
import { advanceGate } from './advanceGate';
import { DELIVERABLE } from './approvedPatch';
import {
  assignWaves,
  isCriticalDataset,
  orderConsumers,
  resolvePlan,
} from './plan';
import type { RolloutContext } from './RolloutContext';
import type { RolloutTiming } from './timing/RolloutTiming';

/**
 * The rollout as the API shows it: the stored one with its gate's soak
 * time and reason, or before the start the plan and waves it would start
 * with.
 */
export class RolloutView {
  constructor(
    private readonly context: RolloutContext,
    private readonly timing: RolloutTiming,
  ) {}

  /** The migration's rollout; before it starts, the plan and waves it would start with. */
  async getRollout(migration: Migration): Promise<Rollout> {
    const record = await this.context.rollouts.getRollout(migration.id);
    if (!record) {
      const { plan, critical, waves } = await this.plan(migration, undefined);
      const count = waves.reduce((n, w) => n + w.consumers.length, 0);
      const above = this.timing.confirmAbove;
      return {
        ...(count > above ? { confirmation: { consumers: count, above } } : {}),
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
    const consumers = await this.context.rollouts.listConsumers(migration.id);
    return this.toRollout(record, consumers, migration);
  }

  async getRolloutById(migrationId: string): Promise<Rollout> {
    const migration = await this.context.store.getMigration(migrationId);
    if (!migration) throw new NotFoundError(`No migration ${migrationId}`);
    return this.getRollout(migration);
  }

  /** The effective plan and the waves of the migration's deliverable consumers. */
  async plan(migration: Migration, request: RolloutPlanRequest | undefined) {
    const { config } = this.context;
    const dataset = await this.context.entity(migration.datasetRef);
    const critical = isCriticalDataset(config, migration.datasetRef, dataset);
    const plan = resolvePlan(config, request, critical);
    const deliverable = await this.deliverableConsumers(migration.id);
    const entities = await this.context.entities(deliverable);
    const ordered = orderConsumers(
      deliverable.map(consumerRef => ({
        consumerRef,
        entity: entities.get(consumerRef),
      })),
    );
    return {
      plan,
      critical,
      waves: assignWaves(ordered, plan.waves),
      dataset,
    };
  }

  private async deliverableConsumers(migrationId: string): Promise<string[]> {
    const deliverable: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await this.context.store.listConsumers(migrationId, {
        limit: 500,
        offset,
      });
      for (const consumer of page.items) {
        if (consumer.patch && DELIVERABLE.has(consumer.patch.status)) {
          deliverable.push(consumer.consumerRef);
        }
      }
      if (offset + 500 >= page.totalCount) return deliverable;
    }
  }

  private async toRollout(
    record: RolloutRecord,
    consumers: RolloutConsumer[],
    migration: Migration,
  ): Promise<Rollout> {
    const state: RolloutState =
      record.state === 'analyzing' ||
      record.state === 'draft' ||
      record.state === 'proposed'
        ? 'not_started'
        : record.state;
    const judgement =
      state === 'rolling_out'
        ? await this.timing.judge(record, consumers)
        : undefined;
    const gate = judgement
      ? await advanceGate(this.context, record, consumers, judgement)
      : undefined;
    let gateReason = gate?.reason;
    if (gate?.ready && judgement?.advanceWait && record.plan.autoAdvance) {
      gateReason = judgement.advanceWait.reason;
    }
    if (migration.stopped && judgement) {
      gateReason = `automation stopped by ${
        migration.stopped.by
      } (the kill switch)${gateReason ? `; then ${gateReason}` : ''}`;
    }
    // The started waves' consumers that wait before their delivery.
    const waiting = judgement
      ? consumers
          .filter(
            c =>
              c.wave <= record.currentWave &&
              !c.held &&
              c.delivery?.status === 'pending',
          )
          .flatMap(c => {
            const wait = judgement.deliveryWait(c.consumerRef);
            return wait ? [wait] : [];
          })
      : [];
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
      ...(gateReason ? { gateReason } : {}),
      ...(waiting.length ? { waiting } : {}),
    };
  }
}

function waveState(
  wave: RolloutRecord['waves'][number],
  state: RolloutState,
): WaveState {
  if (wave.completedAt || state === 'completed') return 'completed';
  return wave.startedAt ? 'active' : 'pending';
}
