import { ConflictError, NotFoundError } from '@backstage/errors';
import type {
  ConsumerHealth,
  DeliveryStatus,
  MigrationEventType,
} from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import { getMigrationRow, insertEvent, ref, Timestamp } from './rows';

// The rollout tables' rows and the helpers every write to them shares
// (RolloutStore, healthSignals, compatViewRows).

/** A timeline event a rollout write records in its transaction. */
export type RolloutEvent = {
  type: MigrationEventType;
  message: string;
  consumerRef?: string;
  data?: Record<string, unknown>;
};

export type RolloutRow = {
  migration_id: string;
  current_wave: number;
  version: number;
  auto_approver?: string | null;
  auto_approval_reason?: string | null;
};

export type ConsumerRow = {
  id: number;
  migration_id: string;
  consumer_ref: string;
  wave_index: number;
  position: number;
  delivery_status: DeliveryStatus | null;
  delivery_method: string | null;
  delivery: string | null;
  delivered_patch_id: number | null;
  delivered_at: Timestamp | null;
  merged_at?: Timestamp | null;
  claimed_at: Timestamp | null;
  held: boolean | number;
  health: ConsumerHealth;
  health_reason: string | null;
  health_source?: string | null;
  validation_paused_id?: number | null;
  updated_at: Timestamp;
};

export async function insertEvents(
  trx: Knex.Transaction,
  migrationId: string,
  events: RolloutEvent[] | undefined,
  actor?: string,
) {
  const now = new Date();
  for (const event of events ?? []) {
    await insertEvent(trx, {
      migrationId,
      ...event,
      consumerRef: event.consumerRef && ref(event.consumerRef),
      actor: actor && ref(actor),
      now,
    });
  }
}

export async function getRolloutRow(
  trx: Knex.Transaction,
  migrationId: string,
): Promise<RolloutRow> {
  const row = await trx<RolloutRow>('rollout')
    .where('migration_id', migrationId)
    .first();
  if (!row) {
    await getMigrationRow(trx, migrationId);
    throw new ConflictError(
      `The rollout of migration ${migrationId} has not started`,
    );
  }
  return row;
}

export async function getRolloutConsumerRow(
  trx: Knex.Transaction,
  migrationId: string,
  consumerRef: string,
): Promise<ConsumerRow> {
  const row = await trx<ConsumerRow>('rollout_consumer')
    .where({ migration_id: migrationId, consumer_ref: ref(consumerRef) })
    .first();
  if (!row) {
    await getRolloutRow(trx, migrationId);
    throw new NotFoundError(
      `${ref(
        consumerRef,
      )} is not in the rollout of migration ${migrationId} (it has no patch to deliver)`,
    );
  }
  return row;
}

/** Updates the rollout row if nobody else did since it was read. */
export async function casRollout(
  trx: Knex.Transaction,
  row: RolloutRow,
  update: Record<string, unknown>,
): Promise<void> {
  const updated = await trx('rollout')
    .where({ migration_id: row.migration_id, version: row.version })
    .update({ ...update, version: row.version + 1, updated_at: new Date() });
  if (updated !== 1) {
    throw new ConflictError(
      `The rollout of migration ${row.migration_id} changed meanwhile; read it again`,
    );
  }
}
