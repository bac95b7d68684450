import { Text, VisuallyHidden } from '@backstage/ui';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { BurndownPoint } from './burndown';
import { rippleTranslationRef } from '../../translation';
import styles from '../common/ripple.module.css';

const W = 640;
const H = 220;
const PAD = { left: 40, right: 12, top: 12, bottom: 28 };

/**
 * The burndown as a step chart (an SVG: a few dozen lines, no chart
 * library), with the same figures as a table for screen readers.
 */
export function BurndownChart({ points }: { points: BurndownPoint[] }) {
  const { t } = useTranslationRef(rippleTranslationRef);
  if (points.length === 0) {
    return (
      <Text as="p" color="secondary">
        {t('burndown.empty')}
      </Text>
    );
  }
  const t0 = points[0].at;
  const t1 = Math.max(points[points.length - 1].at, t0 + 1);
  const max = Math.max(1, ...points.map(p => p.remaining));
  const x = (at: number) => PAD.left + ((at - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (n: number) => PAD.top + (1 - n / max) * (H - PAD.top - PAD.bottom);
  let line = `M${x(points[0].at)},${y(points[0].remaining)}`;
  for (let i = 1; i < points.length; i++) {
    line += ` H${x(points[i].at)} V${y(points[i].remaining)}`;
  }
  const area = `${line} V${y(0)} H${x(t0)} Z`;
  const last = points[points.length - 1];
  const fmt = (at: number) => new Date(at).toLocaleString();
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
        <line className={styles.chartAxis} x1={PAD.left} y1={y(0)} x2={W - PAD.right} y2={y(0)} />
        <line className={styles.chartAxis} x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={y(0)} />
        <path className={styles.chartArea} d={area} />
        <path className={styles.chartLine} d={line} />
        <text className={styles.chartLabel} x={PAD.left - 6} y={y(max) + 4} textAnchor="end">
          {max}
        </text>
        <text className={styles.chartLabel} x={PAD.left - 6} y={y(0) + 4} textAnchor="end">
          0
        </text>
        <text className={styles.chartLabel} x={PAD.left} y={H - 8}>
          {new Date(t0).toLocaleDateString()} {new Date(t0).toLocaleTimeString()}
        </text>
        <text className={styles.chartLabel} x={W - PAD.right} y={H - 8} textAnchor="end">
          {t('burndown.now')}
        </text>
      </svg>
      <figcaption>
        <Text variant="body-small" color="secondary">
          {t('burndown.caption', { remaining: String(last.remaining), max: String(max) })}
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
