import type { SortDescriptor } from '@backstage/ui';

/**
 * Rows sorted by a key, then by `tieBreak`, in the descriptor's direction:
 * the `sortFn` of the tables' `useTable`.
 */
export function sortRows<T>(
  rows: T[],
  sort: SortDescriptor,
  key: (row: T) => string | number,
  tieBreak: (row: T) => string,
): T[] {
  const sorted = [...rows].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x !== y) return x < y ? -1 : 1;
    return tieBreak(a).localeCompare(tieBreak(b));
  });
  return sort.direction === 'descending' ? sorted.reverse() : sorted;
}
