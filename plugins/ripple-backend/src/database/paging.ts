import { InputError } from '@backstage/errors';
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Page, PageRequest } from './MigrationStore';

// Keyset pagination for the list routes (docs/backend.md, "Paging"). A
// cursor is the sort key of the last row a page showed, so the next page
// starts after it with an index seek, whatever its depth, and a row that
// exists throughout a walk is shown exactly once however many rows are
// added or removed meanwhile (an offset would skip or repeat them).
//
// The cursor is opaque to clients: base64url of a small JSON object
//   { l: list, f: fingerprint of the filter and order, k: key, n: count }
// `l` and `f` refuse a cursor used on another list, filter or order (its
// key would mean nothing there, its count would be another list's). `n`
// carries the list's count from the walk's first page where no summary row
// can give it (docs/backend.md, "Counts"). Every value read from a cursor
// reaches SQL as a knex binding, never as text of the query.

/** The longest cursor accepted: a key is one entity ref or date and a number. */
const MAX_CURSOR = 2048;

/** What a decoded cursor holds: the last row's sort key, and the walk's count. */
export type Position<K> = { key: K; count: number };

/** A list's cursors: their list name, and the filter and order they are for. */
export type CursorScope = { list: string; filter: unknown };

function fingerprint(scope: CursorScope): string {
  return createHash('sha256')
    .update(`${scope.list}\n${JSON.stringify(scope.filter ?? null)}`)
    .digest('base64url')
    .slice(0, 12);
}

/** The cursor after a row whose sort key is `key`. */
export function encodeCursor<K>(
  scope: CursorScope,
  key: K,
  count: number,
): string {
  return Buffer.from(
    JSON.stringify({ l: scope.list, f: fingerprint(scope), k: key, n: count }),
  ).toString('base64url');
}

/**
 * The position a cursor holds, or a 400 naming `cursor` when it is not one
 * of this list's cursors for this filter and order, or its key is not of
 * the shape `isKey` accepts.
 */
export function decodeCursor<K>(
  raw: string,
  scope: CursorScope,
  isKey: (key: unknown) => key is K,
): Position<K> {
  const refuse = (why: string) =>
    new InputError(`cursor: "${raw.slice(0, 64)}" is not valid: ${why}`);
  if (raw.length > MAX_CURSOR || !/^[A-Za-z0-9_-]+$/.test(raw)) {
    throw refuse('not a cursor this API returned');
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw refuse('not a cursor this API returned');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw refuse('not a cursor this API returned');
  }
  const { l, f, k, n } = value as Record<string, unknown>;
  if (l !== scope.list) {
    throw refuse(`it pages another list than ${scope.list}`);
  }
  if (f !== fingerprint(scope)) {
    throw refuse('it was made for other filters or another order');
  }
  if (!Number.isSafeInteger(n) || (n as number) < 0 || !isKey(k)) {
    throw refuse('its position is malformed');
  }
  return { key: k, count: n as number };
}

/** A cursor's and an offset's pages cannot be combined: a 400 naming `cursor`. */
export function refuseCursorWithOffset(page: PageRequest): void {
  if (page.cursor !== undefined && page.offset) {
    throw new InputError(
      'cursor: a cursor gives the position; it cannot be combined with offset',
    );
  }
}

/**
 * Reads one more row than the page holds, so that whether another page
 * follows is known without counting. Returns the page's rows and, when
 * another follows, the cursor after the last of them. `count` is the
 * total, or how to take it once the rows are read (from a column the page's
 * query carries, say, so the page costs one round trip).
 */
export async function readPage<R, K>(
  query: Knex.QueryBuilder,
  page: PageRequest,
  next: {
    scope: CursorScope;
    keyOf: (row: R) => K;
    count: number | ((rows: R[]) => Promise<number>);
  },
): Promise<Page<R>> {
  const rows: R[] = await query.limit(page.limit + 1);
  const items = rows.slice(0, page.limit);
  const count =
    typeof next.count === 'number' ? next.count : await next.count(rows);
  return {
    items,
    totalCount: count,
    ...(rows.length > page.limit
      ? {
          nextCursor: encodeCursor(
            next.scope,
            next.keyOf(items[items.length - 1]),
            count,
          ),
        }
      : {}),
  };
}

/** A key that is an integer (a `seq`). */
export function isSeq(key: unknown): key is number {
  return Number.isSafeInteger(key) && (key as number) >= 0;
}

/** A key that is a short string (an entity ref). */
export function isText(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0 && key.length <= 1024;
}
