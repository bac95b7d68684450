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
  /** How long the consumer's last successful run took, in seconds (START to COMPLETE). */
  durationSeconds?: number;
  /**
   * When the consumer last ran successfully (ISO 8601), from a source that
   * knows its runs: a consumer such a source knows runs the patch only
   * from its first successful run after the merge.
   */
  lastSuccessAt?: string;
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
  /**
   * The signals observed since `since` for these consumers; consumers it
   * knows nothing of are left out. A signal observed before a consumer's
   * delivery is its baseline (the row count and the run duration are
   * compared with it), never judged.
   */
  read(
    consumerRefs: string[],
    since: Date,
    context?: HealthReadContext,
  ): Promise<HealthSignal[]>;
}

/**
 * What a health provider may want to know of the rollout it reads for.
 *
 * @public
 */
export interface HealthReadContext {
  /** The migration's id. */
  migrationId: string;
  /** The entity ref of the migrated dataset. */
  datasetRef: string;
  /** When each consumer's patch was delivered (ISO 8601), by entity ref. */
  deliveredAt: Record<string, string>;
}
