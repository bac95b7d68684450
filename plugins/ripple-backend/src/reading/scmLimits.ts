import type { Config } from '@backstage/config';

/** How Ripple's SCM reads are limited (`ripple.scm` in the config). */
export type ScmLimits = {
  /** Reads in flight per host, for hosts `hosts` does not name. */
  concurrency: number;
  /** Reads in flight for the hosts named in `ripple.scm.hosts`. */
  hosts: Map<string, number>;
  /** The longest a read waits for rate limits, in milliseconds. */
  maxWaitMs: number;
  /** The first wait after a rate limit that gives no reset time. */
  backoffMs: number;
};

export const DEFAULT_SCM_LIMITS: ScmLimits = {
  concurrency: 8,
  hosts: new Map(),
  maxWaitMs: 600_000,
  backoffMs: 60_000,
};

/**
 * Reads `ripple.scm`. A value that is not a positive number, or a host
 * named twice, fails the backend's start with the key it is at.
 */
export function readScmLimits(config: Config): ScmLimits {
  const scm = config.getOptionalConfig('ripple.scm');
  if (!scm) {
    return DEFAULT_SCM_LIMITS;
  }
  const positive = (
    at: Config,
    key: string,
    where: string,
    integer: boolean,
  ): number | undefined => {
    const value = at.getOptionalNumber(key);
    if (
      value !== undefined &&
      (!(value > 0) || (integer && !Number.isInteger(value)))
    ) {
      throw new Error(
        `${where}: must be a positive ${
          integer ? 'integer' : 'number'
        }, got ${value}`,
      );
    }
    return value;
  };
  const hosts = new Map<string, number>();
  (scm.getOptionalConfigArray('hosts') ?? []).forEach((entry, i) => {
    const where = `ripple.scm.hosts[${i}]`;
    const host = entry.getString('host');
    if (hosts.has(host)) {
      throw new Error(`${where}.host: ${host} is listed twice`);
    }
    hosts.set(
      host,
      positive(entry, 'concurrency', `${where}.concurrency`, true) ??
        positive(scm, 'concurrency', 'ripple.scm.concurrency', true) ??
        DEFAULT_SCM_LIMITS.concurrency,
    );
  });
  const seconds = (key: string, fallback: number) => {
    const value = positive(scm, key, `ripple.scm.${key}`, false);
    return value === undefined ? fallback : value * 1000;
  };
  return {
    concurrency:
      positive(scm, 'concurrency', 'ripple.scm.concurrency', true) ??
      DEFAULT_SCM_LIMITS.concurrency,
    hosts,
    maxWaitMs: seconds('maxWaitSeconds', DEFAULT_SCM_LIMITS.maxWaitMs),
    backoffMs: seconds('backoffSeconds', DEFAULT_SCM_LIMITS.backoffMs),
  };
}
