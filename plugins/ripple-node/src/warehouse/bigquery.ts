import {
  BigQuery,
  type BigQueryOptions,
  type Job,
} from '@google-cloud/bigquery';
import {
  checkEndpoint,
  checkScratchView,
  checkViewStatement,
  redact,
  type RippleWarehouse,
  type ScratchView,
  type WarehouseColumn,
  type WarehouseLimits,
  type WarehouseValue,
  WarehouseError,
} from './warehouse';

/** @public */
export interface BigQueryWarehouseOptions {
  id: string;
  /** The project queries run (and are billed) in. */
  projectId: string;
  /** Where jobs run (`US`, `EU`, `europe-west1`); the datasets' location. */
  location?: string;
  /**
   * A service account key: the fields of its JSON file. Without it (and
   * without `keyFilename`), Application Default Credentials.
   */
  credentials?: {
    client_email?: string;
    private_key?: string;
    [key: string]: unknown;
  };
  /** A service account key's file, instead of `credentials`. */
  keyFilename?: string;
  /**
   * The API's root (the client's `apiEndpoint`; default
   * `https://bigquery.googleapis.com`). https only, except on a loopback
   * address (a local emulator or the tests' fake).
   */
  apiEndpoint?: string;
  /** The dataset of Ripple's views (default `ripple_scratch`); it must exist. */
  scratchDataset?: string;
  /**
   * Bytes a query may scan when its limits do not say (default 10 GiB):
   * estimated by a dry run first, and billed at most (`maximumBytesBilled`).
   */
  maxBytes?: number;
  /** Rows asked for per page of results (default 10,000; fewer when the cap is lower). */
  pageSize?: number;
  /** An auth client of its own (workload identity federation; the tests). */
  authClient?: BigQueryOptions['authClient'];
}

const DEFAULT_MAX_BYTES = 10 * 1024 ** 3;
// How long one call for results waits for the job at most, before asking again.
const POLL_MS = 10_000;
// How long making or dropping a view may take.
const DDL_TIMEOUT_MS = 60_000;

/** A field of a result's schema, as the API returns it. */
interface Field {
  name: string;
  type: string;
  mode?: string;
  fields?: Field[];
}
interface QueryResponse {
  schema?: { fields?: Field[] };
  rows?: Array<{ f: Array<{ v: unknown }> }>;
  pageToken?: string;
  totalBytesProcessed?: string;
  jobComplete?: boolean;
}

/**
 * BigQuery, through Google's client (`@google-cloud/bigquery`). Every query
 * is dry-run first: one that is not a `SELECT` is refused, one whose
 * estimated scan is over the cap is refused as `cap_exceeded`, and neither
 * runs. The query job then runs with `maximumBytesBilled` at the cap and
 * `jobTimeoutMs` at the time limit (and is cancelled if the results are
 * not there by then); its results are read page by page up to one row past
 * the row cap. Views go in the scratch dataset only, through DDL queries
 * whose dry run must name that dataset.
 *
 * Give the service account BigQuery Job User on the project, Data Viewer on
 * the datasets, and Data Editor on the scratch dataset alone.
 *
 * @public
 */
