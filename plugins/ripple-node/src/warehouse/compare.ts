import { createHash } from 'node:crypto';
import type { WarehouseResult, WarehouseValue } from './warehouse';

/** One output column's checksums on both sides. @public */
export interface ColumnComparison {
  name: string;
  /** Order-insensitive checksum of the column's values before the patch (hex). */
  before: string;
  after: string;
  equal: boolean;
}

/** A row on one side only, or a key whose values differ. @public */
export interface RowDifference {
  /** The key's values, when rows are matched by key. */
  key?: WarehouseValue[];
  before?: WarehouseValue[];
  after?: WarehouseValue[];
}

/**
 * The old query's rows against the patched query's: row counts, a checksum
 * per output column, and a sample of differing rows. @public
 */
export interface ResultComparison {
  equal: boolean;
  rows: { before: number; after: number };
  /** The columns both sides output, by name, in the old query's order. */
  columns: ColumnComparison[];
  /** Output columns on one side only (the patch changed the output's shape). */
  missing: { before: string[]; after: string[] };
  /** At most `sample` differing rows, in the old query's column order. */
  differences: RowDifference[];
  /** Either side was cut at its row cap: the comparison covers those rows only. */
  truncated: boolean;
}

/**
 * Compares two results by column name (case-insensitive) and by value as
 * text, so that the same number in a wider type (4 and the bigint '4')
 * compares equal. Rows are matched by `key` (output columns that identify
 * a row) when given and present on both sides, else as multisets.
 *
 * @public
 */
export function compareResults(
  before: WarehouseResult,
  after: WarehouseResult,
  options: { key?: string[]; sample?: number } = {},
): ResultComparison {
  const sample = options.sample ?? 20;
  const index = (result: WarehouseResult) =>
    new Map(result.columns.map((c, i) => [c.name.toLowerCase(), i]));
  const beforeIndex = index(before);
  const afterIndex = index(after);
  const shared = before.columns
    .map(c => c.name)
    .filter(name => afterIndex.has(name.toLowerCase()));
  const pick = (result: WarehouseResult, at: Map<string, number>) =>
    result.rows.map(row =>
      shared.map(name => row[at.get(name.toLowerCase())!]),
    );
  const left = pick(before, beforeIndex);
  const right = pick(after, afterIndex);

  const columns = shared.map((name, i) => {
    const b = checksum(left.map(row => row[i]));
    const a = checksum(right.map(row => row[i]));
    return { name, before: b, after: a, equal: a === b };
  });
  const missing = {
    before: after.columns
      .map(c => c.name)
      .filter(n => !beforeIndex.has(n.toLowerCase())),
    after: before.columns
      .map(c => c.name)
      .filter(n => !afterIndex.has(n.toLowerCase())),
  };
  const key = (options.key ?? []).filter(k =>
    shared.some(name => name.toLowerCase() === k.toLowerCase()),
  );
  const differences =
    key.length > 0 && key.length === (options.key ?? []).length
      ? byKey(shared, key, left, right, sample)
      : asMultisets(left, right, sample);
  const equal =
    left.length === right.length &&
    missing.before.length === 0 &&
    missing.after.length === 0 &&
    columns.every(c => c.equal) &&
    differences.length === 0;
  return {
    equal,
    rows: { before: before.rows.length, after: after.rows.length },
    columns,
    missing,
    differences,
    truncated: before.truncated || after.truncated,
  };
}

/** A value's text, the form values are compared in (null apart from 'null'). */
function text(value: WarehouseValue): string {
  if (value === null) return '\u0000null';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * The sum of the values' hashes (64 bits each, modulo 2^64): the same
 * multiset of values gives the same sum in any order.
 */
function checksum(values: WarehouseValue[]): string {
  let sum = 0n;
  for (const value of values) {
    const digest = createHash('sha256').update(text(value)).digest();
    sum = (sum + digest.readBigUInt64BE(0)) & 0xffffffffffffffffn;
  }
  return sum.toString(16).padStart(16, '0');
}

function rowText(row: WarehouseValue[]): string {
  return JSON.stringify(row.map(text));
}

function asMultisets(
  left: WarehouseValue[][],
  right: WarehouseValue[][],
  sample: number,
): RowDifference[] {
  const counts = new Map<string, { row: WarehouseValue[]; n: number }>();
  for (const row of left) {
    const entry = counts.get(rowText(row)) ?? { row, n: 0 };
    entry.n += 1;
    counts.set(rowText(row), entry);
  }
  const differences: RowDifference[] = [];
  for (const row of right) {
    const entry = counts.get(rowText(row));
    if (entry && entry.n > 0) {
      entry.n -= 1;
    } else if (differences.length < sample) {
      differences.push({ after: row });
    }
  }
  for (const { row, n } of counts.values()) {
    for (let i = 0; i < n && differences.length < sample; i++) {
      differences.push({ before: row });
    }
  }
  return differences;
}

function byKey(
  shared: string[],
  key: string[],
  left: WarehouseValue[][],
  right: WarehouseValue[][],
  sample: number,
): RowDifference[] {
  const at = key.map(k =>
    shared.findIndex(n => n.toLowerCase() === k.toLowerCase()),
  );
  const keyOf = (row: WarehouseValue[]) => at.map(i => row[i]);
  const rights = new Map<string, WarehouseValue[][]>();
  for (const row of right) {
    const k = rowText(keyOf(row));
    rights.set(k, [...(rights.get(k) ?? []), row]);
  }
  const differences: RowDifference[] = [];
  const push = (difference: RowDifference) => {
    if (differences.length < sample) differences.push(difference);
  };
  for (const row of left) {
    const k = rowText(keyOf(row));
    const candidates = rights.get(k);
    const match = candidates?.shift();
    if (!match) {
      push({ key: keyOf(row), before: row });
    } else if (rowText(match) !== rowText(row)) {
      push({ key: keyOf(row), before: row, after: match });
    }
  }
  for (const rest of rights.values()) {
    for (const row of rest) push({ key: keyOf(row), after: row });
  }
  return differences;
}
