/**
 * A value of a warehouse's row, as JSON holds it: numbers that fit a double,
 * strings for the rest (64-bit integers, decimals, dates and timestamps in
 * ISO 8601), booleans, null; nested values (structs, lists) as JSON.
 *
 * @public
 */
export type WarehouseValue =
  | string
  | number
  | boolean
  | null
  | WarehouseValue[]
  | { [key: string]: WarehouseValue };

/** A column of a query's result: its name and the warehouse's type for it. @public */
export interface WarehouseColumn {
  name: string;
  /** The type as the warehouse names it (`INTEGER`, `numeric`, `INT64`). */
  type: string;
}

/**
 * What a query may cost. A query over a limit is stopped (or, where the
 * warehouse can tell beforehand, never run) and fails with a
 * {@link WarehouseError} of kind `timeout` or `cap_exceeded`.
 *
 * @public
 */
export interface WarehouseLimits {
  /** Stops the query after this long. */
  timeoutMs: number;
  /** Rows read at most; more makes the result `truncated`, not an error. */
  maxRows: number;
  /**
   * Bytes at most: scanned, where the warehouse bills by them (BigQuery),
   * else of the rows returned.
   */
  maxBytes?: number;
}

/** The rows of one query. @public */
export interface WarehouseResult {
  columns: WarehouseColumn[];
  rows: WarehouseValue[][];
  /** More rows than `maxRows` were there: `rows` holds the first `maxRows`. */
  truncated: boolean;
  durationMs: number;
  /** Bytes the warehouse scanned (or billed), when it says. */
  bytesProcessed?: number;
}

/**
 * A view Ripple makes in its scratch schema (the engine's forward view:
 * the new shape of a dataset over its table as it is now).
 *
 * @public
 */
export interface ScratchView {
  /** Its name; it must be in the warehouse's scratch schema. */
  view: string;
  create: string;
  cleanup: string;
}

/**
 * How a table is partitioned, as its warehouse says: by a time column (or,
 * with no column, by ingestion time: BigQuery's `_PARTITIONTIME`) at a
 * granularity, or by integer ranges of a column.
 *
 * @public
 */
export interface WarehousePartitioning {
  kind: 'time' | 'range';
  /** The partitioning column; `_PARTITIONTIME` for ingestion-time partitions. */
  column: string;
  /** `HOUR`, `DAY`, `MONTH` or `YEAR`, for time partitions. */
  granularity?: string;
}

/**
 * A connection to a warehouse where datasets live. Queries run read-only,
 * within limits; the only objects Ripple creates are views in a scratch
 * schema it owns. Credentials stay inside: never in an error or a log.
 *
 * @public
 */
export interface RippleWarehouse {
  /** Its id in `ripple.warehouses`, named by datasets' `ripple.io/warehouse`. */
  readonly id: string;
  /** The engine's dialect for its SQL. */
  readonly dialect: string;
  /**
   * The schema of Ripple's own objects, as a view's name starts
   * (`ripple_scratch`; `memory.ripple_scratch` for DuckDB, whose scratch is
   * a database of its own beside the read-only warehouse).
   */
  readonly scratchSchema: string;
  /**
   * How the SQL of a scratch view names a table of the warehouse (DuckDB
   * qualifies it with the warehouse's catalog; others keep it).
   */
  relation(table: string): string;
  /**
   * How the table is partitioned, where the warehouse keeps that in its
   * metadata (BigQuery); undefined when it is not, or not known. A
   * validation samples a time-partitioned table's latest partitions.
   */
  partitioning?(table: string): Promise<WarehousePartitioning | undefined>;
  /** Runs one read-only query. */
  query(sql: string, limits: WarehouseLimits): Promise<WarehouseResult>;
  /** Creates (or replaces) a view in the scratch schema. */
  createView(view: ScratchView): Promise<void>;
  /** Drops a view of the scratch schema. */
  dropView(view: ScratchView): Promise<void>;
  /** Closes its connections. */
  close(): Promise<void>;
  /**
   * Writes for a migration's steps (docs/steps.md): present only when
   * `ripple.warehouses.<id>.steps` is `run`, for DuckDB and PostgreSQL.
   * Everything else on a warehouse stays read-only.
   */
  readonly steps?: WarehouseSteps;
}

/**
 * How Ripple runs a migration's steps on a warehouse that allows it
 * (`steps: run`). The statements are the engine's step plan, never a
 * request's text; values travel as parameters (`$1`, `$2`).
 *
 * @public
 */