export function createBigQueryWarehouse(
  options: BigQueryWarehouseOptions,
): RippleWarehouse {
  const { id, projectId, location } = options;
  const scratch = options.scratchDataset ?? 'ripple_scratch';
  const endpoint = checkEndpoint(
    id,
    options.apiEndpoint ?? 'https://bigquery.googleapis.com',
  ).href.replace(/\/+$/, '');
  const secrets = [
    options.credentials?.private_key,
    options.credentials?.private_key_id as string | undefined,
  ];
  const client = new BigQuery({
    projectId,
    location,
    apiEndpoint: endpoint,
    credentials: options.credentials as BigQueryOptions['credentials'],
    keyFilename: options.keyFilename,
    authClient: options.authClient,
    userAgent: 'ripple',
    maxRetries: 2,
  });

  const fail = (error: unknown, what: string): never => {
    if (WarehouseError.is(error)) throw error;
    const e = error as {
      code?: number;
      message?: string;
      errors?: Array<{ reason?: string; message?: string }>;
    };
    const reasons = (e.errors ?? []).map(x => x.reason ?? '');
    const message = redact(e.message ?? String(error), secrets);
    if (reasons.includes('bytesBilledLimitExceeded')) {
      throw new WarehouseError(id, 'cap_exceeded', message);
    }
    if (reasons.some(r => /timeout/i.test(r))) {
      throw new WarehouseError(id, 'timeout', message);
    }
    if (typeof e.code !== 'number' || e.code === 401 || e.code >= 500) {
      // The network, the credentials, or Google: not the SQL.
      throw new WarehouseError(
        id,
        'unreachable',
        `cannot ${what} on BigQuery at ${endpoint}: ${message}`,
      );
    }
    throw new WarehouseError(id, 'query_failed', message);
  };

  const dryRun = async (sql: string) => {
    const [, response] = await client
      .createQueryJob({
        query: sql,
        useLegacySql: false,
        dryRun: true,
        location,
      })
      .catch(error => fail(error, 'run a dry run'));
    const statistics = (response ?? {}).statistics ?? {};
    return {
      bytes: Number(
        statistics.totalBytesProcessed ??
          statistics.query?.totalBytesProcessed ??
          0,
      ),
      statementType: statistics.query?.statementType as string | undefined,
      target: statistics.query?.ddlTargetTable as
        | { datasetId?: string; tableId?: string }
        | undefined,
    };
  };

  /** One call for results: undefined while the job still runs. */
  const results = (job: Job, request: Record<string, unknown>) =>
    new Promise<QueryResponse | undefined>((resolve, reject) => {
      job.getQueryResults(
        { ...request, autoPaginate: false, skipParsing: true } as never,
        (error: unknown, _rows: unknown, _next: unknown, response: unknown) => {
          const r = response as QueryResponse | undefined;
          if (error) {
            if (r?.jobComplete === false) resolve(undefined);
            else reject(error);
          } else {
            resolve(r?.jobComplete === false ? undefined : r);
          }
        },
      );
    });

  /** Waits for the job until the deadline (cancelling it then); its first page. */
  const firstPage = async (
    job: Job,
    deadline: number,
    limitMs: number,
    pageSize: number,
  ) => {
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        await job.cancel().catch(() => {});
        throw new WarehouseError(
          id,
          'timeout',
          `the query ran past its ${limitMs} ms limit and was cancelled`,
        );
      }
      const page = await results(job, {
        maxResults: pageSize,
        timeoutMs: Math.max(1, Math.min(remaining, POLL_MS)),
      }).catch(error => fail(error, 'read results'));
      if (page) return page;
    }
  };

  const ddl = async (
    view: ScratchView,
    sql: string,
    verb: 'create' | 'drop',
  ) => {
    checkScratchView({ id, scratchSchema: scratch }, view);
    checkViewStatement({ id }, view, sql, verb);
    const expected = verb === 'create' ? 'CREATE_VIEW' : 'DROP_VIEW';
    const plan = await dryRun(sql);
    const target = plan.target?.datasetId;
    if (
      plan.statementType !== expected ||
      (target !== undefined && target.toLowerCase() !== scratch.toLowerCase())
    ) {
      throw new WarehouseError(
        id,
        'refused',
        `the statement for the view ${view.view} is a ${
          plan.statementType ?? 'statement'
        }${
          target ? ` on the dataset ${target}` : ''
        }, not a ${expected} in the scratch dataset ${scratch}`,
      );
    }
    const [job] = await client
      .createQueryJob({
        query: sql,
        useLegacySql: false,
        location,
        labels: { tool: 'ripple' },
      })
      .catch(error => fail(error, 'start a job'));
    await firstPage(job, Date.now() + DDL_TIMEOUT_MS, DDL_TIMEOUT_MS, 1);
  };

  const warehouse: RippleWarehouse = {
    id,
    dialect: 'bigquery',
    scratchSchema: scratch,
    relation: table => table,
    async partitioning(table) {
      // `project.dataset.table`, or `dataset.table` in the client's project.
      const parts = table.replace(/`/g, '').split('.');
      if (parts.length < 2 || parts.length > 3 || parts.some(p => !p)) {
        throw new WarehouseError(
          id,
          'refused',
          `the table ${table} is not dataset.table or project.dataset.table`,
        );
      }
      const [tableId, datasetId, project = projectId] = [...parts].reverse();
      const [metadata] = await client
        .dataset(datasetId, { projectId: project })
        .table(tableId)
        .getMetadata()
        .catch(error => fail(error, `read the metadata of ${table}`));
      const time = metadata?.timePartitioning as
        | { type?: string; field?: string }
        | undefined;
      if (time) {
        return {
          kind: 'time',
          column: time.field ?? '_PARTITIONTIME',
          granularity: time.type ?? 'DAY',
        };
      }
      const range = metadata?.rangePartitioning as
        | { field?: string }
        | undefined;
      return range?.field ? { kind: 'range', column: range.field } : undefined;
    },
    async query(sql, limits: WarehouseLimits) {
      const started = Date.now();
      const cap = limits.maxBytes ?? options.maxBytes ?? DEFAULT_MAX_BYTES;
      const plan = await dryRun(sql);
      if (plan.statementType !== undefined && plan.statementType !== 'SELECT') {
        throw new WarehouseError(
          id,
          'refused',
          `the statement is a ${plan.statementType}; Ripple runs queries (SELECT) only`,
        );
      }
      if (plan.bytes > cap) {
        throw new WarehouseError(
          id,
          'cap_exceeded',
          `the query would scan ${plan.bytes} bytes, over the ${cap}-byte cap (estimated by a dry run; not run)`,
        );
      }
      const [job] = await client
        .createQueryJob({
          query: sql,
          useLegacySql: false,
          location,
          maximumBytesBilled: String(cap),
          jobTimeoutMs: limits.timeoutMs,
          labels: { tool: 'ripple' },
        })
        .catch(error => fail(error, 'start a job'));
      const pageSize = Math.max(
        1,
        Math.min(options.pageSize ?? 10_000, limits.maxRows + 1),
      );
      let page = await firstPage(
        job,
        started + limits.timeoutMs,
        limits.timeoutMs,
        pageSize,
      );
      const fields = page.schema?.fields ?? [];
      const rows: WarehouseValue[][] = [];
      const bytesProcessed = Number(page.totalBytesProcessed ?? plan.bytes);
      for (;;) {
        for (const row of page.rows ?? []) {
          rows.push(fields.map((field, i) => cell(field, row.f[i]?.v)));
        }
        if (rows.length > limits.maxRows || !page.pageToken) break;
        const next = await results(job, {
          maxResults: pageSize,
          pageToken: page.pageToken,
        }).catch(error => fail(error, 'read results'));
        if (!next) break;
        page = next;
      }
      const truncated = rows.length > limits.maxRows;
      return {
        columns: fields.map(columnOf),
        rows: truncated ? rows.slice(0, limits.maxRows) : rows,
        truncated,
        durationMs: Date.now() - started,
        bytesProcessed,
      };
    },
    createView: view => ddl(view, view.create, 'create'),
    dropView: view => ddl(view, view.cleanup, 'drop'),
    close: async () => {},
  };
  return warehouse;
}

// The REST API names types the legacy way; columns carry the SQL names.
const SQL_TYPE: Record<string, string> = {
  INTEGER: 'INT64',
  FLOAT: 'FLOAT64',
  BOOLEAN: 'BOOL',
  RECORD: 'STRUCT',
};

function columnOf(field: Field): WarehouseColumn {
  const type = SQL_TYPE[field.type] ?? field.type;
  return {
    name: field.name,
    type: field.mode === 'REPEATED' ? `ARRAY<${type}>` : type,
  };
}

/** A cell of the API's rows (`{f: [{v}]}`) as a value: see {@link WarehouseValue}. */
function cell(field: Field, v: unknown): WarehouseValue {
  if (v === null || v === undefined) return null;
  if (field.mode === 'REPEATED') {
    return (v as Array<{ v: unknown }>).map(item => scalar(field, item.v));
  }
  return scalar(field, v);
}

function scalar(field: Field, v: unknown): WarehouseValue {
  if (v === null || v === undefined) return null;
  switch (SQL_TYPE[field.type] ?? field.type) {
    case 'STRUCT': {
      const cells = (v as { f: Array<{ v: unknown }> }).f;
      return Object.fromEntries(
        (field.fields ?? []).map((sub, i) => [
          sub.name,
          cell(sub, cells[i]?.v),
        ]),
      );
    }
    case 'FLOAT64': {
      const n = Number(v);
      return Number.isFinite(n) ? n : String(v);
    }
    case 'BOOL':
      return v === 'true' || v === true;
    case 'TIMESTAMP':
      return timestamp(String(v));
    case 'JSON':
      try {
        return JSON.parse(String(v));
      } catch {
        return String(v);
      }
    default:
      // INT64, NUMERIC and BIGNUMERIC as text (never rounded); STRING, BYTES
      // (base64), DATE, DATETIME, TIME, GEOGRAPHY, INTERVAL as the API writes them.
      return String(v);
  }
}

/**
 * A TIMESTAMP in ISO 8601 (UTC). The client asks for microseconds since the
 * epoch (`formatOptions.useInt64Timestamp`); older answers are float seconds.
 */
export function timestamp(text: string): string {
  if (!/^-?\d+$/.test(text)) return new Date(Number(text) * 1000).toISOString();
  const micros = BigInt(text);
  const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  const rest = Number(micros - ms * 1000n);
  const iso = new Date(Number(ms)).toISOString();
  return rest === 0
    ? iso
    : iso.replace('Z', `${String(rest).padStart(3, '0')}Z`);
}
