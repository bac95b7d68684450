import type {
  DatasetColumn,
  Impact,
  ImpactFile,
  PatchReason,
  PatchStatus,
} from '@ripple/backstage-plugin-ripple-common';
import type {
  ChangeSpec,
  Dialect,
  FileAnalysis,
  RippleEngine,
} from '@ripple/engine';
import { createHash } from 'node:crypto';
import { engineSchema, sameTable } from '../dataset/DatasetReader';
import type { ConsumerCode, SourceFile } from './ConsumerSources';

/** What the engine proposes for one consumer's code. */
export type Proposal = {
  impact: Impact;
  diff: string;
  baseHash: string;
  status: PatchStatus;
  reasons: PatchReason[];
};

// The worst status of the files is the patch's.
const SEVERITY: Record<PatchStatus, number> = {
  unaffected: 0,
  rewritten: 1,
  needs_review: 2,
  error: 3,
};

/**
 * Runs the engine over a consumer's files for a change: where the code reads
 * the dataset (the impact), and the verified edit of every file (one diff),
 * with the hash of the code it was made from, so that a later change to the
 * code makes the patch stale instead of being applied blindly.
 */
export function proposePatch(
  engine: RippleEngine,
  change: Record<string, unknown>,
  code: ConsumerCode,
  columns: DatasetColumn[] = [],
): Proposal {
  const spec = change as unknown as ChangeSpec;
  const dialect = code.dialect ?? spec.dialect ?? 'generic';
  const changed = changedColumns(spec);
  const files: ImpactFile[] = [];
  const diffs: string[] = [];
  const reasons: PatchReason[] = [];
  let status: PatchStatus = 'unaffected';

  for (const file of code.files) {
    const { analysis, table } = analyzeFile(engine, file, {
      dialect,
      table: spec.dataset,
      columns,
      tableNames: tableNames(code, spec.dataset),
    });
    let references = 0;
    const read = new Set<string>();
    for (const statement of analysis.statements) {
      for (const tableRead of statement.reads) {
        if (namesTable(tableRead.table, table)) {
          tableRead.columns.forEach(column => read.add(column));
        }
      }
      for (const reference of statement.references) {
        const ofDataset =
          (reference.table && namesTable(reference.table, table)) ||
          // (The engine leaves out an empty candidates list, whatever its
          // generated type says.)
          (reference.candidates ?? []).some(candidate =>
            namesTable(candidate, table),
          );
        const named =
          reference.kind === 'table' ||
          (reference.column !== undefined &&
            changed.has(reference.column.toLowerCase()));
        if (ofDataset && named) {
          references += 1;
        }
      }
    }
    if (references > 0 || read.size > 0) {
      files.push({ path: file.path, references, columns: [...read] });
    }

    // A dbt model reading the dataset through a source is rewritten with the
    // source's name as the dataset: that is how its SQL names the table.
    const rewrite = engine.rewrite(
      file.path,
      file.text,
      { ...spec, dataset: table },
      { dialect, schema: engineSchema(table, columns) },
    );
    if (rewrite.patch) {
      diffs.push(rewrite.patch);
    }
    for (const message of rewrite.reasons) {
      reasons.push({ path: file.path, message });
    }
    if (SEVERITY[rewrite.status] > SEVERITY[status]) {
      status = rewrite.status;
    }
  }

  return {
    impact: {
      files,
      references: files.reduce((sum, f) => sum + f.references, 0),
    },
    diff: diffs.join(''),
    baseHash: hashCode(code),
    status,
    reasons,
  };
}

/**
 * The other names a consumer's code gives a table: the dbt sources its
 * `sources.yml` maps to it.
 */
export function tableNames(code: ConsumerCode, table: string): string[] {
  return (code.dbtSources ?? [])
    .filter(source => sameTable(source.table, table))
    .map(source => source.name);
}

/**
 * The engine's analysis of one file, with the dataset's columns (so `SELECT *`
 * expands), and the name under which the file reads the dataset's table: the
 * table itself, or a dbt source's name when a model reads it through one.
 */
export function analyzeFile(
  engine: RippleEngine,
  file: SourceFile,
  options: {
    dialect: Dialect;
    table: string;
    columns: DatasetColumn[];
    tableNames: string[];
  },
): { analysis: FileAnalysis; table: string; reads: boolean } {
  const { dialect, columns } = options;
  let table = options.table;
  let analysis = engine.analyze(file.path, file.text, {
    dialect,
    schema: engineSchema(table, columns),
  });
  if (options.tableNames.length > 0 && analysis.language === 'dbt') {
    const source = options.tableNames.find(name =>
      readTables(analysis).some(
        read => read.toLowerCase() === name.toLowerCase(),
      ),
    );
    if (source) {
      table = source;
      analysis = engine.analyze(file.path, file.text, {
        dialect,
        schema: engineSchema(table, columns),
      });
    }
  }
  const reads = readTables(analysis).some(read => namesTable(read, table));
  return { analysis, table, reads };
}

function readTables(analysis: FileAnalysis): string[] {
  return analysis.statements.flatMap(statement => [
    ...statement.reads.map(read => read.table),
    ...statement.references
      .filter(reference => reference.kind === 'table' && !reference.write)
      .map(reference => reference.table!)
      .filter(Boolean),
  ]);
}

/** The hash of a consumer's code: its files' paths and contents, in order. */
export function hashCode(code: ConsumerCode): string {
  const hash = createHash('sha256');
  for (const file of [...code.files].sort((a, b) =>
    a.path.localeCompare(b.path),
  )) {
    hash.update(file.path).update('\0').update(file.text).update('\0');
  }
  // Where dbt sources point decides what a model reads.
  for (const source of code.dbtSources ?? []) {
    hash.update(`source ${source.name} ${source.table}\0`);
  }
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Whether a table name as written names the dataset: the engine matches by
 * suffix (`orders`, `ds.orders` and `proj.ds.orders` name `proj.ds.orders`).
 */
export function namesTable(written: string, dataset: string): boolean {
  const parts = written.toLowerCase().split('.');
  const full = dataset.toLowerCase().split('.');
  return (
    parts.length <= full.length &&
    parts.every((part, i) => part === full[full.length - parts.length + i])
  );
}

function changedColumns(spec: ChangeSpec): Set<string> {
  const columns = new Set<string>();
  for (const change of spec.changes) {
    if ('column' in change) {
      columns.add(change.column.toLowerCase());
    }
    if (change.kind === 'replace_table' && change.columns) {
      Object.keys(change.columns).forEach(c => columns.add(c.toLowerCase()));
    }
  }
  return columns;
}
