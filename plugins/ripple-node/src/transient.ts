/**
 * A delivery method's failure that may pass by itself: the network, a
 * server error (5xx), a rate limit. A method throws it from `deliver` or
 * `checkReady`; the rollout then leaves the consumer `pending` and tries
 * again at `retryAfter` at the earliest (docs/rollout.md, "Retries"), where
 * any other error makes the delivery `failed` with its message.
 *
 * @public
 */
export class TransientDeliveryError extends Error {
  /**
   * The earliest time to try again, when the remote said (`Retry-After`, a
   * rate limit's reset); otherwise the rollout's backoff decides.
   */
  readonly retryAfter?: Date;

  constructor(
    message: string,
    options: { retryAfter?: Date; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'TransientDeliveryError';
    this.retryAfter = options.retryAfter;
  }

  /**
   * Whether `error` is one: by name as well as by class, since a module may
   * bring its own copy of this package.
   */
  static is(error: unknown): error is TransientDeliveryError {
    return (
      error instanceof TransientDeliveryError ||
      (error instanceof Error && error.name === 'TransientDeliveryError')
    );
  }
}

// Node's codes for a network that failed on the way (not a refusal by the
// remote): worth another try.
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Whether an error (or its cause) is a network failure by its code. */
export function isNetworkError(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The time a `Retry-After` header names: a number of seconds, or an HTTP
 * date (RFC 9110, 10.2.3). Undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | undefined | null,
  now: number = Date.now(),
): Date | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) {
    return new Date(now + Number(trimmed) * 1000);
  }
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : new Date(date);
}
