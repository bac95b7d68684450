import {
  DuckDBListType,
  DuckDBStructType,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
} from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import {
  type BackendResult,
  type DuckDbBackend,
  type ReceivedRequest,
  serveJson,
  StatementType,
} from './duckdbBackend';

/**
 * A fake of the part of BigQuery's REST API (v2) that
 * `@google-cloud/bigquery` uses for Ripple: `jobs.insert` (dry runs answer
 * `statistics.totalBytesProcessed` and `statementType`; `maximumBytesBilled`
 * and `jobTimeoutMs` are enforced), `jobs.getQueryResults` (`timeoutMs`,
 * `maxResults`, `pageToken`, int64 timestamps), `jobs.get` and
 * `jobs.cancel`, `tables.get` (with the partitioning the test declares),
 * and errors in Google's JSON shape. Datasets are the DuckDB backend's
 * schemas. Requests without a bearer token get a 401.
 *
 * A partitioned table is billed as BigQuery prunes it: a query (or a view
 * it reads) that filters the partitioning column with `>=` a constant pays
 * only for the rows of the partitions from there on.
 */
export interface FakeBigQuery {
  /** The `apiEndpoint` to give the client. */
  url: string;
  requests: ReceivedRequest[];
  /** The SQL of every job that ran (dry runs are not jobs that run). */
  ran: string[];
  close(): Promise<void>;
}

interface FakeJob {
  reference: { projectId: string; jobId: string; location?: string };
  bytes: number;
  state: 'RUNNING' | 'DONE';
  done: Promise<unknown>;
  result?: BackendResult;
  error?: { reason: string; message: string };
  interrupt?: () => void;
  cancelled?: boolean;
}

const ROOT =
  /^\/bigquery\/v2\/projects\/([^/]+)\/(jobs|queries)(?:\/([^/]+))?(\/cancel)?$/;
const TABLE =
  /^\/bigquery\/v2\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/;

/** A table's partitioning as the API's table resource holds it. */
export type FakePartitioning =
  | { timePartitioning: { type: string; field?: string } }
  | {
      rangePartitioning: {
        field: string;
        range: { start: string; end: string; interval: string };
      };
    };

