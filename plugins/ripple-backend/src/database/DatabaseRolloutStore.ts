import type {
  HealthSignals,
  Patch,
} from '@ripple/backstage-plugin-ripple-common';
import type { Delivery } from '@ripple/backstage-plugin-ripple-node';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { recordAutoApprovals } from './autoApprovals';
import {
  CompatViewMark,
  CompatViewRecord,
  getCompatViewRecord,
  insertCompatView,
} from './compatViewRows';
import * as healthSignals from './healthSignals';
import type { HealthSignalInput } from './healthSignals';
import { moveMigration } from './migrationState';
import {
  casRollout,
  ConsumerRow,
  getRolloutConsumerRow,
  getRolloutRow,
  insertEvents,
} from './rolloutRows';
import {
  advanceRollout,
  joinApproved,
  resumeRollout,
  startRollout,
} from './rolloutWaves';
import { getMigrationRow, ref, timestamp, toPatch } from './rows';
import type {
  Claim,
  LatestSignal,
  NewRollout,
  RolloutConsumer,
  RolloutEvent,
  RolloutRecord,
  RolloutStore,
} from './RolloutStore';

/**
 * How long a claim on a consumer (a delivery, sync or revert in flight)
 * lasts unless its runner renews it: its runner renews it while it works,
 * so only a dead runner's claim runs out, and the consumer waits that long.
 */
const CLAIM_TIMEOUT_MS = 2 * 60_000;

/**
 * {@link RolloutStore} on the plugin's database (SQLite or PostgreSQL): the
 * reads, claims, deliveries and health here; the moves through the waves in
 * rolloutWaves.ts, the auto-approvals in autoApprovals.ts.
 */
export class DatabaseRolloutStore implements RolloutStore {
  readonly claimTimeoutMs: number;

  constructor(
    private readonly db: Knex,
    options: { claimTimeoutMs?: number } = {},
  ) {
    this.claimTimeoutMs = options.claimTimeoutMs ?? CLAIM_TIMEOUT_MS;
  }

  async getRollout(migrationId: string): Promise<RolloutRecord | undefined> {
    const row = await this.db('rollout as r')
      .join('migration as m', 'm.id', 'r.migration_id')
      .where('r.migration_id', migrationId)
      .select('r.*', 'm.state as state')
      .first();
    if (!row) return undefined;
    const waves = await this.db('rollout_wave')
      .where('migration_id', migrationId)
      .orderBy('wave_index', 'asc');
    return {
      migrationId,
      state: row.state,
      // Plans stored before requireValidation existed did not require it.
      plan: { requireValidation: false, ...JSON.parse(row.plan) },
      critical: Boolean(row.critical),
      currentWave: row.current_wave,
      ...(row.paused_reason ? { pausedReason: row.paused_reason } : {}),
      ...(row.health_read_at
        ? { healthReadAt: new Date(timestamp(row.health_read_at)) }
        : {}),
      version: row.version,
      ...(row.auto_approver
        ? {
            autoApproval: {
              reviewer: row.auto_approver,
              reason: row.auto_approval_reason ?? '',
            },
          }
        : {}),
      waves: waves.map(w => ({
        index: w.wave_index,
        name: w.name,
        ...(w.started_at ? { startedAt: timestamp(w.started_at) } : {}),
        ...(w.completed_at ? { completedAt: timestamp(w.completed_at) } : {}),
      })),
    };
  }

  /** The rollouts to look after: rolling out, paused, or rolled back with deliveries left to revert. */
  async listActiveRollouts(): Promise<string[]> {
    const rows = await this.db('rollout as r')
      .join('migration as m', 'm.id', 'r.migration_id')
      .whereIn('m.state', ['rolling_out', 'paused', 'rolled_back'])
      .orderBy('m.seq', 'asc')
      .select('r.migration_id');
    return rows.map(r => r.migration_id);
  }

  /** The rollout's consumers in plan order, or those named. */
  async listConsumers(
    migrationId: string,
    consumerRefs?: string[],
  ): Promise<RolloutConsumer[]> {
    const query = this.db<ConsumerRow>('rollout_consumer')
      .where('migration_id', migrationId)
      .orderBy('position', 'asc');
    if (consumerRefs) {
      query.whereIn('consumer_ref', consumerRefs.map(ref));
    }
    return (await query).map(toRolloutConsumer);
  }

