import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomUUID,
  sign,
} from 'node:crypto';
import {
  checkEndpoint,
  checkScratchView,
  checkViewStatement,
  redact,
  type RippleWarehouse,
  rowBytes,
  type ScratchView,
  type WarehouseValue,
  WarehouseError,
} from './warehouse';

/** @public */
export interface SnowflakeWarehouseOptions {
  id: string;
  /** The account identifier (`myorg-myaccount`, or a locator `xy12345.eu-west-1`). */
  account: string;
  /**
   * The account's URL (default `https://<account>.snowflakecomputing.com`).
   * https only, except on a loopback address (the tests' fake).
   */
  url?: string;
  user: string;
  /** The user's private key (PEM, PKCS#8) for key-pair authentication: a secret. */
  privateKey?: string;
  /** The private key's passphrase, when it is encrypted: a secret. */
  privateKeyPassphrase?: string;
  /** An OAuth access token instead of a key pair: a secret. */
  token?: string;
  /** The virtual warehouse queries run on (the user's default when unset). */
  warehouse?: string;
  role?: string;
  database?: string;
  /** The schema of Ripple's views, in `database` (default `ripple_scratch`); it must exist. */
  scratchSchema?: string;
}

/** A column of a result set's `rowType`. */
interface RowType {
  name: string;
  type: string;
  scale?: number | null;
  precision?: number | null;
}
interface Answer {
  status: number;
  body: {
    code?: string;
    message?: string;
    sqlState?: string;
    statementHandle?: string;
    data?: Array<Array<string | null>>;
    resultSetMetaData?: { rowType?: RowType[]; partitionInfo?: unknown[] };
  };
}

// Snowflake's code for a statement stopped at its timeout.
const TIMEOUT_CODE = '000630';
const DDL_TIMEOUT_MS = 60_000;
// Key-pair JWTs live an hour at most; a new one is made before that.
const JWT_LIFETIME_S = 3600;

/**
 * Snowflake, through its SQL REST API (`/api/v2/statements`, Node's fetch),
 * authenticated by a key-pair JWT (or an OAuth token). A statement runs with
 * `timeout` at the time limit (the client cancels it if it is still
 * running then), `QUERY_TAG` `ripple` and `MULTI_STATEMENT_COUNT` 1 (a
 * second statement after `;` fails instead of running); its partitions are
 * read until one row past the row cap.
 *
 * Snowflake has no read-only transaction, and its API says what a statement
 * was only after it ran. So Ripple sends only statements that start as
 * queries (`SELECT`, `WITH`, after comments and parentheses) and refuses the
 * rest before anything runs; views are made only by `CREATE [OR REPLACE]
 * VIEW` of the named view in the scratch schema. The guard that counts is
 * the role: give Ripple one with USAGE on the warehouse, SELECT on the
 * datasets, and CREATE VIEW on the scratch schema alone.
 *
 * @public
 */
