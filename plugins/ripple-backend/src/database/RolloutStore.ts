import { ConflictError } from '@backstage/errors';
import type {
  ConsumerDelivery,
  ConsumerHealth,
  HealthSignals,
  MigrationState,
  Patch,
  RolloutPlan,
} from '@ripple/backstage-plugin-ripple-common';
import type { Delivery } from '@ripple/backstage-plugin-ripple-node';
import { Knex } from 'knex';
import {
  getMigrationRow,
  insertEvent,
  insertReturningId,
  moveMigration,
  ref,
  toPatch,
  timestamp,
} from './DatabaseMigrationStore';
import {
  casRollout,
  ConsumerRow,
  getRolloutConsumerRow,
  getRolloutRow,
  insertEvents,
  RolloutEvent,
} from './rolloutRows';
import { HealthSignalInput, recordHealthSignal } from './healthSignals';
import {
  CompatViewMark,
  CompatViewRecord,
  getCompatViewRecord,
  insertCompatView,
} from './compatViewRows';

/** A started rollout as stored. */
export type RolloutRecord = {
  migrationId: string;
  state: MigrationState;
  plan: RolloutPlan;
  critical: boolean;
  currentWave: number;
  pausedReason?: string;
  healthReadAt?: Date;
  version: number;
  /** The reviewer of auto-approvals and why; absent when the plan does not auto-approve. */
  autoApproval?: AutoApproval;
  waves: {
    index: number;
    name: string;
    startedAt?: string;
    completedAt?: string;
  }[];
};

/** The policy that auto-approves a rollout's patches, recorded as their reviewer. */
export type AutoApproval = { reviewer: string; reason: string };

/** A consumer in a rollout. */
export type RolloutConsumer = {
  consumerRef: string;
  wave: number;
  position: number;
  /** Absent until its wave starts. */
  delivery?: ConsumerDelivery & { state?: Delivery };
  deliveredAt?: Date;
  held: boolean;
  health: ConsumerHealth;
  healthReason?: string;
  updatedAt: Date;
};

/** A timeline event written with a rollout change. */
export type { RolloutEvent } from './rolloutRows';

/**
 * After this long, a claim on a consumer (a delivery in flight) is taken
 * over: its runner died. Until then a consumer whose runner crashed waits.
 */
const CLAIM_TIMEOUT_MS = 10 * 60_000;

/**
 * The rollout's storage, next to the migrations' (docs/rollout.md). Every
 * write is one transaction with its timeline events; a move of the
 * migration's state goes through the migrations' compare-and-set, and a move
 * of the rollout (its wave) through a compare-and-set on its version.
 */
export class RolloutStore {
  private readonly claimTimeoutMs: number;

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
      plan: JSON.parse(row.plan),
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

  /**
   * Starts a rollout: the migration moves from `from` to `rolling_out`, the
   * waves and consumers are written, and the first wave starts. With
   * `compatView`, the compatibility view is recorded as applied (or
   * overridden) in the same transaction: a start that fails marks nothing.
   */
  async start(input: {
    migrationId: string;
    from: MigrationState;
    plan: RolloutPlan;
    critical: boolean;
    waves: { name: string; consumers: string[] }[];
    autoApproval?: AutoApproval;
    actor: string;
    compatView?: Omit<CompatViewMark, 'migrationId'>;
  }): Promise<void> {
    const { migrationId } = input;
    await this.db.transaction(async trx => {
      const now = new Date();
      await moveMigration(trx, {
        migrationId,
        to: 'rolling_out',
        actor: input.actor,
        message: `Rollout started: ${input.waves
          .map(w => `${w.name} (${w.consumers.length})`)
          .join(', ')}`,
      });
      // After the state's compare-and-set: of two starts racing, the second
      // fails there (a conflict the service settles), not on this row.
      if (input.compatView) {
        await insertCompatView(trx, { migrationId, ...input.compatView });
      }
      await trx('rollout').insert({
        migration_id: migrationId,
        plan: JSON.stringify(input.plan),
        critical: input.critical,
        current_wave: 0,
        paused_reason: null,
        health_read_at: null,
        version: 1,
        auto_approver: input.autoApproval?.reviewer ?? null,
        auto_approval_reason: input.autoApproval?.reason ?? null,
        created_at: now,
        updated_at: now,
      });
      if (input.waves.length) {
        await trx('rollout_wave').insert(
          input.waves.map((wave, index) => ({
            migration_id: migrationId,
            wave_index: index,
            name: wave.name,
            started_at: index === 0 ? now : null,
            completed_at: null,
          })),
        );
      }
      let position = 0;
      const rows = input.waves.flatMap((wave, index) =>
        wave.consumers.map(consumerRef => ({
          migration_id: migrationId,
          consumer_ref: ref(consumerRef),
          wave_index: index,
          position: position++,
          delivery_status: index === 0 ? 'pending' : null,
          held: false,
          health: 'unknown',
          updated_at: now,
        })),
      );
      // Chunks keep each insert under SQLite's limit on bound parameters.
      for (let i = 0; i < rows.length; i += 500) {
        await trx('rollout_consumer').insert(rows.slice(i, i + 500));
      }
      await insertEvent(trx, {
        migrationId,
        type: 'rollout-started',
        message: `Rollout started in ${input.waves.length} waves over ${rows.length} consumers`,
        actor: ref(input.actor),
        data: {
          plan: input.plan,
          waves: input.waves.map(w => ({
            name: w.name,
            consumers: w.consumers.length,
          })),
        },
        now,
      });
      if (input.waves.length) {
        await insertEvent(
          trx,
          waveStartedEvent(migrationId, 0, input.waves[0].name, now),
        );
      }
    });
  }

