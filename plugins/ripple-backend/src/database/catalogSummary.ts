import type {
  CatalogEntitySummary,
  MigrationState,
  Review,
} from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import type { MigrationRow } from './rows';

// What the catalog shows of Ripple on each entity (`GET /catalog-summary`).

/** Migrations that are over: the catalog no longer shows them. */
const closedMigrationStates: MigrationState[] = ['completed', 'cancelled'];

export async function catalogSummary(
  db: Knex,
): Promise<CatalogEntitySummary[]> {
  const entities = new Map<string, CatalogEntitySummary>();
  const entity = (entityRef: string) => {
    let summary = entities.get(entityRef);
    if (!summary) {
      summary = { entityRef, migrations: [], readsDatasets: [] };
      entities.set(entityRef, summary);
    }
    return summary;
  };
  const open = await db<MigrationRow>('migration')
    .whereNotIn('state', closedMigrationStates)
    .orderBy('seq', 'desc')
    .select('id', 'dataset_ref', 'state');
  for (const migration of open) {
    entity(migration.dataset_ref).migrations.push({
      id: migration.id,
      state: migration.state,
      roles: ['dataset'],
    });
  }
  const byId = new Map(open.map(m => [m.id, m]));
  const consumers: {
    migration_id: string;
    consumer_ref: string;
    current_patch_id: number | null;
    decision: Review['decision'] | null;
  }[] = await db('migration_consumer as c')
    .join('migration as m', 'm.id', 'c.migration_id')
    .leftJoin('review as r', 'r.id', 'c.current_review_id')
    .whereNotIn('m.state', closedMigrationStates)
    .whereNull('c.removed_at')
    .orderBy('m.seq', 'desc')
    .select(
      'c.migration_id',
      'c.consumer_ref',
      'c.current_patch_id',
      'r.decision',
    );
  for (const consumer of consumers) {
    const migration = byId.get(consumer.migration_id)!;
    const summary = entity(consumer.consumer_ref);
    const same = summary.migrations.find(m => m.id === migration.id);
    const review = consumer.current_patch_id
      ? consumer.decision ?? 'pending'
      : undefined;
    if (same) {
      // A dataset reading itself (a self-join through its own code).
      same.roles.push('consumer');
      if (review) same.review = review;
    } else {
      summary.migrations.push({
        id: migration.id,
        state: migration.state,
        roles: ['consumer'],
        ...(review ? { review } : {}),
      });
    }
  }
  // Lineage found in code: the latest analysed migration of each dataset
  // (whatever became of it since) knows best which entities read it.
  const latest = db('migration as m')
    .whereExists(q =>
      q
        .select('id')
        .from('migration_consumer as c')
        .whereRaw('c.migration_id = m.id'),
    )
    .groupBy('m.dataset_ref')
    .max('m.seq');
  const readers: { dataset_ref: string; consumer_ref: string }[] = await db(
    'migration_consumer as c',
  )
    .join('migration as m', 'm.id', 'c.migration_id')
    .whereIn('m.seq', latest)
    .where('c.discovered_by', 'code')
    .whereNull('c.removed_at')
    .select('m.dataset_ref', 'c.consumer_ref');
  for (const reader of readers) {
    entity(reader.consumer_ref).readsDatasets.push(reader.dataset_ref);
  }
  return [...entities.values()].sort((a, b) =>
    a.entityRef.localeCompare(b.entityRef),
  );
}
