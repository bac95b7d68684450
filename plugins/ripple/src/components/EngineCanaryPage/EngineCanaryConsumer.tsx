import { Flex, Link, Text } from '@backstage/ui';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import type { EngineCanaryConsumer as SampledConsumer } from '@ripple/backstage-plugin-ripple-common';
import { useMigrationLink } from '../../routes';
import { rippleTranslationRef } from '../../translation';
import { PatchDiff } from '../common/PatchDiff';
import { StatusBadge } from '../common/StatusBadge';
import { outcomeStatus } from './outcome';

/**
 * One consumer of the sample: its outcome, and unless unchanged both
 * patches, the current one and the new version's, one above the other.
 */
export function EngineCanaryConsumer(props: {
  consumer: SampledConsumer;
  engineVersion: string;
}) {
  const { consumer, engineVersion } = props;
  const { t } = useTranslationRef(rippleTranslationRef);
  const migrationLink = useMigrationLink();
  const { current, proposed } = consumer;
  return (
    <section
      aria-label={t('engineCanary.consumerLabel', {
        consumer: consumer.consumerRef,
        migration: consumer.migrationTitle,
      })}
    >
      <Flex direction="column" gap="2">
        <Flex align="center" gap="3">
          <EntityRefLink entityRef={consumer.consumerRef} />
          <StatusBadge status={outcomeStatus(consumer.outcome, t)} />
        </Flex>
        {migrationLink ? (
          <Link href={migrationLink(consumer.migrationId)}>
            {consumer.migrationTitle}
          </Link>
        ) : (
          <Text color="secondary">{consumer.migrationTitle}</Text>
        )}
        {consumer.outcome === 'unchanged' ? (
          <Text as="p" color="secondary">
            {t('engineCanary.sameAsCurrent')}
          </Text>
        ) : (
          <>
            <Text as="h4" variant="title-x-small">
              {t('engineCanary.currentPatch', {
                version: String(current.version),
                status: current.status.replace('_', ' '),
                engine:
                  current.engineVersion ?? t('engineCanary.unknownEngine'),
              })}
            </Text>
            <PatchDiff
              diff={current.diff}
              reasons={current.reasons}
              reasonsLabel={t('engineCanary.reasons')}
            />
            <Text as="h4" variant="title-x-small">
              {t('engineCanary.proposedPatch', {
                engine: engineVersion,
                status: proposed.status.replace('_', ' '),
              })}
            </Text>
            <PatchDiff
              diff={proposed.diff}
              reasons={proposed.reasons}
              reasonsLabel={t('engineCanary.reasons')}
            />
          </>
        )}
      </Flex>
    </section>
  );
}
