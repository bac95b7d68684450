import { InputError } from '@backstage/errors';

/**
 * How far ahead of the server's clock a signal's `observedAt` may be: the
 * clocks of monitors and pipelines drift, but not by more than this.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The time a signal was observed: the one given (ISO 8601), or now. A time
 * in the future is refused. Signals are judged only when newer than the last
 * one judged for the consumer, so a signal dated far ahead would otherwise
 * hide every real signal until then, a breach included.
 */
export function checkObservedAt(
  value: string | undefined,
  now: Date = new Date(),
): Date {
  if (value === undefined) {
    return now;
  }
  const observedAt = new Date(value);
  if (Number.isNaN(observedAt.getTime())) {
    throw new InputError(`observedAt: "${value}" is not an ISO 8601 time`);
  }
  if (observedAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    throw new InputError(
      `observedAt: ${value} is in the future (the server's clock says ${now.toISOString()}; at most ${
        MAX_CLOCK_SKEW_MS / 60_000
      } minutes of clock skew are accepted)`,
    );
  }
  return observedAt;
}
