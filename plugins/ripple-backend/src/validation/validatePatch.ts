import {
  compareResults,
  type ColumnComparison,
  partitionSample,
  type RippleWarehouse,
  type RowDifference,
  sampleView,
  type ValidationSample,
  WarehouseError,
  type WarehouseLimits,
  type WarehouseResult,
} from '@ripple/backstage-plugin-ripple-node';
import { sameTable } from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, Dialect, RippleEngine } from '@ripple/engine';
import { createHash, randomBytes } from 'node:crypto';
import type { SampleValues } from './sampleValues';
import {
  type PatchedFile,
  type StatementPair,
  statementPairs,
} from './statements';

/** What a validation found; the patch's is the worst of its statements'. */
export type ValidationStatus = 'passed' | 'failed' | 'skipped' | 'error';

/** One statement's old and patched queries, run and compared. */
export type StatementValidation = {
  path: string;
  line: number;
  status: ValidationStatus;
  /** Why it was skipped, or what went wrong. */
  reason?: string;
  rows?: { before: number; after: number };
  columns?: ColumnComparison[];
  missing?: { before: string[]; after: string[] };
  differences?: RowDifference[];
  durationMs?: number;
  /** Bytes its two queries scanned, where the warehouse says (BigQuery). */
  bytesProcessed?: number;
};

/** A patch validated on its dataset's warehouse. */
export type PatchValidation = {
  status: ValidationStatus;
  warehouse: string;
  statements: StatementValidation[];
  durationMs: number;
  /** Set when nothing could run at all (no forward view, the warehouse down). */
  reason?: string;
  /** The rows both sides read, when not the whole table: `order_date >= '2026-12-05'`. */
  sample?: string;
  /** Bytes all its queries scanned, where the warehouse says (BigQuery). */
  bytesProcessed?: number;
};

/**
 * Limits of each query, of the comparison's sample of differing rows
 * (`sample`), and the days of a time-partitioned table read when the
 * dataset declares no window (`sampleDays`).
 */
export type PatchLimits = WarehouseLimits & {
  sample?: number;
  sampleDays?: number;
};

const DEFAULT_LIMITS: PatchLimits = {
  timeoutMs: 60_000,
  maxRows: 100_000,
  maxBytes: 256 * 1024 * 1024,
  sample: 20,
  sampleDays: 1,
};

/** The bytes a validation's queries scanned, where the warehouse says. */
class Cost {
  private bytes?: number;

  add(result: WarehouseResult): WarehouseResult {
    if (result.bytesProcessed !== undefined) {
      this.bytes = (this.bytes ?? 0) + result.bytesProcessed;
    }
    return result;
  }

  field(): { bytesProcessed?: number } {
    return this.bytes !== undefined ? { bytesProcessed: this.bytes } : {};
  }
}

/**
 * Runs each statement of a consumer's patch that reads the dataset twice on
 * the dataset's warehouse, and compares the rows: the old query against the
 * dataset as it is, the patched one against the dataset as it will be, a
 * forward view of the engine (the new shape over the table as it is now) in
 * the warehouse's scratch schema, made for this validation and dropped
 * after. Both sides read the same rows: the whole table, or a window of
 * it (the dataset's declared `sample`, else the latest `sampleDays` of a
 * time-partitioned table), as a view in the scratch schema that the old
 * query is pointed at and the forward view reads. A statement runs as the
 * warehouse can run it alone: its bind parameters bound from the
 * consumer's sample values, only its query part when it writes, a dbt
 * model's compiled SQL patched as its source is. What cannot (SQL inside
 * programs, a MERGE, parameters without values, a model without compiled
 * SQL...) is `skipped` with the reason. Never throws for the warehouse:
 * its errors are `error` results naming the cause.
 */
