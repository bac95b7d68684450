import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
  StatementType,
} from '@duckdb/node-api';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A query's rows as DuckDB gave them, for a fake to encode the way its API does. */
export interface BackendResult {
  names: string[];
  types: DuckDBType[];
  rows: DuckDBValue[][];
}

/** A running query: its rows when done, and a way to stop it. */
export interface BackendRun {
  done: Promise<BackendResult>;
  interrupt(): void;
}

/**
 * The database behind the tests' fakes of BigQuery and Snowflake: a real
 * DuckDB in memory, so the SQL a connection sends really runs. Schemas
 * stand for BigQuery's datasets and Snowflake's schemas.
 */
export class DuckDbBackend {
  private constructor(private readonly instance: DuckDBInstance) {}

  static async create(setup: string): Promise<DuckDbBackend> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(setup);
    connection.closeSync();
    return new DuckDbBackend(instance);
  }

  /** What the statement is (it is bound, not run): fails as DuckDB would run it. */
  async statementType(sql: string): Promise<StatementType> {
    const connection = await this.instance.connect();
    try {
      const prepared = await connection.prepare(sql.replace(/[\s;]+$/, ''));
      return prepared.statementType;
    } finally {
      connection.closeSync();
    }
  }

  /** How many statements the text holds. */
  async statementCount(sql: string): Promise<number> {
    const connection = await this.instance.connect();
    try {
      return (await connection.extractStatements(sql)).count;
    } finally {
      connection.closeSync();
    }
  }

  /** Starts the statement on a connection of its own. */
  async start(sql: string): Promise<BackendRun> {
    const connection: DuckDBConnection = await this.instance.connect();
    const done = (async () => {
      try {
        const reader = await connection.runAndReadAll(sql);
        return {
          names: reader.columnNames(),
          types: reader.columnTypes(),
          rows: reader.getRows(),
        };
      } finally {
        connection.closeSync();
      }
    })();
    return { done, interrupt: () => connection.interrupt() };
  }

  /**
   * The bytes a query would scan, as the fakes bill them: 8 bytes for each
   * value of every table whose `schema.table` name the SQL mentions.
   */
  async estimateBytes(sql: string): Promise<number> {
    const run = await this.start(
      'SELECT schema_name, table_name, estimated_size, column_count FROM duckdb_tables()',
    );
    const { rows } = await run.done;
    let bytes = 0;
    for (const [schema, table, size, columns] of rows) {
      const name = new RegExp(`\\b${schema}\\.${table}\\b`, 'i');
      if (name.test(sql)) bytes += Number(size) * Number(columns) * 8;
    }
    return bytes;
  }

  close(): void {
    this.instance.closeSync();
  }
}

export { StatementType };

/** A request a fake received, for tests to assert what a connection sent. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** An HTTP server on a loopback address, answering JSON. */
export async function serveJson(
  handle: (
    request: ReceivedRequest,
    url: URL,
  ) => Promise<{ status: number; body: unknown }>,
): Promise<{
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      const request: ReceivedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(request);
      let answer: { status: number; body: unknown };
      try {
        answer = await handle(request, url);
      } catch (error) {
        answer = { status: 500, body: { message: (error as Error).message } };
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
