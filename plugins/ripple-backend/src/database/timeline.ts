import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import { sequenceEvents } from './eventOrder';
import type { NewEvent } from './MigrationStore';
import { EventRow, getMigrationRow, insertEvent, ref, toEvent } from './rows';

// A migration's timeline: its events read in order (by place, see
// eventOrder.ts), and those written on their own rather than with the
// change they record.

/**
 * Records an event once per `dedupeKey` and migration (a unique key): false
 * when it was recorded before, by any step or replica.
 */
export async function recordEventOnce(
  db: Knex,
  input: NewEvent & { dedupeKey: string },
): Promise<boolean> {
  const { dedupeKey, ...event } = input;
  const known = await db('migration_event')
    .where({ migration_id: input.migrationId, dedupe_key: dedupeKey })
    .first('id');
  if (known) return false;
  try {
    await db.transaction(async trx => {
      const id = await insertEvent(trx, { ...event, now: new Date() });
      await trx('migration_event')
        .where({ id })
        .update({ dedupe_key: dedupeKey });
    });
    return true;
  } catch (error) {
    // Another replica recorded it first: the unique key refused ours.
    const again = await db('migration_event')
      .where({ migration_id: input.migrationId, dedupe_key: dedupeKey })
      .first('id');
    if (again) return false;
    throw error;
  }
}

/** The timeline, oldest first, paged by place. */
export async function listEvents(
  db: Knex,
  migrationId: string,
  options: { afterId?: number; limit: number; consumerRef?: string },
): Promise<MigrationEvent[]> {
  // The timeline is paged by place (seq), given to committed events
  // only: see eventOrder.ts.
  await sequenceEvents(db);
  const query = db<EventRow>('migration_event')
    .where('migration_id', migrationId)
    .whereNotNull('seq')
    .orderBy('seq', 'asc')
    .limit(options.limit);
  if (options.afterId !== undefined) {
    query.where('seq', '>', options.afterId);
  }
  if (options.consumerRef !== undefined) {
    query.where('consumer_ref', ref(options.consumerRef));
  }
  return (await query).map(toEvent);
}

/** Adds an event that no other write records, and gives it its place. */
export async function addEvent(
  db: Knex,
  input: NewEvent,
): Promise<MigrationEvent> {
  const id = await db.transaction(async trx => {
    await getMigrationRow(trx, input.migrationId);
    return insertEvent(trx, {
      ...input,
      actor: input.actor && ref(input.actor),
      consumerRef: input.consumerRef && ref(input.consumerRef),
      now: new Date(),
    });
  });
  await sequenceEvents(db);
  return toEvent(
    (await db<EventRow>('migration_event').where({ id }).first())!,
  );
}

/** The newest event's id: changes whenever an event is written. */
export async function lastEventId(db: Knex): Promise<number> {
  const row = await db('migration_event').max('id as id').first();
  return Number(row?.id ?? 0);
}
