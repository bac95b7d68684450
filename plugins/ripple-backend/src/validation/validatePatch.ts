import {
  compareResults,
  type ColumnComparison,
  type RippleWarehouse,
  type RowDifference,
  WarehouseError,
  type WarehouseLimits,
} from '@ripple/backstage-plugin-ripple-node';
import { sameTable } from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, Dialect, RippleEngine } from '@ripple/engine';
import { createHash, randomBytes } from 'node:crypto';
import { statementPairs } from './statements';

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
 * after. What cannot run as written (dbt models, SQL inside programs,
 * statements that write, bind parameters) is `skipped` with the reason.
 * Never throws for the warehouse: its errors are `error` results naming the
 * cause.
 */
export async function validatePatch(options: {
  engine: Pick<RippleEngine, 'analyze' | 'rewrite' | 'forwardView'>;
  warehouse: RippleWarehouse;
  change: ChangeSpec;
  /** The dataset's columns before the change, when known (the forward view then lists them). */
  columns?: { name: string; type?: string }[];
  /** The consumer's files the patch edits, each with its patched text. */
  files: { path: string; text: string; patched: string }[];
  limits?: Partial<ValidationLimits>;
}): Promise<PatchValidation> {
  const { engine, warehouse, change } = options;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const dialect = warehouse.dialect as Dialect;
  const started = Date.now();
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
    };
  };

  const pairs = options.files.flatMap(file =>
    statementPairs(engine, file, file.patched, dialect),
  );
  const newName =
    change.changes.flatMap(c =>
      c.kind === 'rename_table' || c.kind === 'replace_table' ? [c.to] : [],
    )[0] ?? change.dataset;
  const reading = pairs.filter(
    pair =>
      pair.skip || pair.reads.some(table => sameTable(table, change.dataset)),
  );
  const skipped = (reason: string) =>
    reading.map(pair => ({
      path: pair.path,
      line: pair.line,
      status: 'skipped' as const,
      reason: pair.skip ?? reason,
    }));
  if (!reading.some(pair => !pair.skip)) {
    return result(
      'skipped',
      skipped(''),
      reading.length === 0
        ? `no statement of the patch reads ${change.dataset}`
        : undefined,
    );
  }

  // The forward view: named after the change and the table, and unique to
  // this validation. Validations run side by side on a warehouse (of one
  // migration, or of two migrations of the same table): a name they shared
  // would be dropped by the first to finish while the others still read it.
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
      if (pair.skip) {
        statements.push({
          path: pair.path,
          line: pair.line,
          status: 'skipped',
          reason: pair.skip,
        });
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
  pair: { path: string; line: number; before: string; after: string },
  newName: string,
  viewName: string,
  dialect: Dialect,
  limits: ValidationLimits,
): Promise<StatementValidation> {
  const at = { path: pair.path, line: pair.line };
  const started = Date.now();
  // The patched query names the dataset as it will be: pointed at the view.
  const atView = engine.rewrite(
    'validation.sql',
    pair.after,
    {
      dataset: newName,
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
    const comparison = compareResults(before, after, { sample: limits.sample });
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
 * Why every statement of a patch was skipped: their reasons, each once,
 * with where (`model.sql:1: a dbt model ...`).
 */
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

function lastPart(name: string): string {
  return (name.split('.').pop() ?? name).replace(/[^A-Za-z0-9_]/g, '_');
}