export async function validatePatch(options: {
  engine: Pick<
    RippleEngine,
    'analyze' | 'rewrite' | 'forwardView' | 'bindParameters'
  >;
  warehouse: RippleWarehouse;
  change: ChangeSpec;
  /** The dataset's columns before the change, when known (the forward view then lists them). */
  columns?: { name: string; type?: string }[];
  /** The consumer's files the patch edits, each with its patched text (and a dbt model's compiled SQL). */
  files: PatchedFile[];
  /** The consumer's sample values for bind parameters (`ripple.io/sample-values`). */
  sampleValues?: SampleValues;
  /** The rows of the dataset to read, as the dataset declares them. */
  sample?: ValidationSample;
  limits?: Partial<PatchLimits>;
}): Promise<PatchValidation> {
  const { engine, warehouse, change } = options;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const dialect = warehouse.dialect as Dialect;
  const started = Date.now();
  const cost = new Cost();
  let window: string | undefined;
  const result = (
    status: ValidationStatus,
    statements: StatementValidation[],
    given?: string,
  ): PatchValidation => {
    // A skipped patch always says why: a plan that requires validation
    // counts a skip only with its reason.
    const reason =
      given || (status === 'skipped' ? skipReason(statements) : undefined);
    return {
      status,
      warehouse: warehouse.id,
      statements,
      durationMs: Date.now() - started,
      ...(reason ? { reason } : {}),
      ...(window ? { sample: window } : {}),
      ...cost.field(),
    };
  };

  const pairs = options.files.flatMap(file =>
    statementPairs(engine, file, dialect, options.sampleValues),
  );
  const newName =
    change.changes.flatMap(c =>
      c.kind === 'rename_table' || c.kind === 'replace_table' ? [c.to] : [],
    )[0] ?? change.dataset;
  const reading = pairs.filter(
    pair =>
      pair.skip || pair.reads.some(table => sameTable(table, change.dataset)),
  );
  const unrun = (pair: StatementPair, reason?: string) =>
    pair.error !== undefined
      ? {
          path: pair.path,
          line: pair.line,
          status: 'error' as const,
          reason: pair.error,
        }
      : {
          path: pair.path,
          line: pair.line,
          status: 'skipped' as const,
          reason: pair.skip ?? reason,
        };
  const skipped = (reason: string) => reading.map(pair => unrun(pair, reason));
  if (!reading.some(pair => !pair.skip && pair.error === undefined)) {
    const statements = skipped('');
    return result(
      worst(statements.map(st => st.status)),
      statements,
      reading.length === 0
        ? `no statement of the patch reads ${change.dataset}`
        : undefined,
    );
  }

  // The scratch views are this validation's own (the change's digest says
  // what they are, a random suffix whose they are): two validations of one
  // migration running at once must not drop each other's.
  const digest = `${createHash('sha256')
    .update(JSON.stringify(change))
    .digest('hex')
    .slice(0, 12)}_${randomBytes(3).toString('hex')}`;
  const viewName = `${warehouse.scratchSchema}.ripple_${lastPart(
    newName,
  )}_${digest}`;
  const made: ScratchViewOf[] = [];
  try {
    let source = warehouse.relation(change.dataset);
    let sample = options.sample;
    if (!sample && warehouse.partitioning) {
      sample = partitionSample(
        await warehouse.partitioning(change.dataset),
        limits.sampleDays ?? 1,
      );
    }
    let sampled: ReturnType<typeof sampleView> | undefined;
    if (sample) {
      sampled = sampleView(
        warehouse,
        change.dataset,
        sample,
        `${warehouse.scratchSchema}.ripple_sample_${lastPart(
          change.dataset,
        )}_${digest}`,
      );
      await warehouse.createView(sampled);
      made.push(sampled);
      window = sampled.window;
      const count = cost.add(
        await warehouse.query(
          `SELECT count(*) AS n FROM ${sampled.view}`,
          limits,
        ),
      );
      if (Number(count.rows[0]?.[0] ?? 0) === 0) {
        // Two empty results are equal and prove nothing.
        return result(
          'skipped',
          skipped(`the sample holds no rows of ${change.dataset}`),
          `the sample of ${change.dataset} (${window}) holds no rows: nothing to compare`,
        );
      }
      source = sampled.view;
    }
    let view;
    try {
      view = engine.forwardView(
        { ...change, dataset: source },
        {
          view: viewName,
          dialect,
          ...(options.columns?.length
            ? {
                schema: {
                  tables: { [source]: { columns: options.columns } },
                } as never,
              }
            : {}),
        },
      );
    } catch (error) {
      return result(
        'skipped',
        skipped(`no forward view: ${(error as Error).message}`),
        `the patched queries cannot run before the producer's change: ${
          (error as Error).message
        }`,
      );
    }
    await warehouse.createView(view);
    made.push(view);
    const statements: StatementValidation[] = [];
    for (const pair of reading) {
      if (pair.skip || pair.error !== undefined) {
        statements.push(unrun(pair));
        continue;
      }
      statements.push(
        await validateStatement(
          engine,
          warehouse,
          pair,
          { dataset: change.dataset, newName, viewName, sample: sampled?.view },
          dialect,
          limits,
          cost,
        ),
      );
    }
    return result(worst(statements.map(s => s.status)), statements);
  } catch (error) {
    return result('error', [], describe(error));
  } finally {
    // The forward view reads the sample's: dropped first.
    for (const view of made.reverse()) {
      await warehouse.dropView(view).catch(() => {});
    }
  }
}

type ScratchViewOf = Parameters<RippleWarehouse['createView']>[0];

/** Where a statement's two queries read: the names of the scratch views. */
type Targets = {
  dataset: string;
  newName: string;
  /** The forward view, for the patched query. */
  viewName: string;
  /** The sample's view, for the old query, when the table is sampled. */
  sample?: string;
};

