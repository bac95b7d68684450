import { Text, VisuallyHidden } from '@backstage/ui';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { deadlineEnd, projection, type BurndownPoint } from './burndown';
import { rippleTranslationRef } from '../../translation';
import styles from '../common/ripple.module.css';

const W = 640;
const H = 220;
const PAD = { left: 40, right: 12, top: 12, bottom: 28 };

/**
 * The burndown as a step chart (an SVG: a few dozen lines, no chart
 * library), with the same figures as a table for screen readers. With a
 * target date, a vertical line marks it; a dashed line projects the
 * current rate to when no consumer would remain, and the caption says
 * whether that is before the target.
 */
export function BurndownChart({
  points,
  targetDate,
  now = Date.now(),
}: {
  points: BurndownPoint[];
  targetDate?: string;
  now?: number;
}) {
  const { t } = useTranslationRef(rippleTranslationRef);
  if (points.length === 0) {
    return (
      <Text as="p" color="secondary">
        {t('burndown.empty')}
      </Text>
    );
  }
  const t0 = points[0].at;
  const last = points[points.length - 1];
  const target = targetDate ? deadlineEnd(targetDate) : undefined;
  const ahead = projection(points, now);
  const tNow = Math.max(last.at, t0 + 1);
  // The time axis reaches the target, and the projected finish no further
  // than three times the history (a rate of almost nothing projects years
  // ahead: the line then leaves the chart at its edge).
  const horizon = tNow + 2 * (tNow - t0);
  const t1 = Math.max(
    tNow,
    target ?? tNow,
    Math.min(horizon, ahead?.finishAt ?? tNow),
  );
  // A target date before the first consumer was found (set in the past):
  // the axis starts at it, so its line is inside the chart.
  const start = Math.min(t0, target ?? t0);
  const max = Math.max(1, ...points.map(p => p.remaining));
  const x = (at: number) =>
    PAD.left + ((at - start) / (t1 - start)) * (W - PAD.left - PAD.right);
  const y = (n: number) => PAD.top + (1 - n / max) * (H - PAD.top - PAD.bottom);
  let line = `M${x(points[0].at)},${y(points[0].remaining)}`;
  for (let i = 1; i < points.length; i++) {
    line += ` H${x(points[i].at)} V${y(points[i].remaining)}`;
  }
  const area = `${line} V${y(0)} H${x(t0)} Z`;
  const fmt = (at: number) => new Date(at).toLocaleString();
  const day = (at: number) => new Date(at).toISOString().slice(0, 10);
  // The projection's end inside the chart: where it meets 0, or the edge.
  let projectionEnd: { at: number; remaining: number } | undefined;
  if (ahead?.finishAt !== undefined && last.remaining > 0) {
    projectionEnd =
      ahead.finishAt <= t1
        ? { at: ahead.finishAt, remaining: 0 }
        : {
            at: t1,
            remaining:
              last.remaining *
              (1 - (t1 - last.at) / (ahead.finishAt - last.at)),
          };
  }
  const rate = ahead ? ahead.perDay.toFixed(1) : '0';
  let forecast: string;
  if (last.remaining === 0) forecast = t('projection.done');
  else if (ahead?.finishAt === undefined) {
    forecast = targetDate
      ? t('projection.noRateTarget', { target: targetDate })
      : t('projection.noRate');
  } else if (target === undefined) {
    forecast = t('projection.finish', { date: day(ahead.finishAt) });
  } else {
    forecast = t(
      ahead.finishAt <= target ? 'projection.onTrack' : 'projection.late',
      { rate, date: day(ahead.finishAt), target: targetDate! },
    );
  }
  return (
    <figure style={{ margin: 0 }}>
      <svg
        className={styles.chart}
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={t('burndown.chartLabel', {
          first: String(points[0].remaining),
          start: fmt(t0),
          last: String(last.remaining),
          max: String(max),
        })}
      >
        <line
          className={styles.chartAxis}
          x1={PAD.left}
          y1={y(0)}
          x2={W - PAD.right}
          y2={y(0)}
        />
        <line
          className={styles.chartAxis}
          x1={PAD.left}
          y1={PAD.top}
          x2={PAD.left}
          y2={y(0)}
        />
        <path className={styles.chartArea} d={area} />
        <path className={styles.chartLine} d={line} />
        {projectionEnd && (
          <line
            data-testid="burndown-projection"
            className={styles.chartProjection}
            x1={x(last.at)}
            y1={y(last.remaining)}
            x2={x(projectionEnd.at)}
            y2={y(projectionEnd.remaining)}
          />
        )}
        {target !== undefined && target <= t1 && (
          <g data-testid="burndown-target">
            <line
              className={styles.chartTarget}
              x1={x(target)}
              y1={PAD.top}
              x2={x(target)}
              y2={y(0)}
            />
            <text
              className={styles.chartLabel}
              // Beside the line, on the side with room for the words.
              x={x(target) < W / 2 ? x(target) + 4 : x(target) - 4}
              y={PAD.top + 10}
              textAnchor={x(target) < W / 2 ? 'start' : 'end'}
            >
              {t('projection.target', { date: targetDate! })}
            </text>
          </g>
        )}
        <text
          className={styles.chartLabel}
          x={PAD.left - 6}
          y={y(max) + 4}
          textAnchor="end"
        >
          {max}
        </text>
        <text
          className={styles.chartLabel}
          x={PAD.left - 6}
          y={y(0) + 4}
          textAnchor="end"
        >
          0
        </text>
        <text className={styles.chartLabel} x={PAD.left} y={H - 8}>
          {new Date(start).toLocaleDateString()}{' '}
          {new Date(start).toLocaleTimeString()}
        </text>
        <text
          className={styles.chartLabel}
          x={x(tNow)}
          y={H - 8}
          textAnchor={tNow === t1 ? 'end' : 'middle'}
        >
          {t('burndown.now')}
        </text>
      </svg>
      <figcaption>
        <Text variant="body-small" color="secondary">
          {t('burndown.caption', {
            remaining: String(last.remaining),
            max: String(max),
          })}
        </Text>
        <Text
          as="p"
          variant="body-small"
          color={
            forecast &&
            ahead?.finishAt !== undefined &&
            target !== undefined &&
            ahead.finishAt > target
              ? 'danger'
              : 'secondary'
          }
          data-testid="burndown-forecast"
        >
          {forecast}
        </Text>
      </figcaption>
      <VisuallyHidden>
        <table>
          <caption>{t('burndown.tableCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('burndown.time')}</th>
              <th scope="col">{t('burndown.remaining')}</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p, i) => (
              <tr key={i}>
                <td>{fmt(p.at)}</td>
                <td>{p.remaining}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </VisuallyHidden>
    </figure>
  );
}
