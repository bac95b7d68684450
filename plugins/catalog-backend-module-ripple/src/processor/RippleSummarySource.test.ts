import { mockServices } from '@backstage/backend-test-utils';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { RippleSummarySource } from './RippleSummarySource';

/** A stand-in for Ripple's summary route, over real HTTP, counting requests. */
async function summaryServer() {
  const requests: IncomingMessage[] = [];
  let version = 1;
  let failing = false;
  const server: Server = createServer((req, res) => {
    requests.push(req);
    if (failing) {
      res.writeHead(503).end('down');
      return;
    }
    const etag = `W/"ripple-${version}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag }).end();
      return;
    }
    res.writeHead(200, { ETag: etag, 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        entities: [
          {
            entityRef: 'component:default/a',
            migrations: [
              { id: `m${version}`, state: 'proposed', roles: ['consumer'] },
            ],
            readsDatasets: [],
          },
        ],
      }),
    );
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    requests,
    baseUrl: `http://127.0.0.1:${port}`,
    bump: () => (version += 1),
    fail: (value: boolean) => (failing = value),
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

describe('RippleSummarySource', () => {
  it('asks once for many entities, then conditionally once per period, and keeps the last summary when Ripple is down', async () => {
    const ripple = await summaryServer();
    let now = 0;
    const source = new RippleSummarySource({
      auth: mockServices.auth(),
      discovery: {
        getBaseUrl: async () => ripple.baseUrl,
        getExternalBaseUrl: async () => ripple.baseUrl,
      },
      logger: mockServices.logger.mock(),
      ttlSeconds: 30,
      now: () => now,
    });
    try {
      // A processing round: a hundred entities at once, one request.
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          source.get(i % 2 ? 'Component:default/A' : 'component:default/b'),
        ),
      );
      expect(ripple.requests).toHaveLength(1);
      expect(ripple.requests[0].headers.authorization).toMatch(/^Bearer /);
      expect(results[1]?.migrations[0].id).toBe('m1');
      expect(results[0]).toBeUndefined();

      // Within the period: no request.
      now = 29_000;
      await source.get('component:default/a');
      expect(ripple.requests).toHaveLength(1);

      // After it: a conditional request, answered 304, the summary kept.
      now = 31_000;
      expect((await source.get('component:default/a'))?.migrations[0].id).toBe(
        'm1',
      );
      expect(ripple.requests).toHaveLength(2);
      expect(ripple.requests[1].headers['if-none-match']).toBe('W/"ripple-1"');

      // Changed: the new summary.
      ripple.bump();
      now = 62_000;
      expect((await source.get('component:default/a'))?.migrations[0].id).toBe(
        'm2',
      );

      // Down: the last summary stays, and the next try waits a period.
      ripple.fail(true);
      now = 93_000;
      expect((await source.get('component:default/a'))?.migrations[0].id).toBe(
        'm2',
      );
      await source.get('component:default/a');
      expect(ripple.requests).toHaveLength(4);
    } finally {
      await ripple.close();
    }
  });

  it('never sends its token over http:// to another host', async () => {
    const fetchSpy = jest.spyOn(global, 'fetch');
    const logger = mockServices.logger.mock();
    try {
      const source = new RippleSummarySource({
        auth: mockServices.auth(),
        discovery: {
          getBaseUrl: async () => 'http://ripple.internal:7007/api/ripple',
          getExternalBaseUrl: async () => 'https://backstage.example.com',
        },
        logger,
        ttlSeconds: 30,
      });
      expect(await source.get('component:default/a')).toBeUndefined();
      expect(fetchSpy).not.toHaveBeenCalled();
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining(
          "Ripple's URL http://ripple.internal:7007/api/ripple/catalog/summary is not https:// (nor http:// to this host); the service token is not sent in clear text",
        ),
      );
    } finally {
      fetchSpy.mockRestore();
    }
  });
});
