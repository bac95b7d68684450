import type { RippleDeliveryMethod } from '../delivery';
import {
  isNetworkError,
  parseRetryAfter,
  TransientDeliveryError,
} from '../transient';
import { GitCommandError } from './git/runGit';

/** Classifies an error: the transient error to throw instead, or undefined (permanent). */
export type TransientClassifier = (
  error: unknown,
) => TransientDeliveryError | undefined;

/**
 * The method with each error of its calls classified: transient ones are
 * thrown as {@link TransientDeliveryError} (the rollout tries again later),
 * the others as they were (the rollout marks the delivery `failed`).
 */
export function withTransientErrors(
  method: RippleDeliveryMethod,
  classify: TransientClassifier,
): RippleDeliveryMethod {
  const classified =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn.apply(method, args);
      } catch (error) {
        throw classify(error) ?? error;
      }
    };
  return {
    id: method.id,
    supports: consumer => method.supports(consumer),
    deliver: classified(method.deliver),
    sync: classified(method.sync),
    revert: classified(method.revert),
    checkReady: classified(method.checkReady),
  };
}

// GitHub asks to wait at least a minute after a secondary rate limit that
// names no time (docs.github.com, "Rate limits for the REST API").
const SECONDARY_LIMIT_WAIT_MS = 60_000;

/**
 * GitHub's transient answers (as Octokit throws them): a server error
 * (5xx), a network failure, the primary rate limit (403 or 429 with
 * `x-ratelimit-remaining: 0`, until `x-ratelimit-reset`) and a secondary
 * one (403 or 429 with `Retry-After`, or saying so). Other 4xx are
 * permanent.
 */
export function transientGitHubError(
  error: unknown,
  now: number = Date.now(),
): TransientDeliveryError | undefined {
  if (TransientDeliveryError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { status?: unknown })?.status;
  if (typeof status !== 'number') {
    return isNetworkError(error)
      ? new TransientDeliveryError(`GitHub could not be reached: ${message}`, {
          cause: error,
        })
      : undefined;
  }
  const headers = lowerCaseKeys(
    (error as { response?: { headers?: Record<string, unknown> } }).response
      ?.headers,
  );
  const retryAfter = parseRetryAfter(headers['retry-after'], now);
  if (status === 403 || status === 429) {
    const reset = Number(headers['x-ratelimit-reset']);
    if (headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset)) {
      const until = retryAfter ?? new Date(reset * 1000);
      return new TransientDeliveryError(
        `GitHub's rate limit is used up until ${until.toISOString()}: ${message}`,
        { retryAfter: until, cause: error },
      );
    }
    if (
      retryAfter ||
      status === 429 ||
      /secondary rate limit|abuse detection/i.test(message)
    ) {
      const until = retryAfter ?? new Date(now + SECONDARY_LIMIT_WAIT_MS);
      return new TransientDeliveryError(
        `GitHub's secondary rate limit: waiting until ${until.toISOString()}: ${message}`,
        { retryAfter: until, cause: error },
      );
    }
    return undefined;
  }
  // Octokit reports a request that got no answer (the network) as a 500
  // without a response.
  if (status >= 500 || status === 408) {
    return new TransientDeliveryError(`GitHub answered ${status}: ${message}`, {
      retryAfter,
      cause: error,
    });
  }
  return undefined;
}

// What git prints when the network or the server failed, not the request:
// substrings of its (LC_ALL=C) messages, matched without regular
// expressions on output a remote partly controls.
const GIT_TRANSIENT = [
  'could not resolve host',
  'temporary failure in name resolution',
  'connection refused',
  'connection timed out',
  'operation timed out',
  'connection reset',
  'failed to connect',
  'the remote end hung up unexpectedly',
  'early eof',
  'rpc failed',
  'the requested url returned error: 429',
  'the requested url returned error: 5',
  'ssl_connect',
  'gnutls_handshake',
  // A push whose lease lost a race with another writer: read again, retry.
  'stale info',
];

/** git's transient failures (GitCommandError): the network, a 5xx, a lost push race. */
export function transientGitError(
  error: unknown,
): TransientDeliveryError | undefined {
  if (TransientDeliveryError.is(error)) return error;
  if (!(error instanceof GitCommandError)) {
    return isNetworkError(error)
      ? new TransientDeliveryError(String(error), { cause: error })
      : undefined;
  }
  const stderr = error.stderr.toLowerCase();
  return GIT_TRANSIENT.some(text => stderr.includes(text))
    ? new TransientDeliveryError(error.message, { cause: error })
    : undefined;
}

function lowerCaseKeys(
  headers: Record<string, unknown> | undefined,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    out[key.toLowerCase()] = value === undefined ? undefined : String(value);
  }
  return out;
}
