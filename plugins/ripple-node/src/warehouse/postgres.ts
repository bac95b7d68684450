import {
  Pool,
  type PoolClient,
  type PoolConfig,
  type QueryConfig,
  types,
} from 'pg';
import {
  checkScratchView,
  type RippleWarehouse,
  rowBytes,
  type ScratchView,
  type WarehouseSteps,
  type WarehouseValue,
  WarehouseError,
} from './warehouse';

/** @public */
export interface PostgresWarehouseOptions {
  id: string;
  /** How to connect (node-postgres' pool options: host, port, user, password, database, ssl). */
  connection: PoolConfig;
  /** The scratch schema's name (default `ripple_scratch`); created when missing. */
  scratchSchema?: string;
  /** Connections at most (default 2). */
  maxConnections?: number;
  /**
   * Ripple runs migration steps on the database (`steps: run`), on a
   * connection of their own, outside the read-only transactions.
   */
  steps?: boolean;
}

// Query-cancel and timeout SQLSTATEs.
const QUERY_CANCELED = '57014';

/**
 * PostgreSQL (node-postgres). Every query runs in a `READ ONLY`
 * transaction with `statement_timeout` set to its limit, through a cursor
 * that fetches one row more than the cap; it is rolled back whatever
 * happens. Views are made in the scratch schema only. Give Ripple a role
 * that may read the datasets and create in that schema alone: the
 * read-only transaction is the second guard.
 *
 * @public
 */
