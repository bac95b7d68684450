import type {
  RippleWarehouse,
  ScratchView,
  WarehousePartitioning,
} from './warehouse';

/**
 * The rows of a dataset a validation reads: a window of one column. Both
 * the old and the patched query read the same window (a view of it in the
 * scratch schema), so the comparison stays fair while it reads, and on
 * BigQuery pays for, a part of a large table only.
 *
 * @public
 */
export interface ValidationSample {
  /** The column the window is on: a plain identifier (`order_date`, `_PARTITIONTIME`). */
  column: string;
  /** The first value in the window (inclusive): an ISO 8601 date or timestamp, or a number. */
  from?: string | number;
  /** The first value past the window (exclusive). */
  to?: string | number;
  /**
   * The last `days` days, to now: made a `from` date once, when the
   * validation starts, so both sides read the same rows.
   */
  days?: number;
}

// A plain identifier is written bare: quoting would make it case-sensitive
// on PostgreSQL and Snowflake, and nothing else may reach the SQL.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const DATE =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * A sample as a dataset declares it (JSON), checked: throws an error
 * naming the field that is wrong.
 *
 * @public
 */
export function parseSample(value: unknown): ValidationSample {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      'must be an object with `column` and `days`, or `from` and/or `to`',
    );
  }
  const { column, from, to, days, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) {
    throw new Error(
      `unknown field ${unknown[0]} (known: column, from, to, days)`,
    );
  }
  if (typeof column !== 'string' || !IDENTIFIER.test(column)) {
    throw new Error(
      `column: must be a plain column name (letters, digits, _ and $), not ${JSON.stringify(
        column,
      )}`,
    );
  }
  const sample: ValidationSample = { column };
  for (const [field, bound] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (bound === undefined) continue;
    if (
      !(typeof bound === 'number' && Number.isFinite(bound)) &&
      !(typeof bound === 'string' && DATE.test(bound))
    ) {
      throw new Error(
        `${field}: must be an ISO 8601 date or timestamp, or a number, not ${JSON.stringify(
          bound,
        )}`,
      );
    }
    sample[field] = bound;
  }
  if (days !== undefined) {
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1) {
      throw new Error(
        `days: must be a whole number of days, 1 or more, not ${JSON.stringify(
          days,
        )}`,
      );
    }
    if (sample.from !== undefined) {
      throw new Error('days: give either days or from, not both');
    }
    sample.days = days;
  }
  if (
    sample.from === undefined &&
    sample.to === undefined &&
    sample.days === undefined
  ) {
    throw new Error(
      'needs days, from or to: the window is otherwise the whole table',
    );
  }
  return sample;
}

/**
 * The sample a validation takes of a table partitioned by time: its
 * partitions of the last `days` days. Range partitions have no "latest"
 * to take: a dataset declares its own window for them.
 *
 * @public
 */
export function partitionSample(
  partitioning: WarehousePartitioning | undefined,
  days: number,
): ValidationSample | undefined {
  if (partitioning?.kind !== 'time') return undefined;
  return { column: partitioning.column, days };
}

/**
 * The view of a table's rows in the sample's window, in the warehouse's
 * scratch schema, and a description of the window for the result
 * (`order_date >= '2026-12-05'`). `days` counts back from `now`.
 *
 * @public
 */
export function sampleView(
  warehouse: Pick<RippleWarehouse, 'relation'>,
  table: string,
  sample: ValidationSample,
  view: string,
  now: Date = new Date(),
): ScratchView & { window: string } {
  const checked = parseSample(sample);
  const from =
    checked.days !== undefined
      ? new Date(now.getTime() - checked.days * 86_400_000)
          .toISOString()
          .slice(0, 10)
      : checked.from;
  const literal = (bound: string | number) =>
    typeof bound === 'number' ? String(bound) : `'${bound}'`;
  const conditions = [
    ...(from !== undefined ? [`${checked.column} >= ${literal(from)}`] : []),
    ...(checked.to !== undefined
      ? [`${checked.column} < ${literal(checked.to)}`]
      : []),
  ];
  const window = conditions.join(' AND ');
  return {
    view,
    window,
    create: `CREATE OR REPLACE VIEW ${view} AS\nSELECT *\nFROM ${warehouse.relation(
      table,
    )}\nWHERE ${window};`,
    cleanup: `DROP VIEW IF EXISTS ${view};`,
  };
}
