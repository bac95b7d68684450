/**
 * What a consumer's health looked like at one moment. Every field is
 * optional: a provider reports what it knows.
 *
 * @public
 */
export interface HealthSignal {
  /** The consumer's entity ref. */
  consumerRef: string;
  /** Share of failed runs or queries, from 0 to 1. */
  errorRate?: number;
  /** How old the consumer's output is, in minutes. */
  freshnessMinutes?: number;
  /** Rows the consumer produced in its last run. */
  rowCount?: number;
  /** Failed runs since the previous signal. */
  failedRuns?: number;
  /** When it was observed (ISO 8601). */
  observedAt: string;
}

/**
 * A source of health signals (a scheduler, an observability tool, a data
 * quality service). Ripple reads it during a wave's soak time and pauses the
 * rollout when a signal breaches its thresholds.
 *
 * @public
 */
export interface RippleHealthProvider {
  /** A unique id, used in logs and on the migration's timeline. */
  readonly id: string;
  /** The signals observed since `since` for these consumers; consumers it knows nothing of are left out. */
  read(consumerRefs: string[], since: Date): Promise<HealthSignal[]>;
}
