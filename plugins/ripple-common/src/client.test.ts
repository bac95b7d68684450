import { RippleClient } from './client';

describe('RippleClient', () => {
  const discoveryApi = { getBaseUrl: async () => 'http://backend/api/ripple' };

  it('posts SQL to the engine route and returns the statements', async () => {
    const fetch = jest.fn(async () =>
      new Response(JSON.stringify({ statements: [] }), {
        headers: { 'Content-Type': 'application/json' },
      }),
    );
    const client = new RippleClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.tables({ sql: 'SELECT 1', dialect: 'bigquery' })).resolves.toEqual({
      statements: [],
    });
    expect(fetch).toHaveBeenCalledWith('http://backend/api/ripple/engine/tables', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT 1', dialect: 'bigquery' }),
    });
  });

  it("throws a ResponseError carrying the backend's message", async () => {
    const fetch = jest.fn(async () =>
      new Response(
        // Backstage's error response body, as the backend's error handler writes it.
        JSON.stringify({
          error: { name: 'InputError', message: 'Expected: ) at line 1, column 9' },
          request: { method: 'POST', url: '/api/ripple/engine/tables' },
          response: { statusCode: 400 },
        }),
        { status: 400, statusText: 'Bad Request', headers: { 'Content-Type': 'application/json' } },
      ),
    );
    const client = new RippleClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.tables({ sql: 'SELECT (', dialect: 'generic' })).rejects.toMatchObject({
      name: 'ResponseError',
      body: { error: { message: 'Expected: ) at line 1, column 9' } },
    });
  });
});
