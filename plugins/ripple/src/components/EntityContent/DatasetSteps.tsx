import { useState } from 'react';
import { Flex, Link, Text } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { Migration } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useLoad } from '../../hooks/useLoad';
import { useMigrationLink } from '../../routes';
import { rippleTranslationRef } from '../../translation';
import { isRunning, stepSummary } from '../common/steps';

// A running step (the backfill) is followed more often than a plan at rest.
const RUNNING_REFRESH_MS = 5000;
const IDLE_REFRESH_MS = 30000;

/**
 * Where one migration's steps stand, in a line ("Backfill 42% · 1.2 M
 * rows/s", "Switched: consumers migrating"), linked to its Steps tab.
 * Nothing for a migration without a step plan (404) or whose plan cannot
 * be read: the migrations' table above says the rest.
 */
function MigrationSteps({ migration }: { migration: Migration }) {
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const migrationLink = useMigrationLink();
  const [refreshMs, setRefreshMs] = useState(IDLE_REFRESH_MS);
  const plan = useLoad(
    async () => {
      const value = await rippleApi.getStepPlan(migration.id);
      setRefreshMs(isRunning(value) ? RUNNING_REFRESH_MS : IDLE_REFRESH_MS);
      return value;
    },
    [rippleApi, migration.id],
    { refreshMs, refreshKey: migration.updatedAt },
  );
  if (!plan.value) return null;
  const summary = stepSummary(plan.value, t);
  return (
    <li>
      <Flex gap="2" align="center" style={{ flexWrap: 'wrap' }}>
        {migrationLink ? (
          <Link href={`${migrationLink(migration.id)}?tab=steps`}>
            {migration.title}
          </Link>
        ) : (
          <Text weight="bold">{migration.title}</Text>
        )}
        <Text color="secondary">{summary}</Text>
      </Flex>
    </li>
  );
}

/**
 * The dataset's tab: where the steps of its migrations on the warehouse
 * stand, one line per migration that has a step plan. Cancelled and draft
 * migrations have none worth showing.
 */
export function DatasetSteps({ migrations }: { migrations: Migration[] }) {
  const { t } = useTranslationRef(rippleTranslationRef);
  const shown = migrations.filter(
    m => m.state !== 'cancelled' && m.state !== 'draft',
  );
  if (!shown.length) return null;
  return (
    <ul
      aria-label={t('stepSummary.label')}
      style={{ listStyle: 'none', margin: 0, padding: 0 }}
    >
      {shown.map(m => (
        <MigrationSteps key={m.id} migration={m} />
      ))}
    </ul>
  );
}
