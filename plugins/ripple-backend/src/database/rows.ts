import { ConflictError, NotFoundError } from '@backstage/errors';
import type {
  Consumer,
  Migration,
  MigrationEvent,
  MigrationEventType,
  MigrationState,
  Patch,
  PatchReason,
  PatchSummary,
  Review,
} from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import type { NewEvent } from './MigrationStore';
import type { MigrationFacts } from './progress';

// The migration tables' rows and the helpers every store writing to them
// shares (DatabaseMigrationStore, the rollout's stores).

// Rows as knex reads and writes them. Timestamps are written as Dates and
// read back as Dates (PostgreSQL) or milliseconds (SQLite); booleans come back
// from SQLite as 0 and 1.
export type Timestamp = Date | number | string;

export type MigrationRow = {
  seq?: number;
  id: string;
  dataset_ref: string;
  change: string;
  title: string;
  owner: string;
  state: MigrationState;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  analysis_attempts?: number;
  analysis_retry_at?: Timestamp | null;
  analysis_error?: string | null;
  /** A draft from a schema change (docs/backend.md): its origin and what it keeps. */
  origin?: 'schema-change' | null;
  suggestions?: string | null;
  undecided?: string | null;
  impact_summary?: string | null;
  pending_notification?: string | null;
  schema_before?: string | null;
  suggestion_decisions?: string | null;
  /** The deadline, YYYY-MM-DD (docs/backend.md, "Deadlines and notifications"). */
  target_date?: string | null;
  /** The kill switch (docs/rollout.md): when, by whom and why it stopped. */
  stopped_at?: Timestamp | null;
  stopped_by?: string | null;
  stopped_reason?: string | null;
};

export type EventRow = {
  id: number;
  migration_id: string;
  type: MigrationEventType;
  message: string;
  actor: string | null;
  consumer_ref: string | null;
  data: string | null;
  created_at: Timestamp;
  /** Its place on the timeline, once given (database/eventOrder.ts). */
  seq?: number | string | null;
};

export type ConsumerRow = {
  id: number;
  migration_id: string;
  consumer_ref: string;
  discovered_by: Consumer['discoveredBy'];
  impact: string | null;
  current_patch_id: number | null;
  current_review_id: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  removed_at?: Timestamp | null;
};

export type PatchRow = {
  id: number;
  consumer_id: number;
  version: number;
  diff: string;
  base_hash: string;
  status: Patch['status'];
  reasons: string;
  stale: boolean | number;
  created_at: Timestamp;
  /** Null for patches made before versions were recorded. */
  engine_version?: string | null;
};

/** Entity refs are case-insensitive; the store keeps them in lower case. */
export function ref(entityRef: string): string {
  return entityRef.toLocaleLowerCase('en-US');
}

export function timestamp(value: Timestamp): string {
  // A text timestamp without a zone (SQLite's CURRENT_TIMESTAMP) is UTC.
  if (typeof value === 'string' && !/(Z|[+-]\d\d:?\d\d)$/.test(value)) {
    return new Date(`${value.replace(' ', 'T')}Z`).toISOString();
  }
  return new Date(value).toISOString();
}

export function describeStates(states: readonly string[]): string {
  if (states.length === 0) {
    return 'no state';
  }
  return states.length === 1
    ? states[0]
    : `${states.slice(0, -1).join(', ')} or ${states[states.length - 1]}`;
}

export async function count(query: Knex.QueryBuilder): Promise<number> {
  const [row] = await query
    .clone()
    .clearSelect()
    .clearOrder()
    .count({ count: '*' });
  // PostgreSQL returns counts as strings (bigint).
  return Number(row.count);
}

export async function insertReturningId(
  trx: Knex.Transaction,
  table: string,
  row: object,
): Promise<number> {
  const [inserted] = await trx(table).insert(row).returning('id');
  return Number(typeof inserted === 'object' ? inserted.id : inserted);
}

export async function getMigrationRow(
  trx: Knex.Transaction,
  migrationId: string,
): Promise<MigrationRow> {
  const row = await trx<MigrationRow>('migration')
    .where({ id: migrationId })
    .first();
  if (!row) {
    throw new NotFoundError(`No migration ${migrationId}`);
  }
  return row;
}

