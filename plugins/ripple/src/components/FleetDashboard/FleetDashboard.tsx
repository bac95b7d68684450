import { useMemo } from 'react';
import { Container, Flex, Text } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { rippleApiRef } from '../../api';
import { loadAllPages, useLoad } from '../../hooks/useLoad';
import { Empty, ErrorPanel, Loading } from '../common/Feedback';
import { MigrationsTable } from '../common/MigrationsTable';
import { StatusBadge } from '../common/StatusBadge';
import styles from '../common/ripple.module.css';

/**
 * Every migration in the portal: totals of consumers by status, and the
 * table of migrations with their progress.
 */
export function FleetDashboard() {
  const rippleApi = useApi(rippleApiRef);
  const migrations = useLoad(
    () => loadAllPages(page => rippleApi.listMigrations(page)),
    [rippleApi],
    { refreshMs: 30000 },
  );
  const totals = useMemo(() => {
    const t = { migrations: 0, active: 0, consumers: 0, merged: 0, toReview: 0, blocked: 0 };
    for (const m of migrations.value ?? []) {
      t.migrations += 1;
      if (['analyzing', 'proposed', 'rolling_out', 'paused'].includes(m.state)) t.active += 1;
      if (!m.progress) continue;
      t.consumers += m.progress.total;
      t.merged += m.progress.merged;
      t.toReview += m.progress.needsReview;
      t.blocked += m.progress.rejected + m.progress.failed + m.progress.unhealthy;
    }
    return t;
  }, [migrations.value]);

  return (
    <Container>
      <Flex direction="column" gap="5" py="4">
        <Flex direction="column" gap="1">
          <Text as="h1" variant="title-medium">
            Migrations
          </Text>
          <Text as="p" color="secondary">
            Every schema change Ripple carries to the consumers of a dataset, across the portal.
          </Text>
        </Flex>
        {migrations.loading && <Loading label="Loading the migrations" rows={6} />}
        {migrations.error && (
          <ErrorPanel title="Could not load the migrations" error={migrations.error} />
        )}
        {migrations.value && (
          <>
            <dl className={styles.counts} aria-label="Totals">
              <div>
                <dt>Migrations</dt>
                <dd>{totals.migrations}</dd>
              </div>
              <div>
                <dt>Under way</dt>
                <dd>{totals.active}</dd>
              </div>
              <div>
                <dt>Consumers</dt>
                <dd>{totals.consumers}</dd>
              </div>
              <div>
                <dt>
                  <StatusBadge status={{ tone: 'done', label: 'Merged' }} />
                </dt>
                <dd>{totals.merged}</dd>
              </div>
              <div>
                <dt>
                  <StatusBadge status={{ tone: 'active', label: 'To review' }} />
                </dt>
                <dd>{totals.toReview}</dd>
              </div>
              <div>
                <dt>
                  <StatusBadge status={{ tone: 'blocked', label: 'Blocked' }} />
                </dt>
                <dd>{totals.blocked}</dd>
              </div>
            </dl>
            <MigrationsTable
              migrations={migrations.value}
              emptyState={
                <Empty title="No migrations yet">
                  Open a dataset in the catalog and start one from its Migrations tab.
                </Empty>
              }
            />
          </>
        )}
      </Flex>
    </Container>
  );
}
