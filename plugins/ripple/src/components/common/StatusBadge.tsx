import type { ReactElement } from 'react';
import type { Status, Tone } from './status';
import styles from './ripple.module.css';

// Each tone has its own shape as well as its colour, so that it reads
// without colour (and the label says it in words).
const ICONS: Record<Tone, ReactElement> = {
  done: (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <circle cx="8" cy="8" r="7" fill="currentColor" />
      <path d="M4.5 8.2l2.3 2.3 4.7-4.9" stroke="#fff" strokeWidth="1.8" fill="none" />
    </svg>
  ),
  active: (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <circle cx="8" cy="8" r="6.2" stroke="currentColor" strokeWidth="1.8" fill="none" />
      <path d="M8 4.5V8l2.5 1.6" stroke="currentColor" strokeWidth="1.8" fill="none" />
    </svg>
  ),
  blocked: (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <path d="M8 1l7 13H1z" fill="currentColor" />
      <path d="M8 6v4M8 11.5v1" stroke="#fff" strokeWidth="1.6" />
    </svg>
  ),
  idle: (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <circle cx="8" cy="8" r="6.2" stroke="currentColor" strokeWidth="1.8" fill="none" strokeDasharray="3 2" />
    </svg>
  ),
};

/** A status as an icon and words in its tone's colour; the detail as its tooltip. */
export function StatusBadge({ status }: { status: Status }) {
  return (
    <span
      className={`${styles.status} ${styles[status.tone]}`}
      title={status.detail}
      data-tone={status.tone}
    >
      {ICONS[status.tone]}
      <span>{status.label}</span>
    </span>
  );
}
