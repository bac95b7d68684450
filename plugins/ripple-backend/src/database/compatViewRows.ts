import { Knex } from 'knex';
import { insertEvent, ref, timestamp } from './rows';

/** The compatibility view as recorded: applied, or overridden with a reason. */
export type CompatViewRecord = {
  appliedBy: string;
  appliedAt: string;
  /** Set when the rollout started without the view, for this reason. */
  overrideReason?: string;
};

/** That the view was applied (`how`), or that a person went without it (`overrideReason`). */
export type CompatViewMark = {
  migrationId: string;
  by: string;
  how: string;
  overrideReason?: string;
};

export async function getCompatViewRecord(
  db: Knex | Knex.Transaction,
  migrationId: string,
): Promise<CompatViewRecord | undefined> {
  const row = await db('compat_view')
    .where('migration_id', migrationId)
    .first();
  return (
    row && {
      appliedBy: row.applied_by,
      appliedAt: timestamp(row.applied_at),
      ...(row.override_reason ? { overrideReason: row.override_reason } : {}),
    }
  );
}

/**
 * Records the view as applied, or overridden, with its event, in the
 * caller's transaction (the start of the rollout records it in its own, so
 * a start refused leaves nothing marked). Idempotent: a view already
 * recorded stays as it was.
 */
export async function insertCompatView(
  trx: Knex.Transaction,
  input: CompatViewMark,
): Promise<void> {
  const now = new Date();
  const by = ref(input.by);
  // Two marks at once (two people, two replicas) insert one row and one
  // event; the other finds the row and does nothing.
  const inserted = await trx('compat_view')
    .insert({
      migration_id: input.migrationId,
      applied_by: by,
      applied_at: now,
      override_reason: input.overrideReason ?? null,
    })
    .onConflict('migration_id')
    .ignore()
    .returning('migration_id');
  if (!inserted.length) return;
  await insertEvent(trx, {
    migrationId: input.migrationId,
    ...(input.overrideReason
      ? {
          type: 'compat-view-overridden',
          message: `Rollout started without the compatibility view by ${by}: ${input.overrideReason}`,
          data: { by, reason: input.overrideReason },
        }
      : {
          type: 'compat-view-applied',
          message: `Compatibility view applied ${input.how}`,
          data: { by },
        }),
    actor: by,
    now,
  });
}