export async function startFakeBigQuery(
  backend: DuckDbBackend,
  options: {
    /** Partitioned tables, by `dataset.table`. */
    partitioning?: Record<string, FakePartitioning>;
  } = {},
): Promise<FakeBigQuery> {
  const partitioning = options.partitioning ?? {};
  const jobs = new Map<string, FakeJob>();
  const ran: string[] = [];

  const insert = async (projectId: string, body: any) => {
    const configuration = body.configuration ?? {};
    const sql: string = configuration.query?.query ?? '';
    const reference = {
      projectId,
      jobId: body.jobReference?.jobId ?? randomUUID(),
      location: body.jobReference?.location ?? 'US',
    };
    let statementType: string;
    try {
      statementType = bigQueryStatementType(
        sql,
        await backend.statementType(sql),
      );
    } catch (error) {
      return googleError(400, 'invalidQuery', (error as Error).message);
    }
    const bytes =
      statementType === 'SELECT'
        ? await prunedBytes(backend, sql, partitioning)
        : 0;
    const statistics = {
      creationTime: String(Date.now()),
      totalBytesProcessed: String(bytes),
      query: {
        totalBytesProcessed: String(bytes),
        statementType,
        ...(statementType.endsWith('_VIEW')
          ? { ddlTargetTable: target(projectId, sql) }
          : {}),
      },
    };
    const resource = (job?: FakeJob) => ({
      kind: 'bigquery#job',
      id: `${projectId}:${reference.location}.${reference.jobId}`,
      jobReference: reference,
      configuration,
      status: job?.error
        ? { state: 'DONE', errorResult: job.error, errors: [job.error] }
        : { state: job?.state ?? 'DONE' },
      statistics,
    });
    if (configuration.dryRun) return { status: 200, body: resource() };

    const job: FakeJob = {
      reference,
      bytes,
      state: 'RUNNING',
      done: Promise.resolve(),
    };
    jobs.set(reference.jobId, job);
    const cap = configuration.query?.maximumBytesBilled;
    if (cap !== undefined && bytes > Number(cap)) {
      job.state = 'DONE';
      job.error = {
        reason: 'bytesBilledLimitExceeded',
        message: `Query exceeded limit for bytes billed: ${cap}. ${bytes} or higher required.`,
      };
      return { status: 200, body: resource(job) };
    }
    ran.push(sql);
    const run = await backend.start(sql);
    job.interrupt = run.interrupt;
    const limit = Number(configuration.jobTimeoutMs ?? 0);
    let timedOut = false;
    const timer = limit
      ? setTimeout(() => {
          timedOut = true;
          run.interrupt();
        }, limit)
      : undefined;
    job.done = run.done
      .then(
        result => {
          job.result = result;
        },
        error => {
          if (timedOut) {
            job.error = {
              reason: 'timeout',
              message: `Job timed out after ${limit / 1000} sec`,
            };
          } else if (job.cancelled) {
            job.error = {
              reason: 'stopped',
              message:
                'Job execution was cancelled: User requested cancellation',
            };
          } else {
            job.error = {
              reason: 'invalidQuery',
              message: (error as Error).message,
            };
          }
        },
      )
      .finally(() => {
        clearTimeout(timer);
        job.state = 'DONE';
      });
    return { status: 200, body: resource(job) };
  };

  const results = async (jobId: string, url: URL) => {
    const job = jobs.get(jobId);
    if (!job) return googleError(404, 'notFound', `Not found: Job ${jobId}`);
    const wait = Number(url.searchParams.get('timeoutMs') ?? 10_000);
    await Promise.race([job.done, new Promise(r => setTimeout(r, wait))]);
    const base = {
      kind: 'bigquery#getQueryResultsResponse',
      jobReference: job.reference,
    };
    if (job.state !== 'DONE')
      return { status: 200, body: { ...base, jobComplete: false } };
    if (job.error) return googleError(400, job.error.reason, job.error.message);
    const result = job.result!;
    const start = Number(
      url.searchParams.get('pageToken') ??
        url.searchParams.get('startIndex') ??
        0,
    );
    const size = Number(url.searchParams.get('maxResults') ?? 100_000);
    const int64 =
      url.searchParams.get('formatOptions.useInt64Timestamp') === 'true';
    const rows = result.rows.slice(start, start + size).map(row => ({
      f: row.map((value, i) => ({ v: encode(result.types[i], value, int64) })),
    }));
    return {
      status: 200,
      body: {
        ...base,
        schema: {
          fields: result.names.map((name, i) => field(name, result.types[i])),
        },
        totalRows: String(result.rows.length),
        rows,
        ...(start + size < result.rows.length
          ? { pageToken: String(start + size) }
          : {}),
        totalBytesProcessed: String(job.bytes),
        jobComplete: true,
        cacheHit: false,
      },
    };
  };

  const table = async (
    projectId: string,
    datasetId: string,
    tableId: string,
  ) => {
    const run = await backend.start(
      `SELECT estimated_size FROM duckdb_tables() WHERE schema_name = '${datasetId.replace(
        /'/g,
        "''",
      )}' AND table_name = '${tableId.replace(/'/g, "''")}'`,
    );
    const { rows } = await run.done;
    if (!rows.length) {
      return googleError(
        404,
        'notFound',
        `Not found: Table ${projectId}:${datasetId}.${tableId}`,
      );
    }
    return {
      status: 200,
      body: {
        kind: 'bigquery#table',
        id: `${projectId}:${datasetId}.${tableId}`,
        tableReference: { projectId, datasetId, tableId },
        type: 'TABLE',
        numRows: String(rows[0][0]),
        ...partitioning[`${datasetId}.${tableId}`],
      },
    };
  };

  const server = await serveJson(async (request, url) => {
    const tableRoute = TABLE.exec(request.path);
    if (tableRoute && request.method === 'GET') {
      if (!/^Bearer \S+/.test(String(request.headers.authorization ?? ''))) {
        return googleError(
          401,
          'required',
          'Request is missing required authentication credential.',
        );
      }
      const [, projectId, datasetId, tableId] = tableRoute;
      return table(projectId, datasetId, tableId);
    }
    const route = ROOT.exec(request.path);
    if (!route)
      return googleError(404, 'notFound', `Not found: ${request.path}`);
    if (!/^Bearer \S+/.test(String(request.headers.authorization ?? ''))) {
      return googleError(
        401,
        'required',
        'Request is missing required authentication credential.',
      );
    }
    const [, projectId, collection, jobId, cancel] = route;
    if (collection === 'jobs' && !jobId && request.method === 'POST') {
      return insert(projectId, request.body ?? {});
    }
    if (collection === 'queries' && jobId && request.method === 'GET') {
      return results(jobId, url);
    }
    const job = jobId ? jobs.get(jobId) : undefined;
    if (collection === 'jobs' && job) {
      if (cancel) {
        job.cancelled = true;
        job.interrupt?.();
      }
      return {
        status: 200,
        body: {
          kind: 'bigquery#job',
          jobReference: job.reference,
          status: { state: job.state },
        },
      };
    }
    return googleError(404, 'notFound', `Not found: ${request.path}`);
  });
  return {
    url: server.url,
    requests: server.requests,
    ran,
    close: server.close,
  };
}

/**
 * The bytes a query scans: the backend's estimate of each table it reads
 * (through the scratch views it names, whose SQL is read too), with a
 * partitioned table's cut to the share of rows its `>=` filter keeps.
 */
