import type {
  FailedCheck,
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
  // The failed checks by name, when the signal comes from the delivery.
  failedChecks: FailedCheck[] = [],
): string[] {
  const breaches: string[] = [];
  // A failed check is a breach whatever the thresholds: the patch did not
  // pass the consumer's own CI.
  if (signal.failedChecks) {
    breaches.push(
      failedChecks.length
        ? failedChecks
            .map(c => `check "${c.name}" failed${c.url ? ` (${c.url})` : ''}`)
            .join('; ')
        : `${signal.failedChecks} check(s) failed`,
    );
  }
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
  const rate = signal.errorRate;
  const rateBefore = baseline?.errorRate;
  if (
    rate !== undefined &&
    rateBefore !== undefined &&
    thresholds.maxErrorRateIncrease !== undefined &&
    rate - rateBefore > thresholds.maxErrorRateIncrease
  ) {
    breaches.push(
      `errorRate ${rate} rose from ${rateBefore} before the delivery (at most ${thresholds.maxErrorRateIncrease} more)`,
    );
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