  async start(input: NewRollout): Promise<void> {
    await startRollout(this.db, input);
  }

  async advance(input: Parameters<RolloutStore['advance']>[0]) {
    return advanceRollout(this.db, input);
  }

  async resume(input: { migrationId: string; actor: string }): Promise<void> {
    await resumeRollout(this.db, input);
  }

  async joinApproved(migrationId: string) {
    return joinApproved(this.db, migrationId);
  }

  async recordAutoApprovals(
    input: Parameters<RolloutStore['recordAutoApprovals']>[0],
  ) {
    return recordAutoApprovals(this.db, input);
  }

  /**
   * Pauses a rolling-out migration, with why. With `only` a consumer's
   * health is also recorded in the same transaction (a breach).
   */
  async pause(input: {
    migrationId: string;
    reason: string;
    actor?: string;
    events?: RolloutEvent[];
  }): Promise<void> {
    await this.db.transaction(async trx => {
      const row = await getRolloutRow(trx, input.migrationId);
      await moveMigration(trx, {
        migrationId: input.migrationId,
        to: 'paused',
        actor: input.actor,
        message: `Rollout paused: ${input.reason}`,
        data: { reason: input.reason },
      });
      await casRollout(trx, row, { paused_reason: input.reason });
      await insertEvents(trx, input.migrationId, input.events, input.actor);
    });
  }

  async pauseForValidation(
    input: Parameters<RolloutStore['pauseForValidation']>[0],
  ): Promise<boolean> {
    return this.db.transaction(async trx => {
      const migration = await getMigrationRow(trx, input.migrationId);
      if (migration.state !== 'rolling_out') return false;
      let marked = 0;
      for (const { consumerRef, validationId } of input.validations) {
        marked += await trx('rollout_consumer')
          .where({
            migration_id: input.migrationId,
            consumer_ref: ref(consumerRef),
          })
          .where(q =>
            q
              .whereNull('validation_paused_id')
              .orWhereNot('validation_paused_id', validationId),
          )
          .update({ validation_paused_id: validationId });
      }
      // Each of them paused the rollout already: a person resumed it since.
      if (!marked) return false;
      const row = await getRolloutRow(trx, input.migrationId);
      await moveMigration(trx, {
        migrationId: input.migrationId,
        to: 'paused',
        message: `Rollout paused: ${input.reason}`,
        data: { reason: input.reason },
      });
      await casRollout(trx, row, { paused_reason: input.reason });
      return true;
    });
  }

  async rejectedConsumers(
    migrationId: string,
    consumerRefs: string[],
  ): Promise<Set<string>> {
    const rejected = new Set<string>();
    const refs = consumerRefs.map(ref);
    for (let i = 0; i < refs.length; i += 500) {
      const rows = await this.db('migration_consumer as c')
        .join('review as r', 'r.id', 'c.current_review_id')
        .where('c.migration_id', migrationId)
        .whereIn('c.consumer_ref', refs.slice(i, i + 500))
        .where('r.decision', 'reject')
        .select('c.consumer_ref');
      for (const row of rows) rejected.add(row.consumer_ref);
    }
    return rejected;
  }

  /** Moves the migration to `rolled_back`; the deliveries are reverted after. */
  async rollBack(input: {
    migrationId: string;
    actor: string;
    reason?: string;
  }): Promise<void> {
    await this.db.transaction(async trx => {
      const row = await getRolloutRow(trx, input.migrationId);
      await moveMigration(trx, {
        migrationId: input.migrationId,
        to: 'rolled_back',
        actor: input.actor,
        message: input.reason
          ? `Rollout rolled back: ${input.reason}`
          : 'Rollout rolled back',
      });
      await casRollout(trx, row, { paused_reason: null });
    });
  }

  /** Holds a consumer (or releases it): a held consumer is not delivered. */
  async setHeld(input: {
    migrationId: string;
    consumerRef: string;
    held: boolean;
    actor: string;
    event?: RolloutEvent;
  }): Promise<void> {
    await this.db.transaction(async trx => {
      const row = await getRolloutConsumerRow(
        trx,
        input.migrationId,
        input.consumerRef,
      );
      const rollout = await getRolloutRow(trx, input.migrationId);
      const now = new Date();
      await trx('rollout_consumer')
        .where({ id: row.id })
        .update({
          held: input.held,
          // Released, a reverted or failed consumer of a started wave is
          // delivered again.
          ...(!input.held &&
          (row.delivery_status === 'reverted' ||
            row.delivery_status === 'failed')
            ? {
                delivery_status:
                  row.wave_index <= rollout.current_wave ? 'pending' : null,
                claimed_at: null,
                health: 'unknown',
                health_reason: null,
                health_source: null,
              }
            : {}),
          updated_at: now,
        });
      await insertEvents(
        trx,
        input.migrationId,
        input.event && [input.event],
        input.actor,
      );
    });
  }

