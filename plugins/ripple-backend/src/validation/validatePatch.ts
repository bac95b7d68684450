import {
  compareResults,
  type ColumnComparison,
  type RippleWarehouse,
  type RowDifference,
  WarehouseError,
  type WarehouseResult,
  type WarehouseLimits,
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
};

/** A patch validated on its dataset's warehouse. */
export type PatchValidation = {
  status: ValidationStatus;
  warehouse: string;
  statements: StatementValidation[];
  durationMs: number;
  /** Set when nothing could run at all (no forward view, the warehouse down). */
  reason?: string;
};

/** Limits of each query, and of the comparison's sample. */
export type ValidationLimits = WarehouseLimits & { sample?: number };

const DEFAULT_LIMITS: ValidationLimits = {
  timeoutMs: 60_000,
  maxRows: 100_000,
  maxBytes: 256 * 1024 * 1024,
  sample: 20,
};

/**
 * Runs each statement of a consumer's patch that reads the dataset twice on
 * the dataset's warehouse, and compares the rows: the old query against the
 * dataset as it is, the patched one against the dataset as it will be, a
 * forward view of the engine (the new shape over the table as it is now) in
 * the warehouse's scratch schema, made for this validation and dropped
 * after. A statement runs as the warehouse can run it alone: its bind
 * parameters bound from the consumer's sample values, only its query part
 * when it writes, a dbt model's compiled SQL patched as its source is. What
 * cannot (SQL inside programs, a MERGE, parameters without values, a model
 * without compiled SQL...) is `skipped` with the reason. Never throws for
 * the warehouse: its errors are `error` results naming the cause.
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
  limits?: Partial<ValidationLimits>;
}): Promise<PatchValidation> {
  const { engine, warehouse, change } = options;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const dialect = warehouse.dialect as Dialect;
  const started = Date.now();
  const result = (
    status: ValidationStatus,
    statements: StatementValidation[],
    reason?: string,
  ): PatchValidation => ({
    status,
    warehouse: warehouse.id,
    statements,
    durationMs: Date.now() - started,
    ...(reason ? { reason } : {}),
  });

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
  const unrun = (pair: (typeof pairs)[number], reason?: string) =>
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

  // The forward view: named after the change and the table, and this
  // validation's own, since each drops its view when done: validations of
  // one migration run side by side on a warehouse (and on other replicas),
  // and one sharing a view had it dropped under its queries.
  const digest = createHash('sha256')
    .update(JSON.stringify(change))
    .digest('hex')
    .slice(0, 12);
  const viewName = `${warehouse.scratchSchema}.ripple_${lastPart(
    newName,
  )}_${digest}_${randomBytes(4).toString('hex')}`;
  let view;
  try {
    view = engine.forwardView(
      { ...change, dataset: warehouse.relation(change.dataset) },
      {
        view: viewName,
        dialect,
        ...(options.columns?.length
          ? {
              schema: {
                tables: {
                  [warehouse.relation(change.dataset)]: {
                    columns: options.columns,
                  },
                },
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
  try {
    await warehouse.createView(view);
  } catch (error) {
    return result('error', [], describe(error));
  }

  const statements: StatementValidation[] = [];
  try {
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
          newName,
          viewName,
          dialect,
          limits,
        ),
      );
    }
  } finally {
    await warehouse.dropView(view).catch(() => {});
  }
  return result(worst(statements.map(s => s.status)), statements);
}

async function validateStatement(
  engine: Pick<RippleEngine, 'rewrite'>,
  warehouse: RippleWarehouse,
  pair: StatementPair,
  newName: string,
  viewName: string,
  dialect: Dialect,
  limits: ValidationLimits,
): Promise<StatementValidation> {
  const at = { path: pair.path, line: pair.line };
  const started = Date.now();
  // The patched query names the dataset as it will be: pointed at the
  // view. Named as qualified as the query names it (dbt's compiled SQL
  // writes `"db"."schema"."table"`), so that every way it does matches.
  const dataset = pair.afterReads
    .filter(table => sameTable(table, newName))
    .reduce(
      (longest, table) =>
        table.split('.').length > longest.split('.').length ? table : longest,
      newName,
    );
  const atView = engine.rewrite(
    'validation.sql',
    pair.after,
    {
      dataset,
      dialect,
      changes: [{ kind: 'rename_table', to: viewName }],
    },
    { dialect },
  );
  if (atView.status !== 'rewritten' && atView.status !== 'unaffected') {
    return {
      ...at,
      status: 'skipped',
      reason: `the patched query could not be pointed at the forward view: ${atView.findings
        .map(f => f.message)
        .join('; ')}`,
    };
  }
  try {
    const before = await warehouse.query(pair.before, limits);
    const after = await warehouse.query(atView.content ?? pair.after, limits);
    if (before.truncated || after.truncated) {
      return {
        ...at,
        status: 'skipped',
        reason: `the output is over the ${limits.maxRows}-row cap: a sample of unordered rows cannot be compared fairly`,
        durationMs: Date.now() - started,
      };
    }
    const comparison = compareResults(
      before,
      pair.byPosition ? namedAsBefore(after, before) : after,
      { sample: limits.sample },
    );
    return {
      ...at,
      status: comparison.equal ? 'passed' : 'failed',
      rows: comparison.rows,
      columns: comparison.columns,
      missing: comparison.missing,
      differences: comparison.differences,
      durationMs: Date.now() - started,
    };
  } catch (error) {
    return {
      ...at,
      status: 'error',
      reason: describe(error),
      durationMs: Date.now() - started,
    };
  }
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

function lastPart(name: string): string {
  return (name.split('.').pop() ?? name).replace(/[^A-Za-z0-9_]/g, '_');
}