export function createSnowflakeWarehouse(
  options: SnowflakeWarehouseOptions,
): RippleWarehouse {
  const { id } = options;
  const scratch = options.scratchSchema ?? 'ripple_scratch';
  const base = checkEndpoint(
    id,
    options.url ??
      `https://${options.account.toLowerCase()}.snowflakecomputing.com`,
  );
  if (!options.privateKey && !options.token) {
    throw new WarehouseError(
      id,
      'unreachable',
      'Snowflake needs a privateKey or a token',
    );
  }
  const secrets = [
    options.privateKey,
    options.privateKeyPassphrase,
    options.token,
  ];
  const authorization = bearer(id, options);

  const call = async (
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<Answer> => {
    let response: Response;
    try {
      const auth = authorization();
      response = await fetch(new URL(path, base), {
        method,
        headers: {
          authorization: `Bearer ${auth.token}`,
          'x-snowflake-authorization-token-type': auth.type,
          'content-type': 'application/json',
          accept: 'application/json',
          'user-agent': 'ripple',
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      if (WarehouseError.is(error)) throw error;
      throw new WarehouseError(
        id,
        'unreachable',
        `cannot reach Snowflake at ${base.origin}: ${redact(
          String((error as Error).cause ?? (error as Error).message),
          secrets,
        )}`,
      );
    }
    const text = await response.text();
    let parsed: Answer['body'] = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
    return { status: response.status, body: parsed };
  };

  /** Runs a statement to its end (or its deadline): the answer with the first partition. */
  const execute = async (sql: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    const timedOut = () =>
      new WarehouseError(
        id,
        'timeout',
        `the query ran past its ${timeoutMs} ms limit and was cancelled`,
      );
    let answer = await call(
      'POST',
      `/api/v2/statements?requestId=${randomUUID()}`,
      {
        statement: sql,
        timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
        database: options.database,
        warehouse: options.warehouse,
        role: options.role,
        parameters: { QUERY_TAG: 'ripple', MULTI_STATEMENT_COUNT: '1' },
      },
    );
    let wait = 100;
    while (answer.status === 202) {
      const handle = answer.body.statementHandle!;
      if (Date.now() >= deadline) {
        await call('POST', `/api/v2/statements/${handle}/cancel`).catch(
          () => {},
        );
        throw timedOut();
      }
      const delay = Math.min(wait, deadline - Date.now());
      await new Promise(resolve => setTimeout(resolve, delay));
      wait = Math.min(wait * 2, 2000);
      answer = await call('GET', `/api/v2/statements/${handle}`);
    }
    if (answer.status === 200) return answer;
    const { code, message, sqlState } = answer.body;
    const said = redact(
      `${message ?? `HTTP ${answer.status}`}${
        code ? ` (code ${code}${sqlState ? `, SQLSTATE ${sqlState}` : ''})` : ''
      }`,
      secrets,
    );
    if (answer.status === 408 || code === TIMEOUT_CODE) throw timedOut();
    if (answer.status === 422 || answer.status === 400) {
      throw new WarehouseError(id, 'query_failed', said);
    }
    throw new WarehouseError(
      id,
      'unreachable',
      `Snowflake at ${base.origin} answered HTTP ${answer.status}: ${said}`,
    );
  };

  const ddl = async (
    view: ScratchView,
    sql: string,
    verb: 'create' | 'drop',
  ) => {
    checkScratchView({ id, scratchSchema: scratch }, view);
    checkViewStatement({ id }, view, sql, verb);
    await execute(sql, DDL_TIMEOUT_MS);
  };

  const warehouse: RippleWarehouse = {
    id,
    dialect: 'snowflake',
    scratchSchema: scratch,
    relation: table => table,
    async query(sql, limits) {
      const started = Date.now();
      if (!isQuery(sql)) {
        throw new WarehouseError(
          id,
          'refused',
          'the statement is not a query (SELECT or WITH); Ripple runs nothing else on Snowflake',
        );
      }
      const first = await execute(sql, limits.timeoutMs);
      const handle = first.body.statementHandle;
      const meta = first.body.resultSetMetaData ?? {};
      const rowType = meta.rowType ?? [];
      const partitions = meta.partitionInfo?.length ?? 1;
      const rows: WarehouseValue[][] = [];
      const add = (data: Answer['body']['data']) => {
        for (const row of data ?? [])
          rows.push(rowType.map((column, i) => value(column, row[i])));
      };
      add(first.body.data);
      for (
        let partition = 1;
        partition < partitions && rows.length <= limits.maxRows;
        partition++
      ) {
        const next = await call(
          'GET',
          `/api/v2/statements/${handle}?partition=${partition}`,
        );
        if (next.status !== 200) {
          throw new WarehouseError(
            id,
            'unreachable',
            `Snowflake at ${base.origin} answered HTTP ${
              next.status
            } for partition ${partition}: ${next.body.message ?? ''}`,
          );
        }
        add(next.body.data);
      }
      const truncated = rows.length > limits.maxRows;
      const kept = truncated ? rows.slice(0, limits.maxRows) : rows;
      if (limits.maxBytes !== undefined && rowBytes(kept) > limits.maxBytes) {
        throw new WarehouseError(
          id,
          'cap_exceeded',
          `the rows returned are over the ${limits.maxBytes}-byte cap`,
        );
      }
      return {
        columns: rowType.map(column => ({
          name: column.name,
          type: typeName(column),
        })),
        rows: kept,
        truncated,
        durationMs: Date.now() - started,
      };
    },
    createView: view => ddl(view, view.create, 'create'),
    dropView: view => ddl(view, view.cleanup, 'drop'),
    close: async () => {},
  };
  return warehouse;
}

/** The `Authorization` of each request: a key-pair JWT (made anew before it expires) or the OAuth token. */
function bearer(
  id: string,
  options: SnowflakeWarehouseOptions,
): () => { token: string; type: 'KEYPAIR_JWT' | 'OAUTH' } {
  if (!options.privateKey) {
    return () => ({ token: options.token!, type: 'OAUTH' });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: options.privateKey,
      passphrase: options.privateKeyPassphrase,
    });
  } catch (error) {
    // Node's message names the key's format, never its content.
    throw new WarehouseError(
      id,
      'unreachable',
      `the Snowflake private key cannot be read: ${(error as Error).message}`,
    );
  }
  let cached: { token: string; until: number } | undefined;
  return () => {
    const now = Math.floor(Date.now() / 1000);
    if (!cached || cached.until <= now) {
      const token = keyPairJwt(options.account, options.user, key, now);
      cached = { token, until: now + JWT_LIFETIME_S - 300 };
    }
    return { token: cached.token, type: 'KEYPAIR_JWT' };
  };
}

/**
 * Snowflake's key-pair JWT: issued by `ACCOUNT.USER.SHA256:<fingerprint of
 * the public key>`, for `ACCOUNT.USER`, an hour long, signed RS256.
 */
export function keyPairJwt(
  account: string,
  user: string,
  key: KeyObject,
  now: number,
): string {
  // A locator's region is not part of the name; an org's account keeps its dash.
  const name = `${account.split('.')[0].toUpperCase()}.${user.toUpperCase()}`;
  const publicKey = createPublicKey(key).export({
    type: 'spki',
    format: 'der',
  });
  const fingerprint = `SHA256:${createHash('sha256')
    .update(publicKey)
    .digest('base64')}`;
  const encode = (part: object) =>
    Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({
    iss: `${name}.${fingerprint}`,
    sub: name,
    iat: now,
    exp: now + JWT_LIFETIME_S,
  })}`;
  return `${unsigned}.${sign('sha256', Buffer.from(unsigned), key).toString(
    'base64url',
  )}`;
}

/** Whether the statement starts as a query: `SELECT` or `WITH`, after comments and parentheses. */
export function isQuery(sql: string): boolean {
  const start = sql.replace(/^(\s+|\(|--[^\n]*\n?|\/\*[\s\S]*?\*\/)+/, '');
  return /^(select|with)\b/i.test(start);
}

function typeName(column: RowType): string {
  const type = column.type.toUpperCase();
  return type === 'FIXED'
    ? `NUMBER(${column.precision ?? 38},${column.scale ?? 0})`
    : type;
}

/** A value of the API's `jsonv2` rows (all text) as a value: see {@link WarehouseValue}. */
function value(column: RowType, v: string | null | undefined): WarehouseValue {
  if (v === null || v === undefined) return null;
  switch (column.type.toLowerCase()) {
    case 'fixed': {
      // Integers that a double holds exactly are numbers; larger ones and decimals stay text.
      if (!column.scale && Number.isSafeInteger(Number(v))) return Number(v);
      return v;
    }
    case 'real': {
      const n = Number(v);
      return Number.isFinite(n) ? n : v;
    }
    case 'boolean':
      return v === 'true' || v === '1';
    case 'date':
      return new Date(Number(v) * 86_400_000).toISOString().slice(0, 10);
    case 'time':
      return epoch(v, 0).slice(11, -1);
    case 'timestamp_ntz':
      // A wall-clock time: no zone.
      return epoch(v, 0).slice(0, -1);
    case 'timestamp_ltz':
      return epoch(v, 0);
    case 'timestamp_tz': {
      // Seconds since the epoch, then the zone's offset in minutes plus 1440.
      const [seconds, offset] = v.split(' ');
      const minutes = offset === undefined ? 0 : Number(offset) - 1440;
      if (minutes === 0) return epoch(seconds, 0);
      const direction = minutes < 0 ? '-' : '+';
      const hh = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0');
      const mm = String(Math.abs(minutes) % 60).padStart(2, '0');
      return `${epoch(seconds, minutes).slice(0, -1)}${direction}${hh}:${mm}`;
    }
    case 'variant':
    case 'object':
    case 'array':
      try {
        return JSON.parse(v);
      } catch {
        return v;
      }
    default:
      // TEXT, BINARY (hex) and the rest as Snowflake writes them.
      return v;
  }
}

/**
 * Seconds since the epoch (`1704164645.123456789`) in ISO 8601 UTC, shifted
 * by `minutes`, keeping every digit of the fraction.
 */
function epoch(text: string, minutes: number): string {
  const [whole, fraction = ''] = text.split('.');
  let seconds = BigInt(whole);
  let digits = fraction;
  if (text.startsWith('-') && /[1-9]/.test(fraction)) {
    // -1.25 s is -2 s and 0.75.
    seconds -= 1n;
    digits = (10n ** BigInt(fraction.length) - BigInt(fraction))
      .toString()
      .padStart(fraction.length, '0');
  }
  const iso = new Date(Number(seconds) * 1000 + minutes * 60_000).toISOString();
  return `${iso.slice(0, 19)}${digits ? `.${digits}` : ''}Z`;
}