  async claim(
    migrationId: string,
    consumerRef: string,
  ): Promise<Claim | undefined> {
    const now = new Date();
    const token = randomUUID();
    const updated = await this.consumerRow(migrationId, consumerRef)
      .where(q =>
        q
          .whereNull('claimed_at')
          .orWhere(
            'claimed_at',
            '<',
            new Date(now.getTime() - this.claimTimeoutMs),
          ),
      )
      .update({ claimed_at: now, claim_token: token });
    return updated === 1 ? token : undefined;
  }

  async renewClaim(
    migrationId: string,
    consumerRef: string,
    claim: Claim,
  ): Promise<Claim | undefined> {
    // Still this runner's, and not released by its own write meanwhile.
    const updated = await this.consumerRow(migrationId, consumerRef)
      .where('claim_token', claim)
      .whereNotNull('claimed_at')
      .update({ claimed_at: new Date() });
    return updated === 1 ? claim : undefined;
  }

  async release(
    migrationId: string,
    consumerRef: string,
    claim: Claim,
  ): Promise<void> {
    await this.consumerRow(migrationId, consumerRef)
      .where('claim_token', claim)
      .update({ claimed_at: null, claim_token: null });
  }

  /** Records what a delivery method did for a consumer, and releases its claim. */
  async recordDelivery(input: {
    migrationId: string;
    consumerRef: string;
    delivery: Delivery;
    patchId?: number;
    event?: RolloutEvent;
  }): Promise<void> {
    const { delivery } = input;
    await this.db.transaction(async trx => {
      const row = await getRolloutConsumerRow(
        trx,
        input.migrationId,
        input.consumerRef,
      );
      const now = new Date();
      const newlyDelivered =
        (delivery.status === 'delivered' || delivery.status === 'merged') &&
        row.delivery_status !== 'delivered' &&
        row.delivery_status !== 'merged';
      await trx('rollout_consumer')
        .where({ id: row.id })
        .update({
          delivery_status: delivery.status,
          delivery_method: delivery.method,
          delivery: JSON.stringify(delivery),
          ...(input.patchId !== undefined
            ? { delivered_patch_id: input.patchId }
            : {}),
          ...(newlyDelivered ? { delivered_at: now } : {}),
          // When it runs the patch: from the first time it is seen merged.
          merged_at: delivery.status === 'merged' ? row.merged_at ?? now : null,
          claimed_at: null,
          updated_at: now,
        });
      await insertEvents(trx, input.migrationId, input.event && [input.event]);
    });
  }

  async recordRetry(input: {
    migrationId: string;
    consumerRef: string;
    retry: NonNullable<Delivery['retry']>;
    event?: RolloutEvent;
  }): Promise<void> {
    await this.db.transaction(async trx => {
      const row = await getRolloutConsumerRow(
        trx,
        input.migrationId,
        input.consumerRef,
      );
      const state: Delivery | undefined = row.delivery
        ? JSON.parse(row.delivery)
        : undefined;
      await trx('rollout_consumer')
        .where({ id: row.id })
        .update({
          ...(state
            ? { delivery: JSON.stringify({ ...state, retry: input.retry }) }
            : {}),
          claimed_at: null,
        });
      await insertEvents(trx, input.migrationId, input.event && [input.event]);
    });
  }

  /**
   * Records a health signal, and judges it when it is newer than the last
   * one judged for the consumer: see {@link recordHealthSignal}.
   */
  async recordHealth(
    input: HealthSignalInput,
  ): Promise<{ recorded: boolean; judged: boolean; paused: boolean }> {
    return healthSignals.recordHealthSignal(this.db, input);
  }

  lastSignalBefore(
    migrationId: string,
    consumerRef: string,
    before: Date,
  ): Promise<HealthSignals | undefined> {
    return healthSignals.lastSignalBefore(
      this.db,
      migrationId,
      consumerRef,
      before,
    );
  }

