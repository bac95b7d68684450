import { useMemo, useState } from 'react';
import { Container, Flex, Select, Text } from '@backstage/ui';
import type { MigrationQuery } from '@ripple/backstage-plugin-ripple-common';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { rippleApiRef } from '../../api';
import { loadAllPages, useLoad } from '../../hooks/useLoad';
import { Empty, ErrorPanel, Loading } from '../common/Feedback';
import { MigrationsTable } from '../common/MigrationsTable';
import { StatusBadge } from '../common/StatusBadge';
import { Counts } from '../common/Counts';
import { rippleTranslationRef } from '../../translation';
import { EngineCanaryNotice } from '../EngineCanaryPage';

/** The fleet's deadline filters, as the list route's query. */
export type DeadlineFilter =
  | 'all'
  | 'overdue'
  | 'week'
  | 'month'
  | 'set'
  | 'none';

const OPEN_STATES: MigrationQuery['state'] = [
  'analyzing',
  'proposed',
  'rolling_out',
  'paused',
  'rolled_back',
];

/** A day `days` from `now`'s (UTC), as `YYYY-MM-DD`. */
function dayFrom(now: number, days: number): string {
  return new Date(now + days * 86_400_000).toISOString().slice(0, 10);
}

export function deadlineQuery(
  filter: DeadlineFilter,
  now = Date.now(),
): MigrationQuery {
  switch (filter) {
    case 'overdue':
      // Open migrations whose target date ended before today.
      return { deadlineBefore: dayFrom(now, -1), state: OPEN_STATES };
    case 'week':
      return { deadlineBefore: dayFrom(now, 7), state: OPEN_STATES };
    case 'month':
      return { deadlineBefore: dayFrom(now, 30), state: OPEN_STATES };
    case 'set':
      return { hasDeadline: true };
    case 'none':
      return { hasDeadline: false };
    default:
      return {};
  }
}

/**
 * Every migration in the portal: totals of consumers by status, and the
 * table of migrations with their progress, filtered and sorted by
 * deadline by the backend (the list route's `deadlineBefore`,
 * `hasDeadline` and `sort`).
 */
export function FleetDashboard() {
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const [deadline, setDeadline] = useState<DeadlineFilter>('all');
  const [sort, setSort] = useState<'newest' | 'deadline'>('newest');
  const migrations = useLoad(
    () =>
      loadAllPages(page =>
        rippleApi.listMigrations({
          ...page,
          ...deadlineQuery(deadline),
          ...(sort === 'deadline' ? { sort } : {}),
        }),
      ),
    [rippleApi, deadline, sort],
    { refreshMs: 30000 },
  );
  const totals = useMemo(() => {
    const sum = {
      migrations: 0,
      active: 0,
      consumers: 0,
      merged: 0,
      awaitingDecision: 0,
      blocked: 0,
    };
    for (const m of migrations.value ?? []) {
      sum.migrations += 1;
      if (['analyzing', 'proposed', 'rolling_out', 'paused'].includes(m.state))
        sum.active += 1;
      if (!m.progress) continue;
      sum.consumers += m.progress.total;
      sum.merged += m.progress.merged;
      sum.awaitingDecision += m.progress.awaitingDecision;
      sum.blocked +=
        m.progress.rejected + m.progress.failed + m.progress.unhealthy;
    }
    return sum;
  }, [migrations.value]);

  return (
    <Container>
      <Flex direction="column" gap="5" py="4">
        <Flex direction="column" gap="1">
          <Text as="h1" variant="title-medium">
            {t('fleet.title')}
          </Text>
          <Text as="p" color="secondary">
            {t('fleet.subtitle')}
          </Text>
        </Flex>
        <EngineCanaryNotice />
        <Flex gap="3" align="end" style={{ flexWrap: 'wrap' }}>
          <Select
            label={t('deadline.filter')}
            value={deadline}
            onChange={k => k && setDeadline(String(k) as DeadlineFilter)}
            options={(
              ['all', 'overdue', 'week', 'month', 'set', 'none'] as const
            ).map(value => ({
              value,
              label: t(`deadline.filters.${value}`),
            }))}
          />
          <Select
            label={t('deadline.sort')}
            value={sort}
            onChange={k => k && setSort(String(k) as 'newest' | 'deadline')}
            options={(['newest', 'deadline'] as const).map(value => ({
              value,
              label: t(`deadline.sorts.${value}`),
            }))}
          />
        </Flex>
        {migrations.loading && <Loading label={t('fleet.loading')} rows={6} />}
        {migrations.error && (
          <ErrorPanel title={t('fleet.loadError')} error={migrations.error} />
        )}
        {migrations.value && (
          <>
            <Counts
              label={t('fleet.totals.label')}
              items={[
                {
                  label: t('fleet.totals.migrations'),
                  value: totals.migrations,
                },
                { label: t('fleet.totals.active'), value: totals.active },
                { label: t('fleet.totals.consumers'), value: totals.consumers },
                {
                  label: (
                    <StatusBadge
                      status={{ tone: 'done', label: t('fleet.totals.merged') }}
                    />
                  ),
                  value: totals.merged,
                },
                {
                  label: (
                    <StatusBadge
                      status={{
                        tone: 'active',
                        label: t('fleet.totals.awaitingDecision'),
                      }}
                    />
                  ),
                  value: totals.awaitingDecision,
                },
                {
                  label: (
                    <StatusBadge
                      status={{
                        tone: 'blocked',
                        label: t('fleet.totals.blocked'),
                      }}
                    />
                  ),
                  value: totals.blocked,
                },
              ]}
            />
            <MigrationsTable
              // Remounted on a new order: the table's own sort starts there.
              key={sort}
              initialSort={sort === 'deadline' ? 'deadline' : 'age'}
              migrations={migrations.value}
              emptyState={
                <Empty title={t('fleet.emptyTitle')}>
                  {t('fleet.emptyBody')}
                </Empty>
              }
            />
          </>
        )}
      </Flex>
    </Container>
  );
}
