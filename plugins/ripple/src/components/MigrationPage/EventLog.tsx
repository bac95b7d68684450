import { Text } from '@backstage/ui';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import styles from '../common/ripple.module.css';

/** The migration's timeline, newest first. */
export function EventLog({ events }: { events: MigrationEvent[] }) {
  if (events.length === 0) {
    return <Text color="secondary">Nothing happened yet.</Text>;
  }
  return (
    <ol className={styles.events} aria-label="Event log">
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
