import type { MigrationProgress } from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';

// The consumer counts a migration shows (`Migration.progress`).

/** The progress of a migration without consumers. */
export const EMPTY_PROGRESS: MigrationProgress = {
  total: 0,
  approved: 0,
  rejected: 0,
  awaitingDecision: 0,
  delivered: 0,
  merged: 0,
  failed: 0,
  unhealthy: 0,
};

/** What a migration shows beside its row: its progress, and whether it has a step plan. */
export type MigrationFacts = {
  progress: MigrationProgress;
  hasStepPlan: boolean;
};

/** The facts of a migration just created: no consumer, no step plan. */
export const NEW_MIGRATION_FACTS: MigrationFacts = {
  progress: EMPTY_PROGRESS,
  hasStepPlan: false,
};

export async function factsOf(
  db: Knex,
  migrationId: string,
): Promise<MigrationFacts> {
  return (
    (await factsByMigration(db, [migrationId])).get(migrationId) ??
    NEW_MIGRATION_FACTS
  );
}

/**
 * The facts of migrations: their progress (one grouped query) and which
 * have a step plan (one more), so that a page asks for a plan only where
 * there is one.
 */
export async function factsByMigration(
  db: Knex,
  migrationIds: string[],
): Promise<Map<string, MigrationFacts>> {
  if (migrationIds.length === 0) return new Map();
  const progress = await progressByMigration(db, migrationIds);
  const plans = new Set(
    (
      await db('migration_step_plan')
        .whereIn('migration_id', migrationIds)
        .select('migration_id')
    ).map(row => row.migration_id as string),
  );
  return new Map(
    migrationIds.map(id => [
      id,
      {
        progress: progress.get(id) ?? EMPTY_PROGRESS,
        hasStepPlan: plans.has(id),
      },
    ]),
  );
}

/**
 * The consumer counts of migrations in one grouped query: decisions from
 * the current reviews, deliveries and health from the rollout's rows.
 */
export async function progressByMigration(
  db: Knex,
  migrationIds: string[],
): Promise<Map<string, MigrationProgress>> {
  if (migrationIds.length === 0) {
    return new Map();
  }
  const sum = (condition: string) =>
    db.raw(`sum(case when ${condition} then 1 else 0 end)`);
  const rows = await db('migration_consumer as c')
    .leftJoin('patch as p', 'p.id', 'c.current_patch_id')
    .leftJoin('review as r', 'r.id', 'c.current_review_id')
    .leftJoin('rollout_consumer as rc', function joinRollout() {
      this.on('rc.migration_id', '=', 'c.migration_id').andOn(
        'rc.consumer_ref',
        '=',
        'c.consumer_ref',
      );
    })
    .whereIn('c.migration_id', migrationIds)
    .groupBy('c.migration_id')
    .select('c.migration_id', {
      total: db.raw('count(*)'),
      approved: sum(`r.decision = 'approve'`),
      rejected: sum(`r.decision = 'reject'`),
      awaiting_decision: sum(
        `r.id is null and p.status in ('rewritten', 'needs_edit')`,
      ),
      delivered: sum(`rc.delivery_status in ('delivered', 'merged')`),
      merged: sum(`rc.delivery_status = 'merged'`),
      failed: sum(`rc.delivery_status = 'failed'`),
      unhealthy: sum(`rc.health = 'unhealthy'`),
    });
  // PostgreSQL returns sums and counts as strings (numeric, bigint).
  return new Map(
    rows.map(row => [
      row.migration_id as string,
      {
        total: Number(row.total),
        approved: Number(row.approved ?? 0),
        rejected: Number(row.rejected ?? 0),
        awaitingDecision: Number(row.awaiting_decision ?? 0),
        delivered: Number(row.delivered ?? 0),
        merged: Number(row.merged ?? 0),
        failed: Number(row.failed ?? 0),
        unhealthy: Number(row.unhealthy ?? 0),
      },
    ]),
  );
}