export interface WarehouseSteps {
  /**
   * Runs `statements` in order in ONE transaction, each with `params`;
   * the rows the last one changed (a batch's copy).
   */
  run(
    statements: string[],
    params?: WarehouseValue[],
  ): Promise<{ rowsChanged: number }>;
  /** One read of a step (a count, a batch's next key, a check), with no limit. */
  query(
    sql: string,
    params?: WarehouseValue[],
  ): Promise<{ columns: string[]; rows: WarehouseValue[][] }>;
}

/**
 * Who runs a migration's steps on a warehouse (`ripple.warehouses.<id>.steps`):
 * `run`, Ripple itself; `hand-over` (the default), a person, from the
 * script Ripple writes.
 *
 * @public
 */
export type WarehouseStepsMode = 'run' | 'hand-over';

/**
 * Why a warehouse call failed, as a kind a validation can record:
 * - `unreachable`: no connection (the message says to what, never with what credentials);
 * - `timeout`: stopped at the limit;
 * - `cap_exceeded`: over `maxBytes` (not run, where the warehouse estimates first);
 * - `refused`: not something Ripple may run (a view outside the scratch schema);
 * - `query_failed`: the warehouse refused the SQL (its message).
 *
 * @public
 */
export type WarehouseErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'cap_exceeded'
  | 'refused'
  | 'query_failed';

/** @public */
export class WarehouseError extends Error {
  readonly kind: WarehouseErrorKind;
  readonly warehouse: string;

  constructor(
    warehouse: string,
    kind: WarehouseErrorKind,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(`warehouse ${warehouse}: ${message}`, options);
    this.name = 'WarehouseError';
    this.kind = kind;
    this.warehouse = warehouse;
  }

  /** By name as well as by class: a module may bring its own copy of this package. */
  static is(error: unknown): error is WarehouseError {
    return error instanceof Error && error.name === 'WarehouseError';
  }
}

/** Refuses a view outside the scratch schema. */
export function checkScratchView(
  warehouse: Pick<RippleWarehouse, 'id' | 'scratchSchema'>,
  view: ScratchView,
): void {
  const prefix = `${warehouse.scratchSchema.toLowerCase()}.`;
  const name = view.view.toLowerCase();
  if (!name.startsWith(prefix) || name.slice(prefix.length).includes('.')) {
    throw new WarehouseError(
      warehouse.id,
      'refused',
      `the view ${view.view} is not in the scratch schema ${warehouse.scratchSchema}, the only place Ripple creates objects`,
    );
  }
}

/** The bytes of rows as JSON, for `maxBytes` where the warehouse does not bill by scan. */
export function rowBytes(rows: WarehouseValue[][]): number {
  let bytes = 0;
  for (const row of rows) {
    bytes += Buffer.byteLength(JSON.stringify(row));
  }
  return bytes;
}

/**
 * Refuses an endpoint a credential would travel to in clear: https only,
 * except to this host (a local fake or emulator on a loopback address).
 */
export function checkEndpoint(warehouse: string, endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new WarehouseError(
      warehouse,
      'refused',
      `the endpoint ${endpoint} is not a URL`,
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback =
    host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new WarehouseError(
      warehouse,
      'refused',
      `the endpoint ${url.origin} is not https: credentials go over https only (plain http is for a loopback address)`,
    );
  }
  return url;
}

/**
 * A message with every secret in it replaced: a warehouse's own error (or a
 * library's) may echo what it was given.
 */
export function redact(
  message: string,
  secrets: Array<string | undefined>,
): string {
  let text = message;
  for (const secret of secrets) {
    if (secret && secret.length >= 4)
      text = text.split(secret).join('[redacted]');
  }
  return text;
}

/**
 * Refuses a view's statement that does not create (or drop) that very view:
 * `checkScratchView` trusts the name it is told; this reads the statement.
 * Where the warehouse says what a statement is (BigQuery's dry run), it is
 * asked as well; a second statement after it is refused by the warehouse
 * (one statement per request).
 */
export function checkViewStatement(
  warehouse: Pick<RippleWarehouse, 'id'>,
  view: ScratchView,
  sql: string,
  verb: 'create' | 'drop',
): void {
  const text = sql
    .replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)+/, '')
    .replace(/[\s;]+$/, '');
  const pattern =
    verb === 'create'
      ? /^create\s+(?:or\s+replace\s+)?(?:secure\s+)?view\s+(?:if\s+not\s+exists\s+)?([^\s(]+)/i
      : /^drop\s+view\s+(?:if\s+exists\s+)?(\S+)/i;
  const unquote = (name: string) => name.replace(/[`"]/g, '').toLowerCase();
  const name = pattern.exec(text)?.[1];
  if (!name || unquote(name) !== unquote(view.view)) {
    throw new WarehouseError(
      warehouse.id,
      'refused',
      `the statement given to ${verb} the view ${
        view.view
      } is not a ${verb.toUpperCase()} VIEW of it`,
    );
  }
}
