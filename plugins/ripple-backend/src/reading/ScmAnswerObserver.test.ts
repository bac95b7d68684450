import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RateLimitAnswer } from './rateLimitAnswer';
import { ScmAnswerObserver } from './ScmAnswerObserver';

// A real server answering as GitLab does when its rate limit is used up
// (docs.gitlab.com, "Rate limits"), read by both HTTP clients Backstage's
// readers use: node:http (under node-fetch) and Node's fetch (undici).
describe('ScmAnswerObserver', () => {
  let server: http.Server;
  let origin: string;
  const resetEpoch = Math.floor(Date.now() / 1000) + 30;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/limited') {
        res.writeHead(429, {
          'RateLimit-Limit': '600',
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': String(resetEpoch),
          'Retry-After': '30',
        });
      } else {
        res.writeHead(403, { 'content-type': 'application/json' });
      }
      res.end('{}');
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise(resolve => server.close(resolve)));

  function observe() {
    const seen: Array<{ host: string; answer: RateLimitAnswer }> = [];
    const observer = new ScmAnswerObserver(
      new Map([[new URL(origin).host, 'gitlab.acme.test']]),
      (host, answer) => seen.push({ host, answer }),
    );
    observer.start();
    return { seen, observer };
  }

  const get = (path: string) =>
    new Promise<number>((resolve, reject) =>
      http
        .get(`${origin}${path}`, res => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        })
        .on('error', reject),
    );

  it('reports a refusal seen by node:http under its integration host', async () => {
    const { seen, observer } = observe();
    const before = Date.now();
    try {
      expect(await get('/limited')).toBe(429);
    } finally {
      observer.stop();
    }
    expect(seen).toHaveLength(1);
    expect(seen[0].host).toBe('gitlab.acme.test');
    expect(seen[0].answer.refused).toBe(true);
    // Retry-After (30 s from the answer) comes before RateLimit-Reset.
    expect(seen[0].answer.resetAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(seen[0].answer.resetAt).toBeLessThanOrEqual(Date.now() + 30_000);
  });

  it("reports a refusal seen by Node's fetch (undici)", async () => {
    const { seen, observer } = observe();
    try {
      expect((await fetch(`${origin}/limited`)).status).toBe(429);
    } finally {
      observer.stop();
    }
    expect(seen.map(s => [s.host, s.answer.refused])).toEqual([
      ['gitlab.acme.test', true],
    ]);
  });

  it('reports nothing for a 403 without rate-limit headers, nor once stopped', async () => {
    const { seen, observer } = observe();
    expect(await get('/forbidden')).toBe(403);
    observer.stop();
    expect(await get('/limited')).toBe(429);
    expect(seen).toEqual([]);
  });
});
