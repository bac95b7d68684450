import { isRippleError } from '@ripple/backstage-plugin-ripple-common';
import type { RippleEngine } from '@ripple/engine';
import type { ConsumerCode } from '../agent/ConsumerSources';

/**
 * What the engine makes of one location's code, without a change: the
 * index keeps it so that a dataset's candidates are a lookup, not a read of
 * every repository.
 */
export type CodeSummary = {
  /** The tables its code reads, as written, with the columns it reads. */
  reads: Record<string, string[]>;
  /** The tables it writes, as written. */
  writes: string[];
  /**
   * The files the engine failed on: the code may read any table, so the
   * location is a candidate of every dataset (and the agent says why it
   * skips it, as before the index).
   */
  failed: string[];
};

/** Reads any table: the key of a location whose code the engine failed on. */
export const ANY_TABLE = '*';

/**
 * Summarises a consumer's code with the engine's `analyze`, file by file.
 * The dialect is the consumer's own (`ripple.io/dialect`) or generic: the
 * summary only needs table names, which every dialect's parser finds (and
 * a statement that does not parse is scanned token by token).
 */
export function summarizeCode(
  engine: Pick<RippleEngine, 'analyze'>,
  code: ConsumerCode,
): CodeSummary {
  const reads = new Map<string, Set<string>>();
  const writes = new Set<string>();
  const failed: string[] = [];
  const dialect = code.dialect ?? 'generic';
  for (const file of code.files) {
    let analysis;
    try {
      analysis = engine.analyze(file.path, file.text, { dialect });
    } catch (error) {
      if (!isRippleError(error)) throw error;
      failed.push(file.path);
      continue;
    }
    for (const statement of analysis.statements) {
      for (const read of statement.reads) {
        const columns = reads.get(read.table) ?? new Set<string>();
        read.columns.forEach(column => columns.add(column));
        reads.set(read.table, columns);
      }
      // A statement that did not parse lists its table names as
      // references only.
      for (const reference of statement.references) {
        if (reference.kind === 'table' && reference.table && !reference.write) {
          if (!reads.has(reference.table))
            reads.set(reference.table, new Set());
        }
      }
      statement.writes.forEach(write => writes.add(write.table));
    }
  }
  return {
    reads: Object.fromEntries(
      [...reads]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([t, c]) => [t, [...c]]),
    ),
    writes: [...writes].sort(),
    failed,
  };
}

/**
 * The keys a location is found under: the last part of each table name it
 * reads, lower-cased (`orders` for `proj.ds.orders`), the tables its dbt
 * sources point at, and {@link ANY_TABLE} when the engine failed on a file.
 * A dataset's candidates are the locations under its table's key: a
 * superset of its readers (the agent's analysis decides), never fewer.
 */
export function tableKeys(summary: CodeSummary, code: ConsumerCode): string[] {
  const keys = new Set<string>();
  Object.keys(summary.reads).forEach(table => keys.add(tableKey(table)));
  // A dbt source names its table by the source's name (`shop.orders`);
  // its `identifier` may be another name than the table's.
  (code.dbtSources ?? []).forEach(source => keys.add(tableKey(source.table)));
  if (summary.failed.length) keys.add(ANY_TABLE);
  return [...keys].sort();
}

/** The last part of a table name, unquoted and lower-cased. */
export function tableKey(table: string): string {
  const last = table.split('.').pop() ?? table;
  // (The column holds 255 characters; a longer name is cut, which can
  // only add candidates.)
  return last
    .replace(/^[`"[]|[`"\]]$/g, '')
    .toLowerCase()
    .slice(0, 255);
}