/**
 * Writes an event; its id. It has no place on the timeline (`seq`) until
 * it is committed and the next read gives it one (database/eventOrder.ts).
 */
export async function insertEvent(
  trx: Knex.Transaction,
  event: NewEvent & { now: Date },
): Promise<number> {
  const row: Omit<EventRow, 'id'> = {
    migration_id: event.migrationId,
    type: event.type,
    message: event.message,
    actor: event.actor ?? null,
    consumer_ref: event.consumerRef ?? null,
    data: event.data ? JSON.stringify(event.data) : null,
    created_at: event.now,
  };
  return insertReturningId(trx, 'migration_event', row);
}

/** An event as the API serves it: its id is its place on the timeline. */
export function toEvent(row: EventRow): MigrationEvent {
  return {
    id: Number(row.seq ?? row.id),
    migrationId: row.migration_id,
    type: row.type,
    message: row.message,
    ...(row.actor ? { actor: row.actor } : {}),
    ...(row.consumer_ref ? { consumerRef: row.consumer_ref } : {}),
    ...(row.data ? { data: JSON.parse(row.data) } : {}),
    createdAt: timestamp(row.created_at),
  };
}

export function toPatch(
  row: PatchRow,
  consumer: Pick<ConsumerRow, 'migration_id' | 'consumer_ref'>,
): Patch {
  return {
    id: row.id,
    migrationId: consumer.migration_id,
    consumerRef: consumer.consumer_ref,
    version: row.version,
    diff: row.diff,
    baseHash: row.base_hash,
    status: row.status,
    reasons: JSON.parse(row.reasons).map(
      (reason: PatchReason | { path: string; message: string }) =>
        storedReason(reason, row.status),
    ),
    stale: Boolean(row.stale),
    createdAt: timestamp(row.created_at),
    ...(row.engine_version ? { engineVersion: row.engine_version } : {}),
  };
}

/**
 * A stored reason as the API gives it. The schema migration
 * `20261215_reason_kinds.js` converted every reason stored before reasons had
 * kinds; one written after it by an older backend still running beside a
 * newer one (during a rolling upgrade) has none either, and is read as
 * `unclassified`, its place taken out of its message, rather than breaking
 * the patch it belongs to.
 */
export function storedReason(
  reason: PatchReason | { path: string; message: string },
  status: Patch['status'],
): PatchReason {
  if ('kind' in reason) return reason;
  const place = /^line (\d+), column (\d+): /.exec(reason.message);
  const severities: Partial<Record<Patch['status'], PatchReason['severity']>> =
    { error: 'error', needs_edit: 'needs_edit' };
  const severity = severities[status] ?? 'note';
  if (!place) {
    return {
      path: reason.path,
      kind: 'unclassified',
      severity,
      message: reason.message,
    };
  }
  const [line, column] = [Number(place[1]), Number(place[2])];
  return {
    path: reason.path,
    kind: 'unclassified',
    severity,
    line,
    column,
    endLine: line,
    endColumn: column,
    message: reason.message.slice(place[0].length),
  };
}

export type ReviewRow = {
  id: number;
  patch_id: number;
  sequence: number;
  decision: Review['decision'];
  reviewer: string;
  comment: string | null;
  created_at: Timestamp;
};

export type ConsumerListRow = ConsumerRow & {
  patch_version: number | null;
  patch_status: Patch['status'] | null;
  patch_stale: boolean | number | null;
  patch_created_at: Timestamp | null;
  patch_engine_version?: string | null;
  review_patch_id: number | null;
  review_decision: Review['decision'] | null;
  review_reviewer: string | null;
  review_comment: string | null;
  review_created_at: Timestamp | null;
};

export function uniqueToConflict(error: unknown, message: string): unknown {
  const code = (error as { code?: string })?.code;
  // PostgreSQL's unique_violation, SQLite's (better-sqlite3) constraint codes.
  if (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  ) {
    return new ConflictError(message);
  }
  return error;
}

