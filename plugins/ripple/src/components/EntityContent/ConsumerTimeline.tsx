import { Text } from '@backstage/ui';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  ConsumerTimeline as Timeline,
  TimelineEntry,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleTranslationRef } from '../../translation';
import { StatusBadge } from '../common/StatusBadge';
import type { Tone } from '../common/status';
import styles from '../common/ripple.module.css';

const TONES: Record<TimelineEntry['state'], Tone> = {
  done: 'done',
  pending: 'idle',
  overdue: 'blocked',
};

/**
 * A consumer's milestones in one migration, in order: created, proposed,
 * reviewed, delivered, merged, healthy, and the target date. Each says in
 * words whether it happened (and when), so it reads without its colours.
 */
export function ConsumerTimeline(props: { title: string; timeline: Timeline }) {
  const { t } = useTranslationRef(rippleTranslationRef);
  return (
    <ol
      className={styles.consumerTimeline}
      aria-label={t('timeline.label', { title: props.title })}
    >
      {props.timeline.entries.map(entry => {
        const step = t(`timeline.steps.${entry.step}`);
        const state = t(`timeline.states.${entry.state}`);
        // The deadline is a day; the rest are moments.
        const when =
          entry.at &&
          (entry.step === 'deadline'
            ? entry.detail ?? entry.at.slice(0, 10)
            : new Date(entry.at).toLocaleString());
        return (
          <li
            key={entry.step}
            className={styles.consumerTimelineStep}
            data-step={entry.step}
            data-state={entry.state}
            title={entry.step === 'deadline' ? undefined : entry.detail}
          >
            <StatusBadge
              status={{ tone: TONES[entry.state], label: step, detail: state }}
            />
            <Text
              variant="body-x-small"
              color={entry.state === 'overdue' ? 'danger' : 'secondary'}
            >
              {entry.state === 'pending' && entry.step !== 'deadline'
                ? state
                : when ?? state}
              {entry.state === 'overdue' && ` · ${state}`}
            </Text>
          </li>
        );
      })}
    </ol>
  );
}
