import { Card, CardBody, CardHeader, Flex, Link, Text } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import type { EntityMigration } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { loadAllPages, useLoad } from '../../hooks/useLoad';
import { useMigrationLink } from '../../routes';
import { Empty, ErrorPanel, Loading } from '../common/Feedback';
import { StatusBadge } from '../common/StatusBadge';
import { migrationStatus } from '../common/status';
import { ConsumerDetail } from '../MigrationPage/ConsumerDetail';
import { describeChange } from '../MigrationPage/MigrationPage';

/**
 * The migrations an entity is a consumer in: for each, its patch, the
 * reviews and the delivery, and approve/reject for its owners.
 */
export function ConsumerMigrations({ entityRef }: { entityRef: string }) {
  const rippleApi = useApi(rippleApiRef);
  const migrations = useLoad(
    () => loadAllPages(page => rippleApi.listEntityMigrations(entityRef, page)),
    [rippleApi, entityRef],
    { refreshMs: 15000 },
  );
  if (migrations.loading) return <Loading label="Loading the migrations" />;
  if (!migrations.value) {
    return <ErrorPanel title="Could not load the migrations" error={migrations.error} />;
  }
  const asConsumer = migrations.value.filter(m => m.roles.includes('consumer'));
  if (asConsumer.length === 0) {
    return (
      <Empty title="No migration touches this entity">
        When a dataset it reads changes, Ripple proposes its patch here for its owners to review.
      </Empty>
    );
  }
  return (
    <Flex direction="column" gap="4">
      {asConsumer.map(m => (
        <ConsumerMigration key={m.migration.id} item={m} entityRef={entityRef} />
      ))}
    </Flex>
  );
}

function ConsumerMigration({ item, entityRef }: { item: EntityMigration; entityRef: string }) {
  const rippleApi = useApi(rippleApiRef);
  const migrationLink = useMigrationLink();
  const m = item.migration;
  const consumer = useLoad(
    () => rippleApi.getConsumer(m.id, entityRef),
    [rippleApi, m.id, entityRef, m.updatedAt],
  );
  return (
    <Card>
      <CardHeader>
        <Flex justify="between" align="center" gap="3">
          <Flex direction="column" gap="1">
            <Text as="h2" variant="title-small">
              {migrationLink ? (
                <Link variant="title-small" href={`${migrationLink(m.id)}?consumer=${encodeURIComponent(entityRef)}`}>
                  {m.title}
                </Link>
              ) : (
                m.title
              )}
            </Text>
            <Text variant="body-small" color="secondary">
              <code>{describeChange(m.change)}</code>
            </Text>
          </Flex>
          <StatusBadge status={migrationStatus(m.state)} />
        </Flex>
      </CardHeader>
      <CardBody>
        {consumer.loading && <Loading label="Loading this consumer's patch" />}
        {consumer.error && !consumer.value && (
          <ErrorPanel title="Could not load this consumer's patch" error={consumer.error} />
        )}
        {consumer.value && (
          <ConsumerDetail migration={m} consumer={consumer.value} onChanged={consumer.reload} hideName />
        )}
      </CardBody>
    </Card>
  );
}
