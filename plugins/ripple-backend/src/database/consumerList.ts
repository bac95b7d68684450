import type { Consumer } from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import { countedConsumers, facetOf } from './consumerCounts';
import type { ConsumerFilter, Page, PageRequest } from './MigrationStore';
import {
  CursorScope,
  decodeCursor,
  isText,
  readPage,
  refuseCursorWithOffset,
} from './paging';
import { ConsumerListRow, count, toConsumer } from './rows';
import { ofValidationStatuses } from './validationFilter';

// A migration's consumers, a page at a time in entity ref order: by keyset
// on (migration_id, consumer_ref), the unique index's order, so a deep page
// costs what the first does. `totalCount` comes from the kept counts
// (consumerCounts.ts) unfiltered or by one reason kind; any other filter is
// counted once per walk, on its first page, and carried by the cursor
// (docs/backend.md, "Counts").

/** The consumer list's cursors: for one migration and filter. */
export function consumerScope(
  migrationId: string,
  filter: ConsumerFilter,
): CursorScope {
  return {
    list: 'consumers',
    filter: {
      migrationId,
      reasonKinds: [...(filter.reasonKinds ?? [])].sort(),
      validationStatuses: [...(filter.validationStatuses ?? [])].sort(),
    },
  };
}

/**
 * Narrows `query` (consumers as `c`) to those `filter` keeps: a reason of
 * one of the kinds on the current patch (one lookup per consumer in
 * `patch_reason_kind`, never the patches' reasons), and the latest
 * validation's status.
 */
function filtered(
  db: Knex,
  query: Knex.QueryBuilder,
  filter: ConsumerFilter,
): Knex.QueryBuilder {
  const kinds = filter.reasonKinds ?? [];
  if (kinds.length) {
    query.whereExists(
      db('patch_reason_kind as k')
        .select('k.patch_id')
        .where('k.patch_id', db.ref('c.current_patch_id'))
        .whereIn('k.kind', kinds),
    );
  }
  return ofValidationStatuses(db, query, filter.validationStatuses ?? []);
}

/**
 * A page of the migration's consumers `filter` keeps; `consumers` is the
 * query of consumers (as `c`) with their patch and review.
 */
export async function pageConsumers(
  db: Knex,
  consumers: Knex.QueryBuilder,
  migrationId: string,
  page: PageRequest,
  filter: ConsumerFilter,
): Promise<Page<Consumer>> {
  refuseCursorWithOffset(page);
  const scope = consumerScope(migrationId, filter);
  const position =
    page.cursor === undefined
      ? undefined
      : decodeCursor(page.cursor, scope, isText);
  const facet = facetOf(filter);
  const rows = filtered(
    db,
    consumers.where('c.migration_id', migrationId),
    filter,
  ).orderBy('c.consumer_ref', 'asc');
  if (facet) {
    // The kept count rides on each row of the page: one round trip, not two.
    rows.select(
      db('migration_consumer_count')
        .where({ migration_id: migrationId, facet })
        .select('count')
        .as('kept_count'),
    );
  }
  if (position) rows.where('c.consumer_ref', '>', position.key);
  else rows.offset(page.offset);
  const listed = await readPage<
    ConsumerListRow & { kept_count?: unknown },
    string
  >(rows, page, {
    scope,
    keyOf: row => row.consumer_ref,
    count: async read => {
      if (facet) {
        // PostgreSQL may return integers of some types as strings; an
        // empty page carries no count, so it is read alone.
        return read.length
          ? Number(read[0].kept_count ?? 0)
          : countedConsumers(db, migrationId, facet);
      }
      return (
        position?.count ??
        count(
          filtered(
            db,
            db('migration_consumer as c')
              .where('c.migration_id', migrationId)
              .whereNull('c.removed_at'),
            filter,
          ),
        )
      );
    },
  });
  return { ...listed, items: listed.items.map(toConsumer) };
}