  /**
   * Completes the active wave `fromWave` and starts the next one, or
   * completes the migration after the last one. Nothing happens (false)
   * when the rollout is no longer at `fromWave`: another advance won.
   */
  async advance(input: {
    migrationId: string;
    fromWave: number;
    actor?: string;
    message: string;
  }): Promise<boolean> {
    const { migrationId, fromWave } = input;
    return this.db.transaction(async trx => {
      const migration = await getMigrationRow(trx, migrationId);
      if (migration.state !== 'rolling_out') {
        throw new ConflictError(
          `Migration ${migrationId} is ${migration.state}; only a rollout that is rolling out advances`,
        );
      }
      const row = await getRolloutRow(trx, migrationId);
      if (row.current_wave !== fromWave) {
        return false;
      }
      const waves = await trx('rollout_wave')
        .where('migration_id', migrationId)
        .orderBy('wave_index', 'asc');
      const now = new Date();
      await casRollout(trx, row, {
        current_wave: Math.min(fromWave + 1, waves.length - 1),
      });
      const current = waves[fromWave];
      await trx('rollout_wave')
        .where({ migration_id: migrationId, wave_index: fromWave })
        .update({ completed_at: now });
      await insertEvent(trx, {
        migrationId,
        type: 'wave-completed',
        message: `Wave ${current.name} completed: ${input.message}`,
        actor: input.actor && ref(input.actor),
        data: { wave: fromWave },
        now,
      });
      const next = waves[fromWave + 1];
      if (!next) {
        await moveMigration(trx, {
          migrationId,
          to: 'completed',
          actor: input.actor,
          message: 'Rollout completed: every wave is delivered',
        });
        return true;
      }
      await trx('rollout_wave')
        .where({ migration_id: migrationId, wave_index: fromWave + 1 })
        .update({ started_at: now });
      await trx('rollout_consumer')
        .where({ migration_id: migrationId, wave_index: fromWave + 1 })
        .whereNull('delivery_status')
        .update({ delivery_status: 'pending', updated_at: now });
      await insertEvent(
        trx,
        waveStartedEvent(
          migrationId,
          fromWave + 1,
          next.name,
          now,
          input.actor,
        ),
      );
      return true;
    });
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

  /**
   * Moves the migration back to `rolling_out`: from `paused` where it was;
   * from `rolled_back` from its first wave again, every delivery reset.
   */
  async resume(input: { migrationId: string; actor: string }): Promise<void> {
    const { migrationId } = input;
    await this.db.transaction(async trx => {
      const row = await getRolloutRow(trx, migrationId);
      const { state: from } = await getMigrationRow(trx, migrationId);
      await moveMigration(trx, {
        migrationId,
        to: 'rolling_out',
        actor: input.actor,
        message:
          from === 'rolled_back'
            ? 'Rollout resumed from its first wave'
            : 'Rollout resumed',
      });
      const now = new Date();
      if (from === 'rolled_back') {
        await casRollout(trx, row, {
          paused_reason: null,
          current_wave: 0,
          health_read_at: null,
        });
        await trx('rollout_wave')
          .where('migration_id', migrationId)
          .update({ started_at: null, completed_at: null });
        await trx('rollout_wave')
          .where({ migration_id: migrationId, wave_index: 0 })
          .update({ started_at: now });
        await trx('rollout_consumer')
          .where('migration_id', migrationId)
          .update({
            delivery_status: trx.raw(
              `case when wave_index = 0 then 'pending' else null end`,
            ),
            held: false,
            health: 'unknown',
            health_reason: null,
            claimed_at: null,
            updated_at: now,
          });
        const first = await trx('rollout_wave')
          .where({ migration_id: migrationId, wave_index: 0 })
          .first();
        if (first) {
          await insertEvent(
            trx,
            waveStartedEvent(migrationId, 0, first.name, now, input.actor),
          );
        }
      } else {
        await casRollout(trx, row, { paused_reason: null });
      }
    });
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

  /**
   * Consumers found after the rollout started whose current patch is now
   * approved join it: each goes into the first wave not yet started, or a
   * new last wave (`late`) when every wave has started, after every
   * consumer already planned, with a `consumer-joined` event. The rollout's
   * version is compare-and-set, so an advance racing with the join makes
   * one of them fail (and the step tries again) rather than start a wave
   * without the newcomer's delivery.
   */
  async joinApproved(
    migrationId: string,
  ): Promise<{ consumerRef: string; wave: number }[]> {
    return this.db.transaction(async trx => {
      const rows: { consumer_ref: string; patch_id: number }[] = await trx(
        'migration_consumer as c',
      )
        .join('patch as p', 'p.id', 'c.current_patch_id')
        .join('review as r', 'r.id', 'c.current_review_id')
        .leftJoin('rollout_consumer as rc', join =>
          join
            .on('rc.migration_id', 'c.migration_id')
            .andOn('rc.consumer_ref', 'c.consumer_ref'),
        )
        .where('c.migration_id', migrationId)
        .whereNull('c.removed_at')
        .whereNull('rc.id')
        .whereIn('p.status', ['rewritten', 'needs_edit'])
        .where('p.stale', false)
        .where('r.decision', 'approve')
        .orderBy('c.consumer_ref', 'asc')
        .select('c.consumer_ref', 'p.id as patch_id');
      if (!rows.length) return [];
      const migration = await getMigrationRow(trx, migrationId);
      if (migration.state !== 'rolling_out' && migration.state !== 'paused') {
        return [];
      }
      const rollout = await getRolloutRow(trx, migrationId);
      const waves = await trx('rollout_wave')
        .where('migration_id', migrationId)
        .orderBy('wave_index', 'asc');
      const now = new Date();
      let target = waves.find(w => !w.started_at);
      const newWave = !target;
      if (!target) {
        const names = new Set(waves.map(w => w.name));
        let name = 'late';
        for (let n = 2; names.has(name); n++) name = `late ${n}`;
        target = {
          migration_id: migrationId,
          wave_index: waves.length,
          name,
          started_at: null,
          completed_at: null,
        };
        await trx('rollout_wave').insert(target);
      }
      await casRollout(trx, rollout, {});
      const last = await trx('rollout_consumer')
        .where('migration_id', migrationId)
        .max({ position: 'position' })
        .first();
      let position = Number(last?.position ?? -1) + 1;
      for (const row of rows) {
        await trx('rollout_consumer').insert({
          migration_id: migrationId,
          consumer_ref: row.consumer_ref,
          wave_index: target.wave_index,
          position: position++,
          delivery_status: null,
          held: false,
          health: 'unknown',
          updated_at: now,
        });
        await insertEvent(trx, {
          migrationId,
          type: 'consumer-joined',
          message: `${
            row.consumer_ref
          }, found after the rollout started, joined wave ${target.name}${
            newWave
              ? ' (added as the last wave: every other wave had started)'
              : ''
          }`,
          consumerRef: row.consumer_ref,
          data: {
            wave: target.wave_index,
            waveName: target.name,
            newWave,
            patchId: row.patch_id,
          },
          now,
        });
      }
      return rows.map(r => ({
        consumerRef: r.consumer_ref,
        wave: target!.wave_index,
      }));
    });
  }

  /**
   * Records an approval by the rollout's auto-approval policy for every
   * consumer of the migration whose current patch is `rewritten`, not stale
   * and not reviewed: a review like a person's (with its `review-recorded`
   * event), so the patch counts as approved everywhere a decision is read.
   * Each review is conditional on the consumer still pointing at that patch
   * without a review, so a person's review or a new patch version written
   * meanwhile (or another replica's auto-approval) wins and is kept.
   */
  async recordAutoApprovals(input: {
    migrationId: string;
    autoApproval: AutoApproval;
    /** At most this many per call (one transaction). */
    limit?: number;
  }): Promise<{ consumerRef: string; patchId: number; reviewId: number }[]> {
    const { migrationId, autoApproval } = input;
    return this.db.transaction(async trx => {
      const rows: {
        consumer_id: number;
        consumer_ref: string;
        patch_id: number;
        version: number;
      }[] = await trx('migration_consumer as c')
        .join('patch as p', 'p.id', 'c.current_patch_id')
        .where('c.migration_id', migrationId)
        .whereNull('c.removed_at')
        .whereNull('c.current_review_id')
        .where('p.status', 'rewritten')
        .where('p.stale', false)
        .orderBy('c.consumer_ref', 'asc')
        .limit(input.limit ?? 500)
        .select(
          'c.id as consumer_id',
          'c.consumer_ref',
          'p.id as patch_id',
          'p.version',
        );
      const now = new Date();
      const approved = [];
      for (const row of rows) {
        const reviewId = await insertReturningId(trx, 'review', {
          patch_id: row.patch_id,
          sequence: 1,
          decision: 'approve',
          reviewer: autoApproval.reviewer,
          comment: autoApproval.reason,
          created_at: now,
        });
        const updated = await trx('migration_consumer')
          .where({
            id: row.consumer_id,
            current_patch_id: row.patch_id,
            current_review_id: null,
          })
          .update({ current_review_id: reviewId, updated_at: now });
        if (updated !== 1) {
          throw new ConflictError(
            `${row.consumer_ref} was reviewed meanwhile; its auto-approval is retried`,
          );
        }
        await insertEvent(trx, {
          migrationId,
          type: 'review-recorded',
          message: `Patch version ${row.version} of ${row.consumer_ref} auto-approved by ${autoApproval.reviewer}: ${autoApproval.reason}`,
          actor: autoApproval.reviewer,
          consumerRef: row.consumer_ref,
          data: {
            reviewId,
            patchId: row.patch_id,
            decision: 'approve',
            policy: autoApproval.reviewer,
          },
          now,
        });
        approved.push({
          consumerRef: row.consumer_ref,
          patchId: row.patch_id,
          reviewId,
        });
      }
      return approved;
    });
  }

  /**
   * Claims a consumer for a delivery or a revert: true when this runner
   * got it (nobody else holds a fresh claim on it).
   */
  async claim(
    migrationId: string,
    consumerRef: string,
  ): Promise<Date | undefined> {
    const now = new Date();
    const updated = await this.db('rollout_consumer')
      .where({ migration_id: migrationId, consumer_ref: ref(consumerRef) })
      .where(q =>
        q
          .whereNull('claimed_at')
          .orWhere(
            'claimed_at',
            '<',
            new Date(now.getTime() - this.claimTimeoutMs),
          ),
      )
      .update({ claimed_at: now });
    return updated === 1 ? now : undefined;
  }

  async release(migrationId: string, consumerRef: string): Promise<void> {
    await this.db('rollout_consumer')
      .where({ migration_id: migrationId, consumer_ref: ref(consumerRef) })
      .update({ claimed_at: null });
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
          claimed_at: null,
          updated_at: now,
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
    return recordHealthSignal(this.db, input);
  }

  /** The consumer's latest signal observed before `before` (its baseline). */
  async lastSignalBefore(
    migrationId: string,
    consumerRef: string,
    before: Date,
  ): Promise<HealthSignals | undefined> {
    const row = await this.db('health_signal')
      .where({ migration_id: migrationId, consumer_ref: ref(consumerRef) })
      .where('observed_at', '<', before)
      .orderBy('observed_at', 'desc')
      .first();
    return row && toSignals(row);
  }

  /** Consumers with a signal observed since `since` (each one's own time). */
  async consumersWithSignalsSince(
    migrationId: string,
    since: Map<string, Date>,
  ): Promise<Set<string>> {
    const rows = await this.db('health_signal')
      .where('migration_id', migrationId)
      .whereIn('consumer_ref', [...since.keys()])
      .groupBy('consumer_ref')
      .select('consumer_ref', { latest: this.db.raw('max(observed_at)') });
    return new Set(
      rows
        .filter(
          r => new Date(timestamp(r.latest)) >= since.get(r.consumer_ref)!,
        )
        .map(r => r.consumer_ref),
    );
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
    held: Boolean(row.held),
    health: row.health,
    ...(row.health_reason ? { healthReason: row.health_reason } : {}),
    updatedAt: new Date(timestamp(row.updated_at)),
  };
}

function toSignals(row: {
  error_rate: number | null;
  freshness_minutes: number | null;
  row_count: number | string | null;
  failed_runs: number | null;
}): HealthSignals {
  return {
    ...(row.error_rate !== null ? { errorRate: Number(row.error_rate) } : {}),
    ...(row.freshness_minutes !== null
      ? { freshnessMinutes: Number(row.freshness_minutes) }
      : {}),
    // bigint: PostgreSQL returns it as a string.
    ...(row.row_count !== null ? { rowCount: Number(row.row_count) } : {}),
    ...(row.failed_runs !== null ? { failedRuns: row.failed_runs } : {}),
  };
}

function waveStartedEvent(
  migrationId: string,
  index: number,
  name: string,
  now: Date,
  actor?: string,
) {
  return {
    migrationId,
    type: 'wave-started' as const,
    message: `Wave ${name} started`,
    actor: actor && ref(actor),
    data: { wave: index },
    now,
  };
}
