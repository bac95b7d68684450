import type {
  ConsumerHealth,
  HealthSignals,
} from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import { moveMigration } from './migrationState';
import { getMigrationRow, ref } from './rows';
import {
  casRollout,
  getRolloutRow,
  insertEvents,
  RolloutEvent,
} from './rolloutRows';

/**
 * The source of the signals read from a delivery's checks (its pull
 * request's CI, its branch's statuses): a breach like any other, but no
 * baseline, and not a sign of how the patch runs (`requireSignals`).
 */
export const CHECKS_SOURCE = 'checks';

/** A health signal to record, with its verdict when the consumer is delivered. */
export type HealthSignalInput = {
  migrationId: string;
  consumerRef: string;
  source: string;
  signals: HealthSignals;
  observedAt: Date;
  /** The verdict on the signal; without it the signal is a baseline only. */
  health?: { health: ConsumerHealth; reason?: string };
  /** Recorded only when the signal is judged. */
  events?: RolloutEvent[];
  /** Pauses a rolling-out migration with this reason, when judged. */
  pause?: string;
};

/**
 * Records a health signal in one transaction, and judges it (the consumer's
 * health, its events, a pause) only when it was observed after the last
 * signal judged for the consumer: an old signal arriving late (or sent
 * again) cannot undo a newer verdict, a breach included.
 *
 * Idempotent and race-free: the same signal (consumer, source, time) sent
 * twice at once is inserted once (`ON CONFLICT DO NOTHING` on its unique
 * index, so neither request fails), and the verdict is a compare-and-set
 * on the consumer's `health_observed_at`, so of two signals racing the
 * newer one's verdict stands.
 */
export async function recordHealthSignal(
  db: Knex,
  input: HealthSignalInput,
): Promise<{ recorded: boolean; judged: boolean; paused: boolean }> {
  return db.transaction(async trx => {
    const consumerRef = ref(input.consumerRef);
    const now = new Date();
    const inserted = await trx('health_signal')
      .insert({
        migration_id: input.migrationId,
        consumer_ref: consumerRef,
        source: input.source,
        error_rate: input.signals.errorRate ?? null,
        freshness_minutes: input.signals.freshnessMinutes ?? null,
        row_count: input.signals.rowCount ?? null,
        failed_runs: input.signals.failedRuns ?? null,
        failed_checks: input.signals.failedChecks ?? null,
        duration_seconds: input.signals.durationSeconds ?? null,
        observed_at: input.observedAt,
        created_at: now,
      })
      .onConflict(['migration_id', 'consumer_ref', 'source', 'observed_at'])
      .ignore()
      .returning('id');
    if (!inserted.length) {
      return { recorded: false, judged: false, paused: false };
    }
    if (!input.health) {
      return { recorded: true, judged: false, paused: false };
    }
    const updated = await trx('rollout_consumer')
      .where({ migration_id: input.migrationId, consumer_ref: consumerRef })
      .where(q =>
        q
          .whereNull('health_observed_at')
          .orWhere('health_observed_at', '<', input.observedAt),
      )
      .update({
        health: input.health.health,
        health_reason: input.health.reason ?? null,
        health_source: input.source,
        health_observed_at: input.observedAt,
        updated_at: now,
      });
    if (updated !== 1) {
      return { recorded: true, judged: false, paused: false };
    }
    await insertEvents(trx, input.migrationId, input.events);
    let paused = false;
    if (input.pause) {
      const migration = await getMigrationRow(trx, input.migrationId);
      if (migration.state === 'rolling_out') {
        const row = await getRolloutRow(trx, input.migrationId);
        await moveMigration(trx, {
          migrationId: input.migrationId,
          to: 'paused',
          message: `Rollout paused: ${input.pause}`,
          data: { reason: input.pause },
        });
        await casRollout(trx, row, { paused_reason: input.pause });
        paused = true;
      }
    }
    return { recorded: true, judged: true, paused };
  });
}
