import { Knex } from 'knex';
import { getMigrationRow, insertEvent, MigrationRow } from './rows';

/**
 * The kill switch (docs/rollout.md, "Timing"): stops (or resumes) every
 * automatic step of a migration, with an `automation-stopped` (or
 * `automation-resumed`) event, in one transaction. False when it already
 * was so (nothing written): a second stop, on another replica or after a
 * restart, records nothing.
 */
export async function setStopped(
  db: Knex,
  input: {
    migrationId: string;
    stopped: boolean;
    actor: string;
    reason?: string;
  },
): Promise<boolean> {
  return db.transaction(async trx => {
    await getMigrationRow(trx, input.migrationId);
    const now = new Date();
    // The compare-and-set on stopped_at: of two stops (or resumes) at
    // once, one writes its event.
    const changed = await trx<MigrationRow>('migration')
      .where({ id: input.migrationId })
      .where(q =>
        input.stopped
          ? q.whereNull('stopped_at')
          : q.whereNotNull('stopped_at'),
      )
      .update(
        input.stopped
          ? {
              stopped_at: now,
              stopped_by: input.actor,
              stopped_reason: input.reason ?? null,
            }
          : { stopped_at: null, stopped_by: null, stopped_reason: null },
      );
    if (!changed) return false;
    await insertEvent(trx, {
      migrationId: input.migrationId,
      type: input.stopped ? 'automation-stopped' : 'automation-resumed',
      message: input.stopped
        ? `Automation stopped by ${input.actor}${
            input.reason ? `: ${input.reason}` : ''
          }: no proposal, delivery, merge or advance until resumed`
        : `Automation resumed by ${input.actor}`,
      actor: input.actor,
      ...(input.reason ? { data: { reason: input.reason } } : {}),
      now,
    });
    return true;
  });
}
