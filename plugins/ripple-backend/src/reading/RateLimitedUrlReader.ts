import type {
  LoggerService,
  UrlReaderService,
  UrlReaderServiceReadTreeOptions,
  UrlReaderServiceReadTreeResponse,
  UrlReaderServiceReadUrlOptions,
  UrlReaderServiceReadUrlResponse,
  UrlReaderServiceSearchOptions,
  UrlReaderServiceSearchResponse,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { CustomErrorBase } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { rateLimitAnswer, type RateLimitAnswer } from './rateLimitAnswer';
import { ScmAnswerObserver } from './ScmAnswerObserver';
import { readScmLimits, type ScmLimits } from './scmLimits';

/**
 * A read refused because its host's rate limit resets later than a read
 * may wait (`ripple.scm.maxWaitSeconds`).
 *
 * @public
 */
export class ScmRateLimitError extends CustomErrorBase {
  name = 'ScmRateLimitError' as const;

  constructor(
    /** The host whose limit is used up (`github.com`). */
    readonly host: string,
    /** When the host accepts reads again, or the next try when it did not say. */
    readonly resetAt: Date,
    /** Whether the host gave `resetAt` (else it is the backoff's guess). */
    readonly resetKnown: boolean,
    maxWaitMs: number,
    cause?: unknown,
  ) {
    const inSeconds = Math.max(
      0,
      Math.ceil((resetAt.getTime() - Date.now()) / 1000),
    );
    super(
      resetKnown
        ? `${host} is rate limited until ${resetAt.toISOString()} (in ${inSeconds} s), longer than a read waits (ripple.scm.maxWaitSeconds: ${
            maxWaitMs / 1000
          })`
        : `${host} is rate limited and did not say until when; the next try, at ${resetAt.toISOString()} (in ${inSeconds} s), is later than a read waits (ripple.scm.maxWaitSeconds: ${
            maxWaitMs / 1000
          })`,
      cause,
    );
  }
}

/** One host's reads: its slots and its rate limit. */
type Host = {
  slots: pLimit.Limit;
  /** Until when (epoch ms) its reads wait; 0 when it is not limited. */
  limitedUntil: number;
  /** Whether the host said `limitedUntil` (else it is a backoff). */
  resetKnown: boolean;
  /** The last refusal the observer saw (epoch ms), and what it said. */
  refusedAt: number;
  refusal?: RateLimitAnswer;
};

/**
 * Backstage's UrlReaderService with Ripple's limits on each SCM host: at
 * most `ripple.scm.concurrency` reads in flight per host, and, once a host
 * answers that its rate limit is used up, every read to that host waits
 * until the reset the host gave, up to `ripple.scm.maxWaitSeconds`.
 *
 * The reset comes from the answer's headers, seen by
 * {@link ScmAnswerObserver} (the readers' errors do not carry them) or
 * carried by the error itself when a reader throws Backstage's
 * `ResponseError`. A rate limit without a reset time (a 429 without
 * headers) is backed off exponentially with jitter from
 * `ripple.scm.backoffSeconds`. A 403 that is not a rate limit (a
 * permission error), `NotModifiedError` and `NotFoundError` pass through at
 * once.
 *
 * The interface is UrlReaderService's: what reads through it is unchanged.
 *
 * @public
 */
export class RateLimitedUrlReader implements UrlReaderService {
  private readonly hosts = new Map<string, Host>();
  private readonly observer: ScmAnswerObserver;

  /** Wraps `reader` with the limits in `ripple.scm` and the integrations' hosts. */
  static fromConfig(
    config: Config,
    reader: UrlReaderService,
    options: { logger: LoggerService },
  ) {
    return new RateLimitedUrlReader(reader, {
      limits: readScmLimits(config),
      integrationHosts: ScmAnswerObserver.integrationHosts(
        ScmIntegrations.fromConfig(config),
      ),
      logger: options.logger,
    });
  }

  constructor(
    private readonly reader: UrlReaderService,
    private readonly options: {
      limits: ScmLimits;
      /** The integration host of each host an integration talks to. */
      integrationHosts: Map<string, string>;
      logger: LoggerService;
    },
  ) {
    this.observer = new ScmAnswerObserver(
      options.integrationHosts,
      (host, answer) => this.observed(host, answer),
    );
    this.observer.start();
  }

  /** Until when reads to `host` wait for its rate limit, if they do. */
  limitOf(host: string): Date | undefined {
    const until = this.hosts.get(host)?.limitedUntil ?? 0;
    return until > Date.now() ? new Date(until) : undefined;
  }

  /** Stops observing answers (at the backend's shutdown). */
  close() {
    this.observer.stop();
  }

  readUrl(
    url: string,
    options?: UrlReaderServiceReadUrlOptions,
  ): Promise<UrlReaderServiceReadUrlResponse> {
    return this.read(url, options?.signal, () =>
      this.reader.readUrl(url, options),
    );
  }

  readTree(
    url: string,
    options?: UrlReaderServiceReadTreeOptions,
  ): Promise<UrlReaderServiceReadTreeResponse> {
    return this.read(url, options?.signal, () =>
      this.reader.readTree(url, options),
    );
  }

  search(
    url: string,
    options?: UrlReaderServiceSearchOptions,
  ): Promise<UrlReaderServiceSearchResponse> {
    return this.read(url, options?.signal, () =>
      this.reader.search(url, options),
    );
  }

  private host(name: string): Host {
    let host = this.hosts.get(name);
    if (!host) {
      const { limits } = this.options;
      host = {
        slots: pLimit(limits.hosts.get(name) ?? limits.concurrency),
        limitedUntil: 0,
        resetKnown: false,
        refusedAt: 0,
      };
      this.hosts.set(name, host);
    }
    return host;
  }

  private observed(name: string, answer: RateLimitAnswer) {
    const host = this.host(name);
    if (answer.refused) {
      host.refusedAt = Date.now();
      host.refusal = answer;
    }
    if (answer.resetAt !== undefined) {
      this.limit(name, host, answer.resetAt, true);
    }
  }

  private limit(name: string, host: Host, until: number, known: boolean) {
    if (until <= host.limitedUntil) {
      return;
    }
    if (host.limitedUntil <= Date.now()) {
      this.options.logger.warn(
        `${name} is rate limited until ${new Date(until).toISOString()}${
          known ? '' : ' (backing off: it gave no reset time)'
        }; Ripple's reads from it wait`,
      );
    }
    host.limitedUntil = until;
    host.resetKnown = known;
  }

  private async read<T>(
    url: string,
    signal: AbortSignal | undefined,
    read: () => Promise<T>,
  ): Promise<T> {
    let name: string;
    try {
      name = new URL(url).host;
    } catch {
      // Not a URL: the reader says so in its own words.
      return read();
    }
    const host = this.host(name);
    return host.slots(async () => {
      // From the slot on: the time queued behind the host's other reads is
      // the cap's, not a rate limit's.
      const deadline = Date.now() + this.options.limits.maxWaitMs;
      for (let attempt = 0; ; attempt++) {
        await this.untilOpen(name, host, deadline, signal);
        const started = Date.now();
        try {
          return await read();
        } catch (error) {
          const refusal = this.refusal(error, host, started);
          if (!refusal) {
            throw error;
          }
          if (refusal.resetAt !== undefined) {
            // At least a second: a reset in epoch seconds may already have
            // passed by our clock while the host still refuses.
            this.limit(
              name,
              host,
              Math.max(refusal.resetAt, Date.now() + 1000),
              true,
            );
          } else {
            this.limit(name, host, Date.now() + this.backoff(attempt), false);
          }
          if (host.limitedUntil > deadline) {
            throw this.tooLong(name, host, error);
          }
        }
      }
    });
  }

  /** Waits while the host is limited, or fails if that is past `deadline`. */
  private async untilOpen(
    name: string,
    host: Host,
    deadline: number,
    signal: AbortSignal | undefined,
  ) {
    // The limit may move later while a read waits (another read's refusal).
    while (host.limitedUntil > Date.now()) {
      if (host.limitedUntil > deadline) {
        throw this.tooLong(name, host);
      }
      await sleep(Math.max(0, host.limitedUntil - Date.now()), undefined, {
        signal,
      });
    }
  }

  private tooLong(name: string, host: Host, cause?: unknown) {
    return new ScmRateLimitError(
      name,
      new Date(host.limitedUntil),
      host.resetKnown,
      this.options.limits.maxWaitMs,
      cause,
    );
  }

  /**
   * Whether a read's error is a rate limit, and its reset when known:
   * - a `ResponseError` (some readers) carries the answer: its headers say;
   * - otherwise the error is a plain one naming the status. A 403 or 429 is
   *   a rate limit when the observer saw a refusal from its host since the
   *   read started (that refusal gives the reset), or when the reader says
   *   so ("rate limit exceeded", GitHub) or the status is 429.
   */
  private refusal(
    error: unknown,
    host: Host,
    started: number,
  ): RateLimitAnswer | undefined {
    const e = error as {
      name?: string;
      message?: string;
      response?: {
        status?: number;
        headers?: { get?(name: string): string | null };
      };
    };
    if (e?.name === 'NotModifiedError' || e?.name === 'NotFoundError') {
      return undefined;
    }
    const response = e?.response;
    if (response?.status && typeof response.headers?.get === 'function') {
      const headers = response.headers;
      const answer = rateLimitAnswer(
        response.status,
        name => headers.get!(name) ?? undefined,
        Date.now(),
      );
      return answer?.refused ? answer : undefined;
    }
    const status = /\b(403|429)\b/.exec(String(e?.message ?? ''))?.[1];
    if (!status) {
      return undefined;
    }
    if (host.refusal && host.refusedAt >= started) {
      return host.refusal;
    }
    if (status === '429' || /rate limit/i.test(String(e.message))) {
      return { refused: true };
    }
    return undefined;
  }

  // Exponential, with "equal jitter": half the delay fixed, half random, so
  // reads refused together do not all come back at the same instant.
  private backoff(attempt: number) {
    const delay = this.options.limits.backoffMs * 2 ** Math.min(attempt, 16);
    return delay / 2 + (Math.random() * delay) / 2;
  }
}
