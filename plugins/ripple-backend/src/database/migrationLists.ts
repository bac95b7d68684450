import { Knex } from 'knex';
import type { MigrationFilter, Page, PageRequest } from './MigrationStore';
import {
  CursorScope,
  decodeCursor,
  isSeq,
  readPage,
  refuseCursorWithOffset,
} from './paging';
import { count, MigrationRow, ref } from './rows';

// The lists of migrations, paged by keyset (database/paging.ts): newest
// first by `seq`, or by deadline. Migrations are few beside consumers (a
// fleet has hundreds), so their count is taken once per walk, on its first
// page, and carried by the cursor (docs/backend.md, "Counts").

/** The key of the deadline order: the target date (null last), then seq. */
type DeadlineKey = [string | null, number];

function isDeadlineKey(key: unknown): key is DeadlineKey {
  return (
    Array.isArray(key) &&
    key.length === 2 &&
    (key[0] === null ||
      (typeof key[0] === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(key[0]))) &&
    isSeq(key[1])
  );
}

/** The count of a walk: carried by its cursor, else counted (its first page). */
async function walkCount(
  query: Knex.QueryBuilder,
  position: { count: number } | undefined,
): Promise<number> {
  return position ? position.count : count(query);
}

/** The filter as a cursor is bound to it: order-insensitive lists sorted. */
function migrationScope(filter: MigrationFilter): CursorScope {
  return {
    list: 'migrations',
    filter: {
      states: [...(filter.states ?? [])].sort(),
      datasetRef: filter.datasetRef ? ref(filter.datasetRef) : null,
      deadlineBefore: filter.deadlineBefore ?? null,
      hasDeadline: filter.hasDeadline ?? null,
      sort: filter.sort ?? 'newest',
    },
  };
}

/**
 * A page of `query`'s migrations (already filtered as `filter` says), in
 * the order `filter.sort` asks for.
 */
export async function pageMigrations(
  query: Knex.QueryBuilder,
  filter: MigrationFilter,
  page: PageRequest,
): Promise<Page<MigrationRow>> {
  return filter.sort === 'deadline'
    ? byDeadline(query, migrationScope(filter), page)
    : newestFirst(query, migrationScope(filter), page);
}

/** A page of `query`'s migrations, newest first (by seq). */
export async function newestFirst(
  query: Knex.QueryBuilder,
  scope: CursorScope,
  page: PageRequest,
): Promise<Page<MigrationRow>> {
  refuseCursorWithOffset(page);
  const position =
    page.cursor === undefined
      ? undefined
      : decodeCursor(page.cursor, scope, isSeq);
  const total = await walkCount(query, position);
  const rows = query.clone().orderBy('seq', 'desc');
  if (position) rows.where('seq', '<', position.key);
  else rows.offset(page.offset);
  return readPage<MigrationRow, number>(rows, page, {
    scope,
    keyOf: row => Number(row.seq),
    count: total,
  });
}

/**
 * A page of `query`'s migrations, the earliest deadline first and those
 * without one last (the same in SQLite and PostgreSQL, whose NULLs sort
 * differently), newest first among equals. A target date is a day
 * (YYYY-MM-DD), so comparing the strings compares the days.
 */
export async function byDeadline(
  query: Knex.QueryBuilder,
  scope: CursorScope,
  page: PageRequest,
): Promise<Page<MigrationRow>> {
  refuseCursorWithOffset(page);
  const position =
    page.cursor === undefined
      ? undefined
      : decodeCursor(page.cursor, scope, isDeadlineKey);
  const total = await walkCount(query, position);
  const rows = query
    .clone()
    .orderByRaw('CASE WHEN target_date IS NULL THEN 1 ELSE 0 END')
    .orderBy('target_date', 'asc')
    .orderBy('seq', 'desc');
  if (position) {
    const [date, seq] = position.key;
    if (date === null) {
      // Past the dated ones: the undated, newest first.
      rows.whereNull('target_date').where('seq', '<', seq);
    } else {
      rows.where(after =>
        after
          .whereNull('target_date')
          .orWhere('target_date', '>', date)
          .orWhere(same =>
            same.where('target_date', date).where('seq', '<', seq),
          ),
      );
    }
  } else {
    rows.offset(page.offset);
  }
  return readPage<MigrationRow, DeadlineKey>(rows, page, {
    scope,
    keyOf: row => [row.target_date ?? null, Number(row.seq)],
    count: total,
  });
}
