import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { rippleTranslationRef } from '../../translation';
import styles from './ripple.module.css';

/**
 * Consumers done / in progress / blocked out of all, as a stacked bar with
 * the same figures in words for those who cannot see it.
 */
export function ProgressBar(props: {
  done: number;
  blocked: number;
  total: number;
  label: string;
}) {
  const { done, blocked, total, label } = props;
  const { t } = useTranslationRef(rippleTranslationRef);
  const pct = (n: number) => (total > 0 ? (100 * n) / total : 0);
  const text = blocked
    ? t('progressBar.textBlocked', { label, done: String(done), total: String(total), blocked: String(blocked) })
    : t('progressBar.text', { label, done: String(done), total: String(total) });
  return (
    <div
      className={styles.progress}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={done}
      aria-valuetext={text}
      title={text}
    >
      <span className={styles.progressDone} style={{ width: `${pct(done)}%` }} />
      <span className={styles.progressBlocked} style={{ width: `${pct(blocked)}%` }} />
    </div>
  );
}
