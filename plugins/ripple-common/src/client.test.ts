import { RippleClient } from './client';

describe('RippleClient', () => {
  const discoveryApi = { getBaseUrl: async () => 'http://backend/api/ripple' };

  function json(body: unknown, status = 200) {
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' },
    });
  }

  it('posts SQL to the engine route and returns the statements', async () => {
    const fetch = jest.fn(async (_url: RequestInfo | URL, _init?: RequestInit) =>
      json({ statements: [] }),
    );
    const client = new RippleClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.tables({ sql: 'SELECT 1', dialect: 'bigquery' })).resolves.toEqual({
      statements: [],
    });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('http://backend/api/ripple/engine/tables');
    expect(init).toMatchObject({
      method: 'POST',
      body: JSON.stringify({ sql: 'SELECT 1', dialect: 'bigquery' }),
    });
  });

  it('splits an entity ref into the kind, namespace and name of the entity route', async () => {
    const fetch = jest.fn(async (_url: RequestInfo | URL, _init?: RequestInit) =>
      json({ items: [], totalCount: 0 }),
    );
    const client = new RippleClient({ discoveryApi, fetchApi: { fetch } });

    await client.listEntityMigrations('component:default/orders-export', { limit: 5 });
    expect(fetch.mock.calls[0][0]).toBe(
      'http://backend/api/ripple/entities/component/default/orders-export/migrations?limit=5',
    );
    await expect(client.listEntityMigrations('orders-export')).rejects.toThrow(
      '"orders-export" is not an entity ref (kind:namespace/name)',
    );
  });

  it('asks for the consumers of some reason kinds, one query parameter each', async () => {
    const fetch = jest.fn(async (_url: RequestInfo | URL, _init?: RequestInit) =>
      json({ items: [], totalCount: 0 }),
    );
    const client = new RippleClient({ discoveryApi, fetchApi: { fetch } });

    await client.listConsumers('m1', { reasonKind: ['using_join', 'ambiguous_name'], limit: 500 });
    expect(fetch.mock.calls[0][0]).toBe(
      'http://backend/api/ripple/migrations/m1/consumers?reasonKind=using_join&reasonKind=ambiguous_name&limit=500',
    );
  });

  it('sends each step action to its route, with its note when one is given', async () => {
    const fetch = jest.fn(async (_url: RequestInfo | URL, _init?: RequestInit) =>
      json({ steps: [] }),
    );
    const client = new RippleClient({ discoveryApi, fetchApi: { fetch } });

    await client.getStepPlan('m1');
    await client.createStepPlan('m1', { key: 'id', batchRows: 5000 });
    await client.runStep('m1', 'expand');
    await client.retryStep('m1', 'backfill');
    await client.rollbackStep('m1', 'verify', 'wrong key');
    await client.markStepDone('m1', 'switch');
    await client.approveStep('m1', 'contract', 'checked the copy');
    await client.getStep('m1', 'contract');
    const calls = fetch.mock.calls.map(([url, init]) => [
      init?.method ?? 'GET',
      String(url).replace('http://backend/api/ripple', ''),
      init?.body === undefined ? undefined : JSON.parse(String(init.body)),
    ]);
    expect(calls).toEqual([
      ['GET', '/migrations/m1/steps', undefined],
      ['POST', '/migrations/m1/steps', { key: 'id', batchRows: 5000 }],
      ['POST', '/migrations/m1/steps/expand/run', undefined],
      ['POST', '/migrations/m1/steps/backfill/retry', undefined],
      ['POST', '/migrations/m1/steps/verify/rollback', { note: 'wrong key' }],
      ['POST', '/migrations/m1/steps/switch/done', {}],
      ['POST', '/migrations/m1/steps/contract/approve', { note: 'checked the copy' }],
      ['GET', '/migrations/m1/steps/contract', undefined],
    ]);
  });

  it("throws a ResponseError carrying the backend's message", async () => {
    const fetch = jest.fn(async () =>
      // Backstage's error response body, as the backend's error handler writes it.
      json(
        {
          error: { name: 'ConflictError', message: 'Review 7 by user:default/ana was recorded meanwhile' },
          request: { method: 'POST', url: '/api/ripple/migrations/m1/consumers/x/review' },
          response: { statusCode: 409 },
        },
        409,
      ),
    );
    const client = new RippleClient({ discoveryApi, fetchApi: { fetch } });

    await expect(
      client.reviewPatch('m1', 'component:default/x', { decision: 'approve', patchId: 1 }),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      response: { status: 409 },
      body: { error: { message: 'Review 7 by user:default/ana was recorded meanwhile' } },
    });
  });
});