async function prunedBytes(
  backend: DuckDbBackend,
  sql: string,
  partitioning: Record<string, FakePartitioning>,
): Promise<number> {
  const views = (
    await (
      await backend.start(
        'SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal',
      )
    ).done
  ).rows.map(([schema, name, text]) => ({
    name: new RegExp(`\\b${schema}\\.${name}\\b`, 'i'),
    text: String(text),
  }));
  const expand = (text: string): string => {
    const more = views.filter(v => v.name.test(text) && !text.includes(v.text));
    return more.length ? `${text}\n${more.map(v => v.text).join('\n')}` : text;
  };
  // Views over views, a few deep (the forward view reads the sample's).
  let text = sql;
  for (let depth = 0; depth < 5; depth++) text = expand(text);
  let bytes = await backend.estimateBytes(text);
  for (const [name, declared] of Object.entries(partitioning)) {
    if (!new RegExp(`\\b${name.replace('.', '\\.')}\\b`, 'i').test(text))
      continue;
    const column =
      'timePartitioning' in declared
        ? declared.timePartitioning.field
        : declared.rangePartitioning.field;
    if (!column) continue;
    // DuckDB keeps a view's SQL with keywords quoted (`"day" >= '...'`).
    const filter = new RegExp(
      `(?:\\b${column}\\b|"${column}")\\s*>=\\s*('[^']*'|[\\d.]+)`,
      'i',
    ).exec(text);
    if (!filter) continue;
    const share = (
      await (
        await backend.start(
          `SELECT count(*) FILTER (WHERE ${column} >= ${filter[1]}) / greatest(count(*), 1) FROM ${name}`,
        )
      ).done
    ).rows[0][0];
    const full = await backend.estimateBytes(name);
    bytes -= Math.floor(full * (1 - Number(share)));
  }
  return bytes;
}

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
};

/** An error as Google's APIs answer one. */
function googleError(code: number, reason: string, message: string) {
  return {
    status: code,
    body: {
      error: {
        code,
        message,
        errors: [{ message, domain: 'global', reason }],
        status: STATUS[code] ?? 'NOT_FOUND',
      },
    },
  };
}

function bigQueryStatementType(sql: string, type: StatementType): string {
  const view = /^\s*(create|drop)\s+(or\s+replace\s+)?view\b/i.exec(sql);
  if (view) return `${view[1].toUpperCase()}_VIEW`;
  switch (type) {
    case StatementType.SELECT:
      return 'SELECT';
    case StatementType.INSERT:
      return 'INSERT';
    case StatementType.UPDATE:
      return 'UPDATE';
    case StatementType.DELETE:
      return 'DELETE';
    case StatementType.CREATE:
      return 'CREATE_TABLE';
    case StatementType.DROP:
      return 'DROP_TABLE';
    default:
      return 'SCRIPT';
  }
}

function target(projectId: string, sql: string) {
  const name =
    /\bview\s+(?:if\s+(?:not\s+)?exists\s+)?([\w.`]+)/i.exec(sql)?.[1] ?? '';
  const [datasetId, tableId] = name.replace(/`/g, '').split('.');
  return { projectId, datasetId, tableId };
}

/** A DuckDB type as a field of BigQuery's schema (with the API's legacy type names). */
function field(name: string, type: DuckDBType): Record<string, unknown> {
  if (type instanceof DuckDBListType) {
    return { ...field(name, type.valueType), mode: 'REPEATED' };
  }
  if (type instanceof DuckDBStructType) {
    return {
      name,
      type: 'RECORD',
      mode: 'NULLABLE',
      fields: type.entryNames.map((n, i) => field(n, type.entryTypes[i])),
    };
  }
  const names: Partial<Record<DuckDBTypeId, string>> = {
    [DuckDBTypeId.BOOLEAN]: 'BOOLEAN',
    [DuckDBTypeId.TINYINT]: 'INTEGER',
    [DuckDBTypeId.SMALLINT]: 'INTEGER',
    [DuckDBTypeId.INTEGER]: 'INTEGER',
    [DuckDBTypeId.BIGINT]: 'INTEGER',
    [DuckDBTypeId.HUGEINT]: 'BIGNUMERIC',
    [DuckDBTypeId.FLOAT]: 'FLOAT',
    [DuckDBTypeId.DOUBLE]: 'FLOAT',
    [DuckDBTypeId.DECIMAL]: 'NUMERIC',
    [DuckDBTypeId.DATE]: 'DATE',
    [DuckDBTypeId.TIME]: 'TIME',
    [DuckDBTypeId.TIMESTAMP]: 'DATETIME',
    [DuckDBTypeId.TIMESTAMP_TZ]: 'TIMESTAMP',
    [DuckDBTypeId.BLOB]: 'BYTES',
  };
  return { name, type: names[type.typeId] ?? 'STRING', mode: 'NULLABLE' };
}

/** A value as BigQuery's REST API writes a cell's `v`. */
function encode(type: DuckDBType, value: DuckDBValue, int64: boolean): unknown {
  if (value === null) return null;
  if (type instanceof DuckDBListType) {
    return (value as DuckDBListValue).items.map(item => ({
      v: encode(type.valueType, item, int64),
    }));
  }
  if (type instanceof DuckDBStructType) {
    const entries = (value as DuckDBStructValue).entries;
    return {
      f: type.entryNames.map((n, i) => ({
        v: encode(type.entryTypes[i], entries[n], int64),
      })),
    };
  }
  if (value instanceof DuckDBTimestampTZValue) {
    return int64 ? String(value.micros) : String(Number(value.micros) / 1e6);
  }
  if (type.typeId === DuckDBTypeId.TIMESTAMP)
    return String(value).replace(' ', 'T');
  return String(value);
}
