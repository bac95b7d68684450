import type { Config } from '@backstage/config';

/** Prometheus's answer to an instant query (`GET /api/v1/query`). */
type QueryResponse =
  | {
      status: 'success';
      data:
        | { resultType: 'scalar' | 'string'; result: [number, string] }
        | {
            resultType: 'vector';
            result: {
              metric: Record<string, string>;
              value: [number, string];
            }[];
          }
        | { resultType: 'matrix'; result: unknown[] };
    }
  | { status: 'error'; errorType: string; error: string };

/**
 * Instant queries against Prometheus's HTTP API
 * (https://prometheus.io/docs/prometheus/latest/querying/api/), each one
 * expected to give one number.
 */
export class PrometheusClient {
  constructor(
    private readonly options: {
      baseUrl: string;
      headers?: Record<string, string>;
      timeoutMs?: number;
    },
  ) {}

  static fromConfig(settings: Config): PrometheusClient {
    const headers = settings.getOptionalConfig('headers');
    return new PrometheusClient({
      baseUrl: settings.getString('baseUrl').replace(/\/+$/, ''),
      ...(headers
        ? {
            headers: Object.fromEntries(
              headers.keys().map(k => [k, headers.getString(k)]),
            ),
          }
        : {}),
      timeoutMs: (settings.getOptionalNumber('timeoutSeconds') ?? 10) * 1000,
    });
  }

  /**
   * The query's one value at `time`; undefined when it gives no series or
   * NaN (no traffic, say). More than one series is an error: the gate
   * needs one number, and the query should aggregate (`sum`, `max`).
   */
  async value(query: string, time: Date): Promise<number | undefined> {
    const url = new URL(`${this.options.baseUrl}/api/v1/query`);
    url.searchParams.set('query', query);
    url.searchParams.set('time', (time.getTime() / 1000).toFixed(3));
    const response = await fetch(url, {
      headers: { Accept: 'application/json', ...this.options.headers },
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    let body: QueryResponse;
    try {
      body = (await response.json()) as QueryResponse;
    } catch {
      throw new Error(
        `${url.origin} answered ${response.status} without a JSON body`,
      );
    }
    if (body.status !== 'success') {
      throw new Error(
        `Prometheus refused \`${query}\`: ${body.errorType}: ${body.error}`,
      );
    }
    const { data } = body;
    let raw: string | undefined;
    if (data.resultType === 'scalar') {
      raw = data.result[1];
    } else if (data.resultType === 'vector') {
      if (data.result.length > 1) {
        throw new Error(
          `\`${query}\` gave ${data.result.length} series; it must give one (aggregate it with sum or max)`,
        );
      }
      raw = data.result[0]?.value[1];
    } else {
      throw new Error(
        `\`${query}\` gave a ${data.resultType}; it must give one number`,
      );
    }
    if (raw === undefined) return undefined;
    const value = Number(raw);
    return Number.isFinite(value) ? value : undefined;
  }
}
