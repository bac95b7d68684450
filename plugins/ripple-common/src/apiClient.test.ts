import { RippleApiClient } from './index';

// The client generated from the spec, as the frontend and other plugins call
// the backend with it.
describe('RippleApiClient', () => {
  const discoveryApi = { getBaseUrl: async () => 'http://backend/api/ripple' };

  function client() {
    const fetch = jest.fn(
      async (_url: RequestInfo | URL, _init?: RequestInit) =>
        new Response('{}', { headers: { 'Content-Type': 'application/json' } }),
    );
    return {
      fetch,
      api: new RippleApiClient({ discoveryApi, fetchApi: { fetch } }),
    };
  }

  it('encodes an entity ref as one path segment', async () => {
    const { fetch, api } = client();
    await api.reviewPatch(
      {
        path: { id: 'm1', consumerRef: 'component:default/orders-export' },
        body: { decision: 'approve', patchId: 3 },
      },
      { token: 't' },
    );
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe(
      'http://backend/api/ripple/migrations/m1/consumers/component%3Adefault%2Forders-export/review',
    );
    expect(init).toMatchObject({
      method: 'POST',
      body: JSON.stringify({ decision: 'approve', patchId: 3 }),
      headers: { Authorization: 'Bearer t' },
    });
  });

  it('repeats a list query parameter and encodes the others', async () => {
    const { fetch, api } = client();
    await api.listMigrations({
      query: {
        state: ['draft', 'proposed'],
        dataset: 'resource:default/orders',
        limit: 10,
      },
    });
    expect(fetch.mock.calls[0][0]).toBe(
      'http://backend/api/ripple/migrations?state=draft&state=proposed&dataset=resource%3Adefault%2Forders&limit=10',
    );
  });
});
