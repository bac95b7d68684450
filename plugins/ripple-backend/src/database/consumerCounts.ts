import type { PatchReasonKind } from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import type { ConsumerFilter } from './MigrationStore';

// The consumer list's counts, kept in `migration_consumer_count` (migration
// 20270105_list_paging) rather than counted on every page: a consumer is in
// facet `all` while it is not removed, and in `reason:<kind>` while its
// current patch has a reason of that kind. Each write that moves a consumer
// between facets (added, added again, removed, a new current patch) calls
// these in its own transaction, so the counts change with it or not at all.

const ALL = 'all';

function reasonFacet(kind: string): string {
  return `reason:${kind}`;
}

/** The facets a consumer whose current patch is `patchId` is in. */
async function facetsOf(
  trx: Knex.Transaction,
  patchId: number | null,
): Promise<string[]> {
  if (patchId === null) return [];
  const kinds = await trx('patch_reason_kind')
    .where('patch_id', patchId)
    .select('kind');
  return kinds.map(k => reasonFacet(k.kind as string));
}

/** How a write moves a migration's counts: a delta per facet. */
export type CountDeltas = Map<string, number>;

/**
 * Adds `deltas` to the migration's counts, in one order (sorted) so that
 * two transactions never lock the same rows in opposite orders on
 * PostgreSQL. Called last in its transaction: the count rows stay locked
 * until the commit, and every consumer of the migration recorded at once
 * waits for them.
 */
export async function addCounts(
  trx: Knex.Transaction,
  migrationId: string,
  deltas: CountDeltas,
): Promise<void> {
  for (const facet of [...deltas.keys()].sort()) {
    const delta = deltas.get(facet)!;
    if (delta === 0) continue;
    await trx('migration_consumer_count')
      .insert({ migration_id: migrationId, facet, count: delta })
      .onConflict(['migration_id', 'facet'])
      .merge({
        count: trx.raw('?? + ?', ['migration_consumer_count.count', delta]),
      });
  }
}

/** The deltas of two writes of one transaction, as one. */
export function mergeCounts(a: CountDeltas, b: CountDeltas): CountDeltas {
  const merged = new Map(a);
  for (const [facet, delta] of b) {
    merged.set(facet, (merged.get(facet) ?? 0) + delta);
  }
  return merged;
}

/**
 * A consumer whose current patch is `patchId` enters (`+1`: added, or added
 * again) or leaves (`-1`: removed) the migration's list.
 */
export async function consumerCounts(
  trx: Knex.Transaction,
  patchId: number | null,
  delta: 1 | -1,
): Promise<CountDeltas> {
  const facets = [ALL, ...(await facetsOf(trx, patchId))];
  return new Map(facets.map(f => [f, delta]));
}

/** {@link consumerCounts}, added now. */
export async function countConsumer(
  trx: Knex.Transaction,
  migrationId: string,
  patchId: number | null,
  delta: 1 | -1,
): Promise<void> {
  await addCounts(trx, migrationId, await consumerCounts(trx, patchId, delta));
}

/**
 * A listed consumer's current patch becomes `to` (whose reasons have
 * `toKinds`) instead of `from`: it leaves the facets of the old patch's
 * reasons and enters those of the new one's.
 */
export async function patchChangeCounts(
  trx: Knex.Transaction,
  from: number | null,
  toKinds: string[],
): Promise<CountDeltas> {
  const deltas: CountDeltas = new Map();
  for (const facet of await facetsOf(trx, from)) {
    deltas.set(facet, (deltas.get(facet) ?? 0) - 1);
  }
  for (const kind of new Set(toKinds)) {
    const facet = reasonFacet(kind);
    deltas.set(facet, (deltas.get(facet) ?? 0) + 1);
  }
  return deltas;
}

/**
 * The facet that counts the consumers `filter` keeps, when one does: none
 * (every consumer) or exactly one reason kind. Several kinds overlap (a
 * patch may have reasons of each) and validation statuses change with
 * every validation run, so their counts are not kept.
 */
export function facetOf(filter: ConsumerFilter): string | undefined {
  const kinds: PatchReasonKind[] = filter.reasonKinds ?? [];
  if (filter.validationStatuses?.length) return undefined;
  if (kinds.length === 0) return ALL;
  return kinds.length === 1 ? reasonFacet(kinds[0]) : undefined;
}

/** The kept count of a facet of a migration's consumers (0 when none). */
export async function countedConsumers(
  db: Knex,
  migrationId: string,
  facet: string,
): Promise<number> {
  const row = await db('migration_consumer_count')
    .where({ migration_id: migrationId, facet })
    .first('count');
  // PostgreSQL may return integers of some types as strings.
  return Number(row?.count ?? 0);
}

/**
 * Every facet's count recomputed from the rows, as the migration's backfill
 * does: what the kept counts must equal (the tests compare them).
 */
export async function recountConsumers(
  db: Knex,
  migrationId: string,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const [all] = await db('migration_consumer')
    .where('migration_id', migrationId)
    .whereNull('removed_at')
    .count({ n: '*' });
  if (Number(all.n) > 0) counts[ALL] = Number(all.n);
  const kinds = await db('migration_consumer as c')
    .join('patch_reason_kind as k', 'k.patch_id', 'c.current_patch_id')
    .where('c.migration_id', migrationId)
    .whereNull('c.removed_at')
    .groupBy('k.kind')
    .select('k.kind', { n: db.raw('count(*)') });
  for (const row of kinds) counts[reasonFacet(row.kind)] = Number(row.n);
  return counts;
}

/** The kept counts of a migration, facets at 0 left out. */
export async function keptConsumerCounts(
  db: Knex,
  migrationId: string,
): Promise<Record<string, number>> {
  const rows = await db('migration_consumer_count')
    .where('migration_id', migrationId)
    .whereNot('count', 0)
    .select('facet', 'count');
  return Object.fromEntries(rows.map(r => [r.facet, Number(r.count)]));
}
