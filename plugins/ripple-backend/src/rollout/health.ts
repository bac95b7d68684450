import type {
  HealthSignals,
  HealthThresholds,
} from '@ripple/backstage-plugin-ripple-common';

/** The least increase of a run's duration that can breach `maxDurationIncrease`. */
export const MIN_DURATION_INCREASE_SECONDS = 60;

/**
 * The thresholds a signal breaches, each said in words
 * (`errorRate 0.2 is above 0.05`). `baseline` is the consumer's last signal
 * before its patch was delivered: the row count and the run duration are
 * compared with it.
 */
export function healthBreaches(
  signal: HealthSignals,
  thresholds: HealthThresholds,
  baseline?: HealthSignals,
): string[] {
  const breaches: string[] = [];
  const above = (
    name: keyof HealthSignals,
    value: number | undefined,
    max: number | undefined,
  ) => {
    if (value !== undefined && max !== undefined && value > max) {
      breaches.push(`${name} ${value} is above ${max}`);
    }
  };
  above('errorRate', signal.errorRate, thresholds.maxErrorRate);
  above(
    'freshnessMinutes',
    signal.freshnessMinutes,
    thresholds.maxFreshnessMinutes,
  );
  above('failedRuns', signal.failedRuns, thresholds.maxFailedRuns);
  const rows = signal.rowCount;
  if (rows !== undefined) {
    if (thresholds.minRowCount !== undefined && rows < thresholds.minRowCount) {
      breaches.push(`rowCount ${rows} is below ${thresholds.minRowCount}`);
    }
    const before = baseline?.rowCount;
    if (
      before !== undefined &&
      before > 0 &&
      thresholds.maxRowCountDrop !== undefined
    ) {
      const drop = (before - rows) / before;
      if (drop > thresholds.maxRowCountDrop) {
        breaches.push(
          `rowCount ${rows} dropped ${Math.round(
            drop * 100,
          )}% from ${before} before the delivery (at most ${Math.round(
            thresholds.maxRowCountDrop * 100,
          )}%)`,
        );
      }
    }
  }
  const duration = signal.durationSeconds;
  const usual = baseline?.durationSeconds;
  if (
    duration !== undefined &&
    usual !== undefined &&
    usual > 0 &&
    thresholds.maxDurationIncrease !== undefined
  ) {
    const increase = (duration - usual) / usual;
    // A short job's duration varies by more than itself (0.1 s, then
    // 0.3 s): only a run at least a minute longer is a breach.
    if (
      increase > thresholds.maxDurationIncrease &&
      duration - usual >= MIN_DURATION_INCREASE_SECONDS
    ) {
      breaches.push(
        `durationSeconds ${duration} is ${Math.round(
          increase * 100,
        )}% above ${usual} before the delivery (at most ${Math.round(
          thresholds.maxDurationIncrease * 100,
        )}%)`,
      );
    }
  }
  return breaches;
}
