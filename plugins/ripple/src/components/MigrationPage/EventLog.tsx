import { Text } from '@backstage/ui';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import { rippleTranslationRef } from '../../translation';
import styles from '../common/ripple.module.css';

/** The migration's timeline, newest first. */
export function EventLog({ events }: { events: MigrationEvent[] }) {
  const { t } = useTranslationRef(rippleTranslationRef);
  if (events.length === 0) {
    return <Text color="secondary">{t('eventLog.empty')}</Text>;
  }
  return (
    <ol className={styles.events} aria-label={t('eventLog.label')}>
      {[...events].reverse().map(e => (
        <li key={e.id}>
          <Text variant="body-small" color="secondary">
            <time dateTime={e.createdAt}>{new Date(e.createdAt).toLocaleString()}</time>
          </Text>
          <Text variant="body-medium">
            {e.message}
            {e.actor && (
              <>
                {' '}
                <Text as="span" variant="body-small" color="secondary">
                  (<EntityRefLink entityRef={e.actor} hideIcon />)
                </Text>
              </>
            )}
          </Text>
        </li>
      ))}
    </ol>
  );
}
