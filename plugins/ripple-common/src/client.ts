import { ResponseError } from '@backstage/errors';
import type { Dialect, StatementTables } from '@ripple/engine';

export type { Dialect, StatementTables } from '@ripple/engine';

/**
 * Ripple's backend API, as the frontend and other plugins call it.
 *
 * @public
 */
export interface RippleApi {
  /** The version of the engine the backend runs. */
  getEngine(): Promise<{ version: string }>;
  /** The tables each statement of `sql` reads and writes, computed by the backend. */
  tables(request: {
    sql: string;
    dialect: Dialect;
  }): Promise<{ statements: StatementTables[] }>;
}

/**
 * A {@link RippleApi} over HTTP.
 *
 * @public
 */
export class RippleClient implements RippleApi {
  private readonly discoveryApi: {
    getBaseUrl(pluginId: string): Promise<string>;
  };
  private readonly fetchApi: { fetch: typeof fetch };

  constructor(options: {
    discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
    fetchApi?: { fetch: typeof fetch };
  }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi ?? { fetch: globalThis.fetch };
  }

  async getEngine(): Promise<{ version: string }> {
    return this.request('GET', '/engine');
  }

  async tables(request: {
    sql: string;
    dialect: Dialect;
  }): Promise<{ statements: StatementTables[] }> {
    return this.request('POST', '/engine/tables', request);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl('ripple');
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}
