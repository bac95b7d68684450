import { Flex, Text } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { Migration } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useLoad } from '../../hooks/useLoad';
import { rippleTranslationRef } from '../../translation';
import { ErrorPanel, age } from '../common/Feedback';

/**
 * The consumers the catalog does not know: OpenLineage jobs that read the
 * dataset and map to no entity (docs/health.md), with their job names. Shown
 * only where OpenLineage is configured (the migration's progress counts
 * them) and something was found.
 */
export function LineagePanel(props: { migration: Migration }) {
  const { migration } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const unowned = migration.progress?.unowned;
  const jobs = useLoad(
    async () =>
      unowned ? rippleApi.listLineageJobs(migration.id) : Promise.resolve([]),
    [rippleApi, migration.id, unowned],
    { refreshKey: migration.updatedAt },
  );
  if (!unowned) return null;
  if (jobs.error) {
    return <ErrorPanel title={t('lineage.loadError')} error={jobs.error} />;
  }
  const found = (jobs.value ?? []).filter(job => !job.consumerRef);
  if (!found.length) return null;
  return (
    <Flex
      direction="column"
      gap="2"
      role="region"
      aria-label={t('lineage.title')}
    >
      <Text as="h2" variant="title-x-small">
        {t('lineage.title')}
      </Text>
      <Text as="p" color="secondary">
        {t('lineage.description', { count: found.length })}
      </Text>
      <ul style={{ margin: 0 }}>
        {found.map(job => (
          <li key={`${job.namespace}/${job.name}`}>
            <Text>
              <code>
                {job.namespace}/{job.name}
              </code>{' '}
              <Text as="span" color="secondary" variant="body-small">
                {t('lineage.lastSeen', { age: age(job.lastSeenAt, t) })}
              </Text>
            </Text>
          </li>
        ))}
      </ul>
    </Flex>
  );
}
