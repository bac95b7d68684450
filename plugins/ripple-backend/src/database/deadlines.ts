import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import type { MigrationFilter } from './MigrationStore';
import { getMigrationRow, insertEvent, MigrationRow, ref } from './rows';

// Migrations' deadlines (docs/backend.md, "Deadlines and notifications"):
// the list's filter by target date (its order: migrationLists.ts), and
// setting one. A target
// date is a day (YYYY-MM-DD), so comparing the strings compares the days.

/** Narrows `query` to the migrations `filter` asks for by deadline. */
export function filterByDeadline(
  query: Knex.QueryBuilder,
  filter: MigrationFilter,
): void {
  if (filter.deadlineBefore) {
    query
      .whereNotNull('target_date')
      .where('target_date', '<=', filter.deadlineBefore);
  }
  if (filter.hasDeadline === true) query.whereNotNull('target_date');
  if (filter.hasDeadline === false) query.whereNull('target_date');
}

/** The states in which a migration's deadline still means something. */
const ENDED = ['completed', 'cancelled'];

/** Sets or removes a migration's target date in `trx`, with its event. */
export async function setTargetDate(
  trx: Knex.Transaction,
  input: { migrationId: string; targetDate: string | null; actor: string },
): Promise<MigrationRow> {
  const row = await getMigrationRow(trx, input.migrationId);
  if (ENDED.includes(row.state)) {
    throw new ConflictError(
      `Migration ${input.migrationId} is ${row.state}; its target date can no longer change`,
    );
  }
  const from = row.target_date ?? null;
  if (from === input.targetDate) return row;
  const now = new Date();
  // Compare-and-set on the state read above: a migration that ends
  // meanwhile keeps the deadline it ended with.
  const updated = await trx('migration')
    .where({ id: input.migrationId, state: row.state })
    .update({ target_date: input.targetDate, updated_at: now });
  if (updated !== 1) {
    throw new ConflictError(
      `Migration ${input.migrationId} changed state meanwhile; read it again`,
    );
  }
  await insertEvent(trx, {
    migrationId: input.migrationId,
    type: 'target-date-changed',
    message: input.targetDate
      ? `Target date ${from ? `moved from ${from} to` : 'set to'} ${
          input.targetDate
        }`
      : `Target date ${from} removed`,
    actor: ref(input.actor),
    data: { from, to: input.targetDate },
    now,
  });
  return { ...row, target_date: input.targetDate, updated_at: now };
}

/**
 * A day as the API accepts it: `YYYY-MM-DD`, a real date (the spec's
 * `format: date` checks the shape; this also refuses 2027-02-30).
 */
export function isTargetDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return (
    !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value
  );
}

/** The end of a target date: the last millisecond of that day, UTC. */
export function deadlineEnd(targetDate: string): Date {
  return new Date(`${targetDate}T23:59:59.999Z`);
}
