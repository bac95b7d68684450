import type { ReactNode } from 'react';
import styles from './ripple.module.css';

/** Figures with their labels, as a description list (read as pairs). */
export function Counts(props: { label: string; items: { label: ReactNode; value: ReactNode }[] }) {
  return (
    <dl className={styles.counts} aria-label={props.label}>
      {props.items.map((item, i) => (
        <div key={i}>
          <dt>{item.label}</dt>
          <dd>{item.value}</dd>
        </div>
      ))}
    </dl>
  );
}