export function createPostgresWarehouse(
  options: PostgresWarehouseOptions,
): RippleWarehouse {
  const { id } = options;
  const scratch = options.scratchSchema ?? 'ripple_scratch';
  const pool = new Pool({
    ...options.connection,
    max: options.maxConnections ?? 2,
    connectionTimeoutMillis:
      options.connection.connectionTimeoutMillis ?? 10_000,
  });
  // An idle client's error (the server restarting) must not crash the backend.
  pool.on('error', () => {});
  let scratchReady: Promise<void> | undefined;

  const connect = async (): Promise<PoolClient> => {
    try {
      return await pool.connect();
    } catch (error) {
      // The message of a failed connection names host and port, never the password.
      throw new WarehouseError(
        id,
        'unreachable',
        `cannot connect to PostgreSQL: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
  const inScratch = async (sql: string) => {
    const client = await connect();
    try {
      await client.query(sql);
    } catch (error) {
      throw new WarehouseError(id, 'query_failed', (error as Error).message, {
        cause: error,
      });
    } finally {
      client.release();
    }
  };
  const ensureScratch = () => {
    scratchReady ??= inScratch(
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(scratch)}`,
    ).catch(error => {
      scratchReady = undefined;
      throw error;
    });
    return scratchReady;
  };

  // The steps' own connection (one: a plan runs one step at a time), so
  // that no write ever shares a client with a consumer's query.
  let stepsPool: Pool | undefined;
  const stepClient = async (): Promise<PoolClient> => {
    if (!stepsPool) {
      stepsPool = new Pool({
        ...options.connection,
        max: 1,
        connectionTimeoutMillis:
          options.connection.connectionTimeoutMillis ?? 10_000,
      });
      stepsPool.on('error', () => {});
    }
    try {
      return await stepsPool.connect();
    } catch (error) {
      throw new WarehouseError(
        id,
        'unreachable',
        `cannot connect to PostgreSQL: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
  const stepFailed = (error: unknown): never => {
    throw new WarehouseError(id, 'query_failed', (error as Error).message, {
      cause: error,
    });
  };
  const steps: WarehouseSteps = {
    async run(statements, params) {
      const client = await stepClient();
      try {
        await client.query('BEGIN');
        let rowsChanged = 0;
        for (const statement of statements) {
          const done = await client.query(
            statement,
            params?.length ? params : undefined,
          );
          rowsChanged = done.rowCount ?? 0;
        }
        await client.query('COMMIT');
        return { rowsChanged };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        return stepFailed(error);
      } finally {
        client.release();
      }
    },
    async query(sql, params) {
      const client = await stepClient();
      try {
        const result = await client.query({
          text: sql,
          values: params?.length ? params : undefined,
          rowMode: 'array',
          types: { getTypeParser: (oid: number) => parser(oid) },
        });
        return {
          columns: result.fields.map(f => f.name),
          rows: result.rows.map(row => (row as unknown[]).map(toValue)),
        };
      } catch (error) {
        return stepFailed(error);
      } finally {
        client.release();
      }
    },
  };

  const warehouse: RippleWarehouse = {
    id,
    dialect: 'postgres',
    ...(options.steps ? { steps } : {}),
    scratchSchema: scratch,
    relation: table => table,
    async query(sql, limits) {
      const started = Date.now();
      const client = await connect();
      try {
        await client.query('BEGIN TRANSACTION READ ONLY');
        await client.query(
          `SET LOCAL statement_timeout = ${Math.max(
            1,
            Math.floor(limits.timeoutMs),
          )}`,
        );
        // The extended protocol takes one statement: a consumer's text
        // holding `; DROP ...` fails here instead of running (and the
        // transaction is read-only besides).
        // (`queryMode` is node-postgres' own option, not in @types/pg.)
        const declare: QueryConfig & { queryMode: 'extended' } = {
          text: `DECLARE ripple_rows NO SCROLL CURSOR FOR ${sql.replace(
            /[\s;]+$/,
            '',
          )}`,
          queryMode: 'extended',
        };
        await client.query(declare);
        const fetched = await client.query({
          text: `FETCH FORWARD ${limits.maxRows + 1} FROM ripple_rows`,
          rowMode: 'array',
          types: { getTypeParser: (oid: number) => parser(oid) },
        });
        const truncated = fetched.rows.length > limits.maxRows;
        const rows = (
          truncated ? fetched.rows.slice(0, limits.maxRows) : fetched.rows
        ).map(row => (row as unknown[]).map(toValue));
        if (limits.maxBytes !== undefined && rowBytes(rows) > limits.maxBytes) {
          throw new WarehouseError(
            id,
            'cap_exceeded',
            `the rows returned are over the ${limits.maxBytes}-byte cap`,
          );
        }
        const columns = await Promise.all(
          fetched.fields.map(async field => ({
            name: field.name,
            type: await typeName(
              client,
              field.dataTypeID,
              field.dataTypeModifier,
            ),
          })),
        );
        return { columns, rows, truncated, durationMs: Date.now() - started };
      } catch (error) {
        if (WarehouseError.is(error)) throw error;
        const code = (error as { code?: string }).code;
        if (code === QUERY_CANCELED) {
          throw new WarehouseError(
            id,
            'timeout',
            `the query ran past its ${limits.timeoutMs} ms limit and was stopped`,
          );
        }
        throw new WarehouseError(id, 'query_failed', (error as Error).message, {
          cause: error,
        });
      } finally {
        await client.query('ROLLBACK').catch(() => {});
        client.release();
      }
    },
    async createView(view: ScratchView) {
      checkScratchView(warehouse, view);
      await ensureScratch();
      await inScratch(view.create);
    },
    async dropView(view: ScratchView) {
      checkScratchView(warehouse, view);
      await inScratch(view.cleanup);
    },
    close: async () => {
      await pool.end();
      await stepsPool?.end();
    },
  };
  return warehouse;
}

/** Values as text where a double would lose them (int8, numeric), dates in ISO 8601. */
function parser(oid: number): (text: string) => unknown {
  switch (oid) {
    case types.builtins.INT2:
    case types.builtins.INT4:
    case types.builtins.FLOAT4:
    case types.builtins.FLOAT8:
      return Number;
    case types.builtins.BOOL:
      return text => text === 't';
    case types.builtins.JSON:
    case types.builtins.JSONB:
      return text => JSON.parse(text);
    default:
      // int8, numeric, dates, timestamps, text...: the server's own text.
      return text => text;
  }
}

function toValue(value: unknown): WarehouseValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && !Number.isFinite(value))
    return String(value);
  return value as WarehouseValue;
}

const typeNames = new Map<string, string>();

/** The type's name as PostgreSQL writes it (`numeric(10,2)`), asked once per type. */
async function typeName(
  client: PoolClient,
  oid: number,
  modifier: number,
): Promise<string> {
  const key = `${oid}:${modifier}`;
  let name = typeNames.get(key);
  if (!name) {
    const { rows } = await client.query('SELECT format_type($1, $2) AS name', [
      oid,
      modifier,
    ]);
    name = String(rows[0].name);
    typeNames.set(key, name);
  }
  return name;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
