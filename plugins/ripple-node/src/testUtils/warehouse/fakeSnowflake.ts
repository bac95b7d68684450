import {
  DuckDBListType,
  DuckDBListValue,
  DuckDBStructType,
  DuckDBStructValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
} from '@duckdb/node-api';
import { createHash, createPublicKey, randomUUID, verify } from 'node:crypto';
import {
  type BackendResult,
  type DuckDbBackend,
  type ReceivedRequest,
  serveJson,
} from './duckdbBackend';

/**
 * A fake of Snowflake's SQL REST API, the part Ripple uses:
 * `POST /api/v2/statements` (`timeout`, `parameters.MULTI_STATEMENT_COUNT`),
 * `GET /api/v2/statements/{handle}` (202 while running, `partition`),
 * `POST /api/v2/statements/{handle}/cancel`, the `jsonv2` row format and
 * `rowType`, and errors as `{code, message, sqlState}` (422, 408 with
 * `000630`, 401). A statement still running after `syncWaitMs` answers 202
 * with its handle, as Snowflake does after 45 s. Key-pair JWTs are verified
 * against `publicKey` (signature, `iss`, `sub`, `exp`); an `OAUTH` token
 * must equal `oauthToken`.
 */
export interface FakeSnowflake {
  url: string;
  requests: ReceivedRequest[];
  /** Statements that ran. */
  ran: string[];
  /** How long a POST waits for its statement before answering 202 (settable). */
  syncWaitMs: number;
  /** The claims of the last key-pair JWT accepted. */
  claims?: Record<string, unknown>;
  close(): Promise<void>;
}

interface Statement {
  handle: string;
  state: 'running' | 'done';
  done: Promise<unknown>;
  result?: BackendResult;
  failure?: { status: number; code: string; message: string; sqlState: string };
  interrupt(): void;
}

export async function startFakeSnowflake(
  backend: DuckDbBackend,
  options: {
    account: string;
    user: string;
    /** The user's public key (PEM) for key-pair JWTs. */
    publicKey?: string;
    oauthToken?: string;
    syncWaitMs?: number;
    partitionRows?: number;
  },
): Promise<FakeSnowflake> {
  const statements = new Map<string, Statement>();
  const ran: string[] = [];
  const partitionRows = options.partitionRows ?? 1000;
  const fake: Partial<FakeSnowflake> = {
    ran,
    syncWaitMs: options.syncWaitMs ?? 45_000,
  };

  const authenticate = (request: ReceivedRequest): string | undefined => {
    const token = /^Bearer (.+)$/.exec(
      String(request.headers.authorization ?? ''),
    )?.[1];
    const type = request.headers['x-snowflake-authorization-token-type'];
    if (!token) return 'missing token';
    if (type === 'OAUTH')
      return token === options.oauthToken ? undefined : 'invalid OAuth token';
    if (type !== 'KEYPAIR_JWT' || !options.publicKey)
      return `token type ${type} not accepted`;
    const [header, payload, signature] = token.split('.');
    const key = createPublicKey(options.publicKey);
    if (
      !verify(
        'sha256',
        Buffer.from(`${header}.${payload}`),
        key,
        Buffer.from(signature ?? '', 'base64url'),
      )
    ) {
      return 'bad signature';
    }
    const claims = JSON.parse(
      Buffer.from(payload, 'base64url').toString('utf8'),
    );
    const name = `${options.account}.${options.user}`.toUpperCase();
    const fingerprint = `SHA256:${createHash('sha256')
      .update(key.export({ type: 'spki', format: 'der' }))
      .digest('base64')}`;
    if (claims.iss !== `${name}.${fingerprint}` || claims.sub !== name)
      return 'wrong issuer';
    if (!(claims.exp > Date.now() / 1000) || claims.exp - claims.iat > 3600)
      return 'expired';
    fake.claims = claims;
    return undefined;
  };

  const answer = (statement: Statement, partition: number | undefined) => {
    if (statement.state === 'running') {
      return {
        status: 202,
        body: {
          code: '333334',
          message:
            'Asynchronous execution in progress. Use provided query id to perform query monitoring and management.',
          statementHandle: statement.handle,
          statementStatusUrl: `/api/v2/statements/${statement.handle}`,
        },
      };
    }
    if (statement.failure) {
      const { status, ...said } = statement.failure;
      return {
        status,
        body: { ...said, statementHandle: statement.handle },
      };
    }
    const result = statement.result!;
    const data = (n: number) =>
      result.rows
        .slice(n * partitionRows, (n + 1) * partitionRows)
        .map(row => row.map((v, i) => encode(result.types[i], v)));
    if (partition !== undefined)
      return { status: 200, body: { data: data(partition) } };
    const partitions = Math.max(
      1,
      Math.ceil(result.rows.length / partitionRows),
    );
    return {
      status: 200,
      body: {
        resultSetMetaData: {
          numRows: result.rows.length,
          format: 'jsonv2',
          partitionInfo: Array.from({ length: partitions }, (_, n) => ({
            rowCount: data(n).length,
          })),
          rowType: result.names.map((name, i) => ({
            name,
            nullable: true,
            ...rowType(result.types[i]),
          })),
        },
        data: data(0),
        code: '090001',
        sqlState: '00000',
        message: 'Statement executed successfully.',
        statementHandle: statement.handle,
        statementStatusUrl: `/api/v2/statements/${statement.handle}`,
      },
    };
  };

  const submit = async (body: any) => {
    const sql: string = body.statement ?? '';
    const handle = randomUUID();
    const expected = Number(body.parameters?.MULTI_STATEMENT_COUNT ?? 1);
    let count: number;
    try {
      count = await backend.statementCount(sql);
    } catch (error) {
      return failure(handle, 422, '001003', (error as Error).message, '42000');
    }
    if (expected !== 0 && count !== expected) {
      return failure(
        handle,
        422,
        '000008',
        `Actual statement count ${count} did not match the desired statement count ${expected}.`,
        '0A000',
      );
    }
    ran.push(sql);
    const run = await backend.start(sql);
    const statement: Statement = {
      handle,
      state: 'running',
      done: Promise.resolve(),
      interrupt: run.interrupt,
    };
    statements.set(handle, statement);
    const limit = Number(body.timeout ?? 0) * 1000;
    let timedOut = false;
    let cancelled = false;
    statement.interrupt = () => {
      cancelled = true;
      run.interrupt();
    };
    const timer = limit
      ? setTimeout(() => {
          timedOut = true;
          run.interrupt();
        }, limit)
      : undefined;
    statement.done = run.done
      .then(
        result => {
          statement.result = result;
        },
        error => {
          if (timedOut) {
            statement.failure = {
              status: 408,
              code: '000630',
              message: `Statement reached its statement or warehouse timeout of ${
                limit / 1000
              } second(s) and was canceled.`,
              sqlState: '57014',
            };
          } else if (cancelled) {
            statement.failure = {
              status: 422,
              code: '000604',
              message: 'SQL execution canceled',
              sqlState: '57014',
            };
          } else {
            statement.failure = {
              status: 422,
              code: '002003',
              message: `SQL compilation error:\n${(error as Error).message}`,
              sqlState: '42S02',
            };
          }
        },
      )
      .finally(() => {
        clearTimeout(timer);
        statement.state = 'done';
      });
    if ((fake.syncWaitMs ?? 45_000) <= 0) {
      // Always asynchronous: a quick statement must not finish in time to
      // answer 200, or the test of polling would depend on the machine's speed.
      return answer({ ...statement, state: 'running' }, undefined);
    }
    await Promise.race([
      statement.done,
      new Promise(r => setTimeout(r, fake.syncWaitMs)),
    ]);
    return answer(statement, undefined);
  };

  const server = await serveJson(async (request, url) => {
    const denied = authenticate(request);
    if (denied) {
      return {
        status: 401,
        body: { code: '390144', message: `JWT token is invalid. [${denied}]` },
      };
    }
    if (request.method === 'POST' && url.pathname === '/api/v2/statements') {
      return submit(request.body ?? {});
    }
    const route = /^\/api\/v2\/statements\/([^/]+)(\/cancel)?$/.exec(
      url.pathname,
    );
    const statement = route ? statements.get(route[1]) : undefined;
    if (!statement)
      return {
        status: 404,
        body: { code: '000709', message: 'Statement not found' },
      };
    if (route![2]) {
      statement.interrupt();
      await statement.done;
      return {
        status: 200,
        body: {
          code: '000604',
          message: 'SQL execution canceled',
          statementHandle: statement.handle,
        },
      };
    }
    const partition = url.searchParams.get('partition');
    return answer(
      statement,
      partition === null ? undefined : Number(partition),
    );
  });
  Object.assign(fake, {
    url: server.url,
    requests: server.requests,
    close: server.close,
  });
  return fake as FakeSnowflake;
}