  consumersWithSignalsSince(
    migrationId: string,
    since: Map<string, Date>,
  ): Promise<Set<string>> {
    return healthSignals.consumersWithSignalsSince(this.db, migrationId, since);
  }

  successfulRuns(
    migrationId: string,
    mergedAt: Map<string, Date>,
  ): Promise<{ knowsRuns: Set<string>; firstSuccess: Map<string, Date> }> {
    return healthSignals.successfulRuns(this.db, migrationId, mergedAt);
  }

  latestSignals(
    migrationId: string,
    source?: string,
  ): Promise<Map<string, LatestSignal>> {
    return healthSignals.latestSignals(this.db, migrationId, source);
  }

  /** One of a consumer's patches, by id (the one delivered, say). */
  async getPatch(
    migrationId: string,
    consumerRef: string,
    patchId: number,
  ): Promise<Patch | undefined> {
    const row = await this.db('patch as p')
      .join('migration_consumer as c', 'c.id', 'p.consumer_id')
      .where({
        'p.id': patchId,
        'c.migration_id': migrationId,
        'c.consumer_ref': ref(consumerRef),
      })
      .select('p.*', 'c.migration_id', 'c.consumer_ref')
      .first();
    return row && toPatch(row, row);
  }

  async recordGateDecision(
    migrationId: string,
    decision: string,
    event: RolloutEvent,
  ): Promise<boolean> {
    return this.db.transaction(async trx => {
      // A compare-and-set on the decision itself: of two replicas deciding
      // the same, one records it.
      const updated = await trx('rollout')
        .where('migration_id', migrationId)
        .where(q =>
          q.whereNull('gate_decision').orWhereNot('gate_decision', decision),
        )
        .update({ gate_decision: decision });
      if (updated !== 1) return false;
      await insertEvents(trx, migrationId, [event]);
      return true;
    });
  }

  async setHealthReadAt(migrationId: string, at: Date): Promise<void> {
    await this.db('rollout')
      .where('migration_id', migrationId)
      .update({ health_read_at: at });
  }

  async getCompatViewApplied(
    migrationId: string,
  ): Promise<CompatViewRecord | undefined> {
    return getCompatViewRecord(this.db, migrationId);
  }

  /** Records that the compatibility view was applied; idempotent. */
  async markCompatViewApplied(input: CompatViewMark): Promise<void> {
    await this.db.transaction(async trx => {
      await getMigrationRow(trx, input.migrationId);
      await insertCompatView(trx, input);
    });
  }

  private consumerRow(migrationId: string, consumerRef: string) {
    return this.db('rollout_consumer').where({
      migration_id: migrationId,
      consumer_ref: ref(consumerRef),
    });
  }
}

function toRolloutConsumer(row: ConsumerRow): RolloutConsumer {
  const state: Delivery | undefined = row.delivery
    ? JSON.parse(row.delivery)
    : undefined;
  return {
    consumerRef: row.consumer_ref,
    wave: row.wave_index,
    position: row.position,
    ...(row.delivery_status
      ? {
          delivery: {
            status: row.delivery_status,
            method: row.delivery_method ?? state?.method ?? 'pending',
            ...(state?.url ? { url: state.url } : {}),
            ...(state?.branch ? { branch: state.branch } : {}),
            ...(state?.commit ? { commit: state.commit } : {}),
            ...(state?.checks ? { checks: state.checks } : {}),
            ...(state?.failedChecks?.length
              ? { failedChecks: state.failedChecks }
              : {}),
            ...(state?.message ? { message: state.message } : {}),
            ...(row.delivered_patch_id !== null
              ? { patchId: row.delivered_patch_id }
              : {}),
            updatedAt: timestamp(row.updated_at),
            ...(state ? { state } : {}),
          },
        }
      : {}),
    ...(row.delivered_at
      ? { deliveredAt: new Date(timestamp(row.delivered_at)) }
      : {}),
    ...(row.merged_at ? { mergedAt: new Date(timestamp(row.merged_at)) } : {}),
    held: Boolean(row.held),
    health: row.health,
    ...(row.health_reason ? { healthReason: row.health_reason } : {}),
    ...(row.health_source ? { healthSource: row.health_source } : {}),
    ...(row.validation_paused_id !== null &&
    row.validation_paused_id !== undefined
      ? { validationPausedId: Number(row.validation_paused_id) }
      : {}),
    updatedAt: new Date(timestamp(row.updated_at)),
  };
}
