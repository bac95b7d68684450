import { useState } from 'react';
import { Flex, Link, Text } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type {
  Migration,
  StepPlanView,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useLoad } from '../../hooks/useLoad';
import { useMigrationLink } from '../../routes';
import { rippleTranslationRef } from '../../translation';
import { isRunning, stepSummary } from '../common/steps';

// A running step (the backfill) is followed more often than plans at rest.
const RUNNING_REFRESH_MS = 5000;
const IDLE_REFRESH_MS = 30000;

type WithPlan = { migration: Migration; plan: StepPlanView };

/**
 * The dataset's tab: where the steps of its migrations on the warehouse
 * stand, one line per migration that has a step plan ("Backfill 42% · 1.2
 * M rows/s", "Switched: consumers migrating"), linked to its Steps tab.
 * Only migrations that have a plan are asked (not drafts or cancelled
 * ones); one whose plan cannot be read has no line: the migrations' table
 * says the rest. Nothing at all when no migration has a plan.
 */
export function DatasetSteps({ migrations }: { migrations: Migration[] }) {
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const migrationLink = useMigrationLink();
  const [refreshMs, setRefreshMs] = useState(IDLE_REFRESH_MS);
  const shown = migrations.filter(
    m => m.hasStepPlan && m.state !== 'cancelled' && m.state !== 'draft',
  );
  const plans = useLoad(
    async () => {
      const found = await Promise.all(
        shown.map(migration =>
          rippleApi.getStepPlan(migration.id).then(
            (plan): WithPlan => ({ migration, plan }),
            () => undefined,
          ),
        ),
      );
      const withPlans = found.filter((p): p is WithPlan => !!p);
      setRefreshMs(
        withPlans.some(p => isRunning(p.plan))
          ? RUNNING_REFRESH_MS
          : IDLE_REFRESH_MS,
      );
      return withPlans;
    },
    [rippleApi, shown.map(m => m.id).join(',')],
    // A migration that moved is asked again, without the lines flickering.
    { refreshMs, refreshKey: shown.map(m => m.updatedAt).join(',') },
  );
  if (!plans.value?.length) return null;
  return (
    <ul
      aria-label={t('stepSummary.label')}
      style={{ listStyle: 'none', margin: 0, padding: 0 }}
    >
      {plans.value.map(({ migration, plan }) => (
        <li key={migration.id}>
          <Flex gap="2" align="center" style={{ flexWrap: 'wrap' }}>
            {migrationLink ? (
              <Link href={`${migrationLink(migration.id)}?tab=steps`}>
                {migration.title}
              </Link>
            ) : (
              <Text weight="bold">{migration.title}</Text>
            )}
            <Text color="secondary">{stepSummary(plan, t)}</Text>
          </Flex>
        </li>
      ))}
    </ul>
  );
}
