import {
  Alert,
  Card,
  CardBody,
  CardHeader,
  Flex,
  Link,
  Text,
} from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { EntityMigration } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { rippleTranslationRef } from '../../translation';
import { loadAllPages, useLoad } from '../../hooks/useLoad';
import { useMigrationLink } from '../../routes';
import { Empty, ErrorPanel, Loading } from '../common/Feedback';
import { StatusBadge } from '../common/StatusBadge';
import { migrationStatus } from '../common/status';
import { ConsumerDetail } from '../MigrationPage/ConsumerDetail';
import { describeChange } from '../MigrationPage/MigrationPage';
import { ConsumerTimeline } from './ConsumerTimeline';
import styles from '../common/ripple.module.css';

/**
 * The migrations an entity is a consumer in: for each, its patch, the
 * reviews and the delivery, and approve/reject for its owners.
 */
export function ConsumerMigrations({ entityRef }: { entityRef: string }) {
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const migrations = useLoad(
    () => loadAllPages(page => rippleApi.listEntityMigrations(entityRef, page)),
    [rippleApi, entityRef],
    { refreshMs: 15000 },
  );
  if (migrations.loading) return <Loading label={t('entity.loading')} />;
  if (!migrations.value) {
    return (
      <ErrorPanel title={t('entity.loadError')} error={migrations.error} />
    );
  }
  const asConsumer = migrations.value.filter(m => m.roles.includes('consumer'));
  if (asConsumer.length === 0) {
    return (
      <Empty title={t('entity.noConsumerMigrationTitle')}>
        {t('entity.noConsumerMigrationBody')}
      </Empty>
    );
  }
  return (
    <Flex direction="column" gap="4">
      {asConsumer.map(m => (
        <ConsumerMigration
          key={m.migration.id}
          item={m}
          entityRef={entityRef}
        />
      ))}
    </Flex>
  );
}

function ConsumerMigration({
  item,
  entityRef,
}: {
  item: EntityMigration;
  entityRef: string;
}) {
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const migrationLink = useMigrationLink();
  const m = item.migration;
  const consumer = useLoad(
    () => rippleApi.getConsumer(m.id, entityRef),
    [rippleApi, m.id, entityRef, m.updatedAt],
  );
  const timeline = useLoad(
    () => rippleApi.getConsumerTimeline(m.id, entityRef),
    [rippleApi, m.id, entityRef, m.updatedAt],
  );
  const overdue = timeline.value?.overdue ?? false;
  return (
    <Card
      className={overdue ? styles.overdueCard : undefined}
      data-overdue={overdue}
    >
      <CardHeader>
        <Flex justify="between" align="center" gap="3">
          <Flex direction="column" gap="1">
            <Text as="h2" variant="title-small">
              {migrationLink ? (
                <Link
                  variant="title-small"
                  href={`${migrationLink(m.id)}?consumer=${encodeURIComponent(
                    entityRef,
                  )}`}
                >
                  {m.title}
                </Link>
              ) : (
                m.title
              )}
            </Text>
            <Text variant="body-small" color="secondary">
              <code>{describeChange(m.change, t)}</code>
            </Text>
          </Flex>
          <Flex gap="2" align="center">
            {overdue && (
              <StatusBadge
                status={{
                  tone: 'blocked',
                  label: t('deadline.overdue', { date: m.targetDate ?? '' }),
                }}
              />
            )}
            <StatusBadge status={migrationStatus(m.state, t)} />
          </Flex>
        </Flex>
      </CardHeader>
      <CardBody>
        {overdue && (
          <Alert
            status="danger"
            icon
            title={t('timeline.overdueTitle')}
            description={t('timeline.overdueBody', {
              title: m.title,
              date: m.targetDate ?? '',
            })}
          />
        )}
        {timeline.loading && <Loading label={t('timeline.loading')} />}
        {timeline.error && !timeline.value && (
          <ErrorPanel title={t('timeline.error')} error={timeline.error} />
        )}
        {timeline.value && (
          <ConsumerTimeline title={m.title} timeline={timeline.value} />
        )}
        {consumer.loading && <Loading label={t('entity.consumerLoading')} />}
        {consumer.error && !consumer.value && (
          <ErrorPanel
            title={t('entity.consumerError')}
            error={consumer.error}
          />
        )}
        {consumer.value && (
          <ConsumerDetail
            migration={m}
            consumer={consumer.value}
            onChanged={consumer.reload}
            hideName
          />
        )}
      </CardBody>
    </Card>
  );
}
