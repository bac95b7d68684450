import type {
  ConsumerHealth,
  HealthSignals,
} from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import { moveMigration } from './migrationState';
import { getMigrationRow, ref, timestamp, type Timestamp } from './rows';
import type { LatestSignal } from './RolloutStore';
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
        last_success_at: input.signals.lastSuccessAt
          ? new Date(input.signals.lastSuccessAt)
          : null,
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
        // updated_at stays: it says when the delivery last changed, and the
        // deliveries' read-back is spaced from it. Signals arriving more
        // often than syncMinutes would otherwise keep a merge unseen.
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

/** The consumer's latest signal observed before `before` (its baseline). */
export async function lastSignalBefore(
  db: Knex,
  migrationId: string,
  consumerRef: string,
  before: Date,
): Promise<HealthSignals | undefined> {
  const latest = (column?: string) => {
    const query = db('health_signal')
      .where({ migration_id: migrationId, consumer_ref: ref(consumerRef) })
      .whereNot('source', CHECKS_SOURCE)
      .where('observed_at', '<', before);
    if (column) query.whereNotNull(column);
    return query.orderBy('observed_at', 'desc').first();
  };
  const row = await latest();
  if (!row) return undefined;
  // The relative gates compare with the latest value of their own: a
  // source that reports no duration must not hide another's.
  const [duration, errorRate] = await Promise.all([
    latest('duration_seconds'),
    latest('error_rate'),
  ]);
  return {
    ...toSignals(row),
    ...(duration ? { durationSeconds: Number(duration.duration_seconds) } : {}),
    ...(errorRate ? { errorRate: Number(errorRate.error_rate) } : {}),
  };
}

/** Consumers with a signal observed since `since` (each one's own time). */
export async function consumersWithSignalsSince(
  db: Knex,
  migrationId: string,
  since: Map<string, Date>,
): Promise<Set<string>> {
  const rows = await db('health_signal')
    .where('migration_id', migrationId)
    .whereIn('consumer_ref', [...since.keys()])
    .whereNot('source', CHECKS_SOURCE)
    .groupBy('consumer_ref')
    .select('consumer_ref', { latest: db.raw('max(observed_at)') });
  return new Set(
    rows
      .filter(r => new Date(timestamp(r.latest)) >= since.get(r.consumer_ref)!)
      .map(r => r.consumer_ref),
  );
}

/** Each consumer's latest signal, from one source or from any. */
export async function latestSignals(
  db: Knex,
  migrationId: string,
  source?: string,
): Promise<Map<string, LatestSignal>> {
  const scope = source
    ? { migration_id: migrationId, source }
    : { migration_id: migrationId };
  const latest = db('health_signal')
    .where(scope)
    .groupBy('consumer_ref')
    .select('consumer_ref', { observed_at: db.raw('max(observed_at)') });
  const rows = await db('health_signal as s')
    .join(latest.as('l'), join =>
      join
        .on('l.consumer_ref', 's.consumer_ref')
        .andOn('l.observed_at', 's.observed_at'),
    )
    .where('s.migration_id', migrationId)
    .modify(q => {
      if (source) q.where('s.source', source);
    })
    .orderBy('s.id')
    .select<SignalRow[]>('s.*');
  // Two sources may observe at the same moment: the one recorded last.
  return new Map(
    rows.map(row => [
      row.consumer_ref,
      {
        source: row.source,
        observedAt: new Date(timestamp(row.observed_at)),
        signals: toSignals(row),
      },
    ]),
  );
}

type SignalRow = {
  consumer_ref: string;
  source: string;
  observed_at: Timestamp;
  error_rate: number | null;
  freshness_minutes: number | null;
  row_count: number | string | null;
  failed_runs: number | null;
  failed_checks: number | null;
  duration_seconds: number | null;
  last_success_at?: Timestamp | null;
};

function toSignals(row: {
  error_rate: number | null;
  freshness_minutes: number | null;
  row_count: number | string | null;
  failed_runs: number | null;
  failed_checks?: number | null;
  duration_seconds?: number | null;
  last_success_at?: Timestamp | null;
}): HealthSignals {
  return {
    ...(row.error_rate !== null ? { errorRate: Number(row.error_rate) } : {}),
    ...(row.freshness_minutes !== null
      ? { freshnessMinutes: Number(row.freshness_minutes) }
      : {}),
    // bigint: PostgreSQL returns it as a string.
    ...(row.row_count !== null ? { rowCount: Number(row.row_count) } : {}),
    ...(row.failed_runs !== null ? { failedRuns: row.failed_runs } : {}),
    ...(row.failed_checks !== null && row.failed_checks !== undefined
      ? { failedChecks: row.failed_checks }
      : {}),
    ...(row.duration_seconds !== null && row.duration_seconds !== undefined
      ? { durationSeconds: Number(row.duration_seconds) }
      : {}),
    ...(row.last_success_at
      ? {
          lastSuccessAt: new Date(timestamp(row.last_success_at)).toISOString(),
        }
      : {}),
  };
}

/**
 * For consumers merged at the given times: which of them a source knows
 * the runs of (a signal with `last_success_at`, ever), and when each first
 * ran successfully at or after its merge.
 */
export async function successfulRuns(
  db: Knex,
  migrationId: string,
  mergedAt: Map<string, Date>,
): Promise<{ knowsRuns: Set<string>; firstSuccess: Map<string, Date> }> {
  const knowsRuns = new Set<string>();
  const firstSuccess = new Map<string, Date>();
  if (!mergedAt.size) return { knowsRuns, firstSuccess };
  const rows = await db('health_signal')
    .where('migration_id', migrationId)
    .whereIn('consumer_ref', [...mergedAt.keys()])
    .whereNotNull('last_success_at')
    .select('consumer_ref', 'last_success_at');
  for (const row of rows) {
    knowsRuns.add(row.consumer_ref);
    const at = new Date(timestamp(row.last_success_at));
    const merged = mergedAt.get(row.consumer_ref)!;
    const first = firstSuccess.get(row.consumer_ref);
    if (at >= merged && (!first || at < first)) {
      firstSuccess.set(row.consumer_ref, at);
    }
  }
  return { knowsRuns, firstSuccess };
}