export async function getConsumerRow(
  trx: Knex.Transaction,
  migrationId: string,
  consumerRef: string,
): Promise<ConsumerRow> {
  const row = await trx<ConsumerRow>('migration_consumer')
    .where({ migration_id: migrationId, consumer_ref: consumerRef })
    .first();
  if (!row) {
    await getMigrationRow(trx, migrationId);
    throw new NotFoundError(
      `${consumerRef} is not a consumer in migration ${migrationId}`,
    );
  }
  if (row.removed_at) {
    throw new NotFoundError(
      `${consumerRef} is no longer a consumer in migration ${migrationId}: the agent found it no longer reads the dataset`,
    );
  }
  return row;
}

export async function getPatchRow(
  trx: Knex.Transaction,
  consumer: ConsumerRow,
  patchId: number,
): Promise<PatchRow> {
  const row = await trx<PatchRow>('patch')
    .where({ id: patchId, consumer_id: consumer.id })
    .first();
  if (!row) {
    throw new NotFoundError(
      `No patch ${patchId} of ${consumer.consumer_ref} in migration ${consumer.migration_id}`,
    );
  }
  return row;
}

export function toMigration(
  row: MigrationRow,
  { progress, hasStepPlan }: MigrationFacts,
): Migration {
  return {
    id: row.id,
    datasetRef: row.dataset_ref,
    change: JSON.parse(row.change),
    title: row.title,
    owner: row.owner,
    state: row.state,
    createdBy: row.created_by,
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at),
    ...(row.analysis_attempts && row.analysis_retry_at
      ? {
          analysis: {
            attempts: row.analysis_attempts,
            error: row.analysis_error ?? '',
            retryAt: timestamp(row.analysis_retry_at),
          },
        }
      : {}),
    ...(row.target_date ? { targetDate: row.target_date } : {}),
    ...(row.origin ? { origin: row.origin } : {}),
    ...(row.suggestions ? { suggestions: JSON.parse(row.suggestions) } : {}),
    ...(row.undecided ? { undecided: JSON.parse(row.undecided) } : {}),
    ...(row.impact_summary
      ? { impactSummary: JSON.parse(row.impact_summary) }
      : {}),
    ...(row.stopped_at
      ? {
          stopped: {
            by: row.stopped_by ?? '',
            at: timestamp(row.stopped_at),
            ...(row.stopped_reason ? { reason: row.stopped_reason } : {}),
          },
        }
      : {}),
    ...(hasStepPlan ? { hasStepPlan } : {}),
    // `needsReview` is `awaitingDecision` under its old name, sent until
    // 0.3 (deprecated in the API spec).
    progress: { ...progress, needsReview: progress.awaitingDecision },
  };
}

export function toConsumer(row: ConsumerListRow): Consumer {
  const patch: PatchSummary | undefined =
    row.current_patch_id !== null && row.patch_version !== null
      ? {
          id: row.current_patch_id,
          version: row.patch_version,
          status: row.patch_status!,
          stale: Boolean(row.patch_stale),
          ...(row.patch_engine_version
            ? { engineVersion: row.patch_engine_version }
            : {}),
          createdAt: timestamp(row.patch_created_at!),
        }
      : undefined;
  const decision: Review | undefined =
    row.current_review_id !== null && row.review_decision !== null
      ? toReview(
          {
            id: row.current_review_id,
            patch_id: row.review_patch_id!,
            decision: row.review_decision,
            reviewer: row.review_reviewer!,
            comment: row.review_comment,
            created_at: row.review_created_at!,
          },
          row.migration_id,
          row.consumer_ref,
        )
      : undefined;
  return {
    migrationId: row.migration_id,
    consumerRef: row.consumer_ref,
    discoveredBy: row.discovered_by,
    ...(row.impact ? { impact: JSON.parse(row.impact) } : {}),
    ...(patch ? { patch } : {}),
    ...(decision ? { decision } : {}),
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at),
  };
}

export function toReview(
  row: Omit<ReviewRow, 'sequence'>,
  migrationId: string,
  consumerRef: string,
): Review {
  return {
    id: row.id,
    migrationId,
    consumerRef,
    patchId: row.patch_id,
    decision: row.decision,
    reviewer: row.reviewer,
    ...(row.comment !== null ? { comment: row.comment } : {}),
    createdAt: timestamp(row.created_at),
  };
}
