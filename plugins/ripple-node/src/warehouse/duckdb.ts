import {
  DuckDBConnection,
  DuckDBInstance,
  type DuckDBResultReader,
  type DuckDBValue,
} from '@duckdb/node-api';
import {
  checkScratchView,
  type RippleWarehouse,
  rowBytes,
  type ScratchView,
  type WarehouseLimits,
  type WarehouseResult,
  type WarehouseSteps,
  type WarehouseValue,
  WarehouseError,
} from './warehouse';

/** @public */
export interface DuckDbWarehouseOptions {
  id: string;
  /** The database file, opened read-only. */
  path: string;
  /** The scratch schema's name (default `ripple_scratch`). */
  scratchSchema?: string;
  /**
   * Ripple runs migration steps on the file (`steps: run`): each step
   * re-attaches it READ_WRITE for its own duration only.
   */
  steps?: boolean;
}

// The warehouse file is attached read-only under this catalog name, so no
// query can write to it; Ripple's views live in the in-memory catalog.
const CATALOG = 'warehouse';
const SCRATCH_CATALOG = 'memory';
// How long the file stays writable after a step's statements, for the next
// batch; any consumer's query makes it read-only at once.
const STEP_IDLE_MS = 1000;

/**
 * DuckDB, embedded (`@duckdb/node-api`): the default warehouse, and the dev
 * portal's example. The file is attached READ_ONLY (DuckDB refuses every
 * write to it); the scratch schema is in the instance's in-memory database,
 * so Ripple's views go when the connection closes. A query past its
 * timeout is interrupted.
 *
 * @public
 */