async function validateStatement(
  engine: Pick<RippleEngine, 'rewrite'>,
  warehouse: RippleWarehouse,
  pair: StatementPair,
  targets: Targets,
  dialect: Dialect,
  limits: PatchLimits,
  cost: Cost,
): Promise<StatementValidation> {
  const at = { path: pair.path, line: pair.line };
  const started = Date.now();
  // The patched query names the dataset as it will be: pointed at the
  // forward view. The old one, when the table is sampled, at the sample.
  const after = pointAt(
    engine,
    pair.after,
    asWritten(pair.afterReads, targets.newName),
    targets.viewName,
    dialect,
  );
  const before = targets.sample
    ? pointAt(
        engine,
        pair.before,
        asWritten(pair.reads, targets.dataset),
        targets.sample,
        dialect,
      )
    : { sql: pair.before };
  if ('failure' in after) {
    return {
      ...at,
      status: 'skipped',
      reason: `the patched query could not be pointed at the forward view: ${after.failure}`,
    };
  }
  if ('failure' in before) {
    return {
      ...at,
      status: 'skipped',
      reason: `the old query could not be pointed at the sample: ${before.failure}`,
    };
  }
  let bytes: number | undefined;
  const run = async (sql: string) => {
    const result = cost.add(await warehouse.query(sql, limits));
    if (result.bytesProcessed !== undefined) {
      bytes = (bytes ?? 0) + result.bytesProcessed;
    }
    return result;
  };
  const spent = () => ({
    durationMs: Date.now() - started,
    ...(bytes !== undefined ? { bytesProcessed: bytes } : {}),
  });
  try {
    const old = await run(before.sql);
    const patched = await run(after.sql);
    if (old.truncated || patched.truncated) {
      return {
        ...at,
        status: 'skipped',
        reason: `the output is over the ${limits.maxRows}-row cap: a sample of unordered rows cannot be compared fairly`,
        ...spent(),
      };
    }
    const comparison = compareResults(
      old,
      pair.byPosition ? namedAsBefore(patched, old) : patched,
      { sample: limits.sample },
    );
    return {
      ...at,
      status: comparison.equal ? 'passed' : 'failed',
      rows: comparison.rows,
      columns: comparison.columns,
      missing: comparison.missing,
      differences: comparison.differences,
      ...spent(),
    };
  } catch (error) {
    return { ...at, status: 'error', reason: describe(error), ...spent() };
  }
}

/**
 * The dataset named as qualified as the query names it (dbt's compiled SQL
 * writes `"db"."schema"."table"`), so that every way it does is pointed.
 */
function asWritten(reads: string[], dataset: string): string {
  return reads
    .filter(table => sameTable(table, dataset))
    .reduce(
      (longest, table) =>
        table.split('.').length > longest.split('.').length ? table : longest,
      dataset,
    );
}

/**
 * `result` with the columns of `before`'s names, by position (what an
 * INSERT writes goes by position: the names of its query's columns write
 * nothing). Columns past `before`'s keep their own names.
 */
function namedAsBefore(
  result: WarehouseResult,
  before: WarehouseResult,
): WarehouseResult {
  return {
    ...result,
    columns: result.columns.map((column, i) => ({
      ...column,
      name: before.columns[i]?.name ?? column.name,
    })),
  };
}

/** A query with its reads of `table` made reads of `view`, by the engine. */
function pointAt(
  engine: Pick<RippleEngine, 'rewrite'>,
  sql: string,
  table: string,
  view: string,
  dialect: Dialect,
): { sql: string } | { failure: string } {
  const pointed = engine.rewrite(
    'validation.sql',
    sql,
    { dataset: table, dialect, changes: [{ kind: 'rename_table', to: view }] },
    { dialect },
  );
  if (pointed.status !== 'rewritten' && pointed.status !== 'unaffected') {
    return { failure: pointed.findings.map(f => f.message).join('; ') };
  }
  return { sql: pointed.content ?? sql };
}

function skipReason(statements: StatementValidation[]): string {
  const reasons = new Map<string, string[]>();
  for (const s of statements) {
    const reason = s.reason?.trim() || 'no reason given';
    reasons.set(reason, [
      ...(reasons.get(reason) ?? []),
      `${s.path}:${s.line}`,
    ]);
  }
  if (!reasons.size) return 'no statement to run';
  const parts = [...reasons].map(([reason, at]) => {
    const where =
      at.length > 3
        ? `${at.slice(0, 3).join(', ')} and ${at.length - 3} more`
        : at.join(', ');
    return `${where}: ${reason}`;
  });
  return `every statement was skipped: ${parts.join('; ')}`;
}

function describe(error: unknown): string {
  return WarehouseError.is(error)
    ? `${error.kind}: ${error.message}`
    : (error as Error).message;
}

const RANK: ValidationStatus[] = ['skipped', 'passed', 'failed', 'error'];

function worst(statuses: ValidationStatus[]): ValidationStatus {
  return statuses.reduce<ValidationStatus>(
    (a, b) => (RANK.indexOf(b) > RANK.indexOf(a) ? b : a),
    'skipped',
  );
}

/** A table's last name, as part of a view's name (short: PostgreSQL keeps 63 characters). */
function lastPart(name: string): string {
  return (name.split('.').pop() ?? name)
    .replace(/[^A-Za-z0-9_]/g, '_')
    .slice(0, 24);
}
