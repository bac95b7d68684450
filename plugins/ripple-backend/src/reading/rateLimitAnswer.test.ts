import { rateLimitAnswer } from './rateLimitAnswer';

const NOW = Date.parse('2026-12-07T09:00:00Z');
const answer = (status: number, headers: Record<string, string>) =>
  rateLimitAnswer(status, name => headers[name], NOW);

describe('rateLimitAnswer', () => {
  it("reads GitHub's primary limit: remaining 0 and the reset in epoch seconds", () => {
    expect(
      answer(403, {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(NOW / 1000 + 120),
      }),
    ).toEqual({ refused: true, resetAt: NOW + 120_000 });
  });

  it("reads GitHub's secondary limit: retry-after in seconds, before the reset", () => {
    expect(
      answer(403, {
        'retry-after': '30',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(NOW / 1000 + 120),
      }),
    ).toEqual({ refused: true, resetAt: NOW + 30_000 });
  });

  it("reads GitLab's RateLimit-Reset, and a Retry-After given as a date", () => {
    expect(
      answer(429, {
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(NOW / 1000 + 60),
      }),
    ).toEqual({ refused: true, resetAt: NOW + 60_000 });
    expect(
      answer(429, { 'retry-after': 'Mon, 07 Dec 2026 09:05:00 GMT' }),
    ).toEqual({ refused: true, resetAt: NOW + 300_000 });
  });

  it('takes a small RateLimit-Reset as seconds from now', () => {
    expect(
      answer(429, { 'ratelimit-remaining': '0', 'ratelimit-reset': '42' }),
    ).toEqual({ refused: true, resetAt: NOW + 42_000 });
  });

  it('knows a 429 without headers is a limit with no reset time', () => {
    expect(answer(429, {})).toEqual({ refused: true });
  });

  it('takes a 403 without rate-limit headers for a permission error', () => {
    expect(answer(403, {})).toBeUndefined();
    expect(answer(403, { 'x-ratelimit-remaining': '12' })).toBeUndefined();
  });

  it('sees a used-up limit on a successful answer, without calling it a refusal', () => {
    expect(
      answer(200, {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(NOW / 1000 + 10),
      }),
    ).toEqual({ refused: false, resetAt: NOW + 10_000 });
    expect(
      answer(200, {
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(NOW / 1000 + 10),
      }),
    ).toBeUndefined();
  });
});
