import { useMemo } from 'react';
import { Container, Flex, Text } from '@backstage/ui';
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

/**
 * Every migration in the portal: totals of consumers by status, and the
 * table of migrations with their progress.
 */
export function FleetDashboard() {
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const migrations = useLoad(
    () => loadAllPages(page => rippleApi.listMigrations(page)),
    [rippleApi],
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
