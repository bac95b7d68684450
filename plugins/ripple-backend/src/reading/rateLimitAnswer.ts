/**
 * What an SCM's answer says about its rate limit.
 *
 * - `refused`: the request was refused because of the limit (a 403 or 429
 *   with rate-limit headers, or any 429);
 * - `resetAt`: when requests are accepted again (epoch milliseconds), when
 *   the answer says so. Absent on a 429 without headers: the caller backs off.
 */
export type RateLimitAnswer = { refused: boolean; resetAt?: number };

/**
 * Reads the rate-limit headers of one answer, as the SCMs document them:
 *
 * - GitHub ("Rate limits for the REST API"): a primary limit is a 403 or
 *   429 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` in epoch
 *   seconds; a secondary limit is a 403 or 429 with `retry-after` in
 *   seconds, which takes precedence.
 * - GitLab ("Rate limits"): a 429 with `RateLimit-Remaining: 0`,
 *   `RateLimit-Reset` in epoch seconds and `Retry-After` in seconds.
 * - Any server: `Retry-After` as seconds or as an HTTP date (RFC 9110).
 *
 * A successful answer whose remaining count is 0 says the next request will
 * be refused until the reset: it is returned with `refused: false`, so the
 * host's reads wait without spending a request on the refusal.
 *
 * A 403 without any of these headers is not a rate limit (a permission
 * error): the result is undefined.
 */
export function rateLimitAnswer(
  status: number,
  header: (name: string) => string | undefined,
  now: number,
): RateLimitAnswer | undefined {
  const retryAfter = retryAfterAt(header('retry-after'), now);
  const remaining =
    header('x-ratelimit-remaining') ?? header('ratelimit-remaining');
  const reset = resetAt(
    header('x-ratelimit-reset') ?? header('ratelimit-reset'),
    now,
  );
  const exhausted = remaining?.trim() === '0';
  if (status === 403 || status === 429) {
    if (retryAfter !== undefined) {
      return { refused: true, resetAt: retryAfter };
    }
    if (exhausted) {
      return {
        refused: true,
        ...(reset !== undefined ? { resetAt: reset } : {}),
      };
    }
    return status === 429 ? { refused: true } : undefined;
  }
  if (exhausted && reset !== undefined && reset > now) {
    return { refused: false, resetAt: reset };
  }
  return undefined;
}

function retryAfterAt(value: string | undefined, now: number) {
  if (value === undefined || value.trim() === '') {
    return undefined;
  }
  if (/^\d+$/.test(value.trim())) {
    return now + Number(value.trim()) * 1000;
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date;
}

// GitHub and GitLab give the reset in epoch seconds; the IETF draft's
// `RateLimit-Reset` (some proxies) gives seconds from now. A value below a
// billion cannot be an epoch second of this century, so it is a delay.
function resetAt(value: string | undefined, now: number) {
  if (value === undefined || !/^\d+$/.test(value.trim())) {
    return undefined;
  }
  const seconds = Number(value.trim());
  return seconds >= 1e9 ? seconds * 1000 : now + seconds * 1000;
}
