import { NotFoundError } from '@backstage/errors';
import type {
  Consumer,
  MigrationEvent,
  MigrationEventType,
  MigrationState,
  Patch,
} from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import type { NewEvent } from './MigrationStore';

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

export async function insertEvent(
  trx: Knex.Transaction,
  event: NewEvent & { now: Date },
): Promise<MigrationEvent> {
  const row: Omit<EventRow, 'id'> = {
    migration_id: event.migrationId,
    type: event.type,
    message: event.message,
    actor: event.actor ?? null,
    consumer_ref: event.consumerRef ?? null,
    data: event.data ? JSON.stringify(event.data) : null,
    created_at: event.now,
  };
  const id = await insertReturningId(trx, 'migration_event', row);
  return toEvent({ ...row, id });
}

export function toEvent(row: EventRow): MigrationEvent {
  return {
    id: row.id,
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
    reasons: JSON.parse(row.reasons),
    stale: Boolean(row.stale),
    createdAt: timestamp(row.created_at),
  };
}