function failure(
  handle: string,
  status: number,
  code: string,
  message: string,
  sqlState: string,
) {
  return { status, body: { code, message, sqlState, statementHandle: handle } };
}

function rowType(type: DuckDBType): Record<string, unknown> {
  if (type instanceof DuckDBListType) return { type: 'array' };
  if (type instanceof DuckDBStructType) return { type: 'object' };
  switch (type.typeId) {
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
      return { type: 'fixed', precision: 38, scale: 0 };
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type as unknown as {
        width: number;
        scale: number;
      };
      return { type: 'fixed', precision: width, scale };
    }
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return { type: 'real' };
    case DuckDBTypeId.BOOLEAN:
      return { type: 'boolean' };
    case DuckDBTypeId.DATE:
      return { type: 'date' };
    case DuckDBTypeId.TIME:
      return { type: 'time', scale: 9 };
    case DuckDBTypeId.TIMESTAMP:
      return { type: 'timestamp_ntz', scale: 9 };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { type: 'timestamp_tz', scale: 9 };
    case DuckDBTypeId.BLOB:
      return { type: 'binary' };
    default:
      return { type: 'text' };
  }
}

/** Microseconds as Snowflake's seconds with nine decimals. */
function seconds(micros: bigint): string {
  const whole = micros / 1_000_000n;
  const rest = micros % 1_000_000n;
  const s = micros < 0n && rest !== 0n ? whole - 1n : whole;
  const frac = micros < 0n && rest !== 0n ? 1_000_000n + rest : rest;
  return `${s}.${String(frac).padStart(6, '0')}000`;
}

/** A value as the `jsonv2` format writes it: text, or null. */
function encode(type: DuckDBType, value: DuckDBValue): string | null {
  if (value === null) return null;
  if (type instanceof DuckDBListType || type instanceof DuckDBStructType) {
    return JSON.stringify(json(value));
  }
  switch (type.typeId) {
    case DuckDBTypeId.DATE:
      return String((value as unknown as { days: number }).days);
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIMESTAMP:
      return seconds((value as unknown as { micros: bigint }).micros);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return `${seconds((value as unknown as { micros: bigint }).micros)} 1440`;
    default:
      return String(value);
  }
}

function json(value: DuckDBValue): unknown {
  if (value instanceof DuckDBListValue) return value.items.map(json);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(
      Object.entries(value.entries).map(([k, v]) => [k, json(v)]),
    );
  }
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean')
    return value;
  return String(value);
}