export async function createDuckDbWarehouse(
  options: DuckDbWarehouseOptions,
): Promise<RippleWarehouse> {
  const { id, path } = options;
  const scratch = options.scratchSchema ?? 'ripple_scratch';
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  try {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await connection.run(
      `ATTACH ${quoteString(path)} AS ${CATALOG} (READ_ONLY)`,
    );
    await connection.run(`USE ${CATALOG}`);
    await connection.run(
      `CREATE SCHEMA IF NOT EXISTS ${SCRATCH_CATALOG}.${quoteIdent(scratch)}`,
    );
  } catch (error) {
    throw new WarehouseError(
      id,
      'unreachable',
      `cannot open the DuckDB file ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  // One query at a time on the connection: DuckDB runs a connection's
  // statements one after another anyway, and an interrupt must stop only
  // the query that ran out of time.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = queue.then(run, run);
    queue = next.catch(() => undefined);
    return next;
  };
  const fail = (error: unknown): never => {
    throw new WarehouseError(id, 'query_failed', (error as Error).message, {
      cause: error,
    });
  };

  // The file's access now. Everything a consumer runs (queries, scratch
  // views) first makes it READ_ONLY, inside the serial queue; only a step's
  // statements make it READ_WRITE. Between a step's batches it stays
  // writable while no consumer's query comes (re-attaching costs a
  // checkpoint of the file each time), and goes back to READ_ONLY after
  // STEP_IDLE_MS without a step.
  let mode: 'READ_ONLY' | 'READ_WRITE' = 'READ_ONLY';
  let idle: NodeJS.Timeout | undefined;
  const attach = async (wanted: 'READ_ONLY' | 'READ_WRITE') => {
    if (mode === wanted) return;
    await connection.run(`USE ${SCRATCH_CATALOG}`);
    await connection.run(`DETACH DATABASE IF EXISTS ${CATALOG}`);
    // Unknown until attached again: a failure leaves the next call to retry.
    mode = wanted === 'READ_ONLY' ? 'READ_WRITE' : 'READ_ONLY';
    await connection.run(
      `ATTACH ${quoteString(path)} AS ${CATALOG} (${wanted})`,
    );
    await connection.run(`USE ${CATALOG}`);
    mode = wanted;
  };
  /** Runs a consumer's work, on the file attached READ_ONLY. */
  const readOnly = <T>(work: () => Promise<T>): Promise<T> =>
    serial(async () => {
      await attach('READ_ONLY').catch(fail);
      return work();
    });
  /** Runs a step's statements with the file attached READ_WRITE. */
  const writable = <T>(work: () => Promise<T>): Promise<T> =>
    serial(async () => {
      clearTimeout(idle);
      await attach('READ_WRITE').catch(fail);
      try {
        return await work();
      } finally {
        idle = setTimeout(() => {
          serial(() => attach('READ_ONLY')).catch(() => undefined);
        }, STEP_IDLE_MS);
        idle.unref?.();
      }
    });
  const steps: WarehouseSteps = {
    run: (statements, params) =>
      writable(async () => {
        await connection.run('BEGIN TRANSACTION');
        try {
          let rowsChanged = 0;
          for (const statement of statements) {
            const done = await connection.run(statement, duckParams(params));
            rowsChanged = done.rowsChanged;
          }
          await connection.run('COMMIT');
          return { rowsChanged };
        } catch (error) {
          await connection.run('ROLLBACK').catch(() => undefined);
          return fail(error);
        }
      }),
    // Reads need no write access: the read-only file serves them.
    query: (sql, params) =>
      serial(async () => {
        const reader = await connection
          .runAndReadAll(sql, duckParams(params))
          .catch(fail);
        return {
          columns: reader.columnNames(),
          rows: reader.getRowsJson() as WarehouseValue[][],
        };
      }),
  };

  const warehouse: RippleWarehouse = {
    id,
    dialect: 'duckdb',
    ...(options.steps ? { steps } : {}),
    scratchSchema: `${SCRATCH_CATALOG}.${scratch}`,
    relation: table =>
      table.split('.').length >= 3 ? table : `${CATALOG}.${table}`,
    query: (sql, limits) =>
      readOnly(async () => {
        const started = Date.now();
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          connection.interrupt();
        }, limits.timeoutMs);
        let reader: DuckDBResultReader;
        try {
          reader = await connection.streamAndReadUntil(sql, limits.maxRows + 1);
        } catch (error) {
          if (timedOut) {
            throw new WarehouseError(
              id,
              'timeout',
              `the query ran past its ${limits.timeoutMs} ms limit and was stopped`,
            );
          }
          return fail(error);
        } finally {
          clearTimeout(timer);
        }
        return result(id, reader, limits, started);
      }),
    createView: view =>
      readOnly(async () => {
        checkScratchView(warehouse, view);
        await connection.run(view.create).catch(fail);
      }),
    dropView: (view: ScratchView) =>
      readOnly(async () => {
        checkScratchView(warehouse, view);
        await connection.run(view.cleanup).catch(fail);
      }),
    close: async () => {
      clearTimeout(idle);
      await queue;
      connection.closeSync();
      instance.closeSync();
    },
  };
  return warehouse;
}

function result(
  id: string,
  reader: DuckDBResultReader,
  limits: WarehouseLimits,
  started: number,
): WarehouseResult {
  const names = reader.columnNames();
  const types = reader.columnTypes();
  const all = reader.getRowsJson() as WarehouseValue[][];
  const truncated = all.length > limits.maxRows;
  const rows = truncated ? all.slice(0, limits.maxRows) : all;
  if (limits.maxBytes !== undefined && rowBytes(rows) > limits.maxBytes) {
    throw new WarehouseError(
      id,
      'cap_exceeded',
      `the rows returned are over the ${limits.maxBytes}-byte cap`,
    );
  }
  return {
    columns: names.map((name, i) => ({ name, type: String(types[i]) })),
    rows,
    truncated,
    durationMs: Date.now() - started,
  };
}

/** Parameters as DuckDB binds them (JSON values; nested ones as their JSON text). */
function duckParams(
  params: WarehouseValue[] | undefined,
): DuckDBValue[] | undefined {
  return params?.map(value =>
    value !== null && typeof value === 'object' ? JSON.stringify(value) : value,
  );
}

function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
