import { Container, Flex, Text } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import type { EngineCanary } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useLoad } from '../../hooks/useLoad';
import { rippleTranslationRef } from '../../translation';
import { Counts } from '../common/Counts';
import { age, Empty, ErrorPanel, Loading } from '../common/Feedback';
import { StatusBadge } from '../common/StatusBadge';
import { EngineCanaryConsumer } from './EngineCanaryConsumer';
import { EngineCanaryDecision } from './EngineCanaryDecision';
import { canaryStateStatus } from './outcome';

/**
 * The engine canary (docs/frontend.md): the version the backend runs, and
 * when it did not make the open patches, how its proposals for a sample
 * compare with them, consumer by consumer, and the administrator's
 * decision. Reloaded every few seconds while the sample is taken.
 */
export function EngineCanaryPage() {
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const status = useLoad(() => rippleApi.getEngineCanary(), [rippleApi], {
    refreshMs: 10000,
  });
  const engine = status.value;
  return (
    <Container>
      <Flex direction="column" gap="5" py="4">
        <Flex direction="column" gap="1">
          <Text as="h1" variant="title-medium">
            {t('engineCanary.title', {
              version: engine?.engineVersion ?? '',
            })}
          </Text>
          <Text as="p" color="secondary">
            {t('engineCanary.subtitle')}
          </Text>
        </Flex>
        {status.loading && !engine && (
          <Loading label={t('engineCanary.loading')} rows={4} />
        )}
        {status.error && (
          <ErrorPanel
            title={t('engineCanary.loadError')}
            error={status.error}
          />
        )}
        {engine && !engine.canary && (
          <Text as="p">
            {engine.outdatedPatches === 0
              ? t('engineCanary.current')
              : t('engineCanary.pending', {
                  n: String(engine.outdatedPatches),
                })}
          </Text>
        )}
        {engine?.canary && (
          <CanaryView
            canary={engine.canary}
            outdatedPatches={engine.outdatedPatches}
            onDecided={status.reload}
          />
        )}
      </Flex>
    </Container>
  );
}

function CanaryView(props: {
  canary: EngineCanary;
  outdatedPatches: number;
  onDecided: () => void;
}) {
  const { canary, outdatedPatches, onDecided } = props;
  const { t } = useTranslationRef(rippleTranslationRef);
  const decided = canary.state === 'accepted' || canary.state === 'refused';
  return (
    <Flex direction="column" gap="4">
      <Flex align="center" gap="3">
        <StatusBadge status={canaryStateStatus(canary.state, t)} />
        <Text color="secondary">
          {t('engineCanary.comparedWith', {
            versions: canary.previousVersions.join(', '),
          })}
        </Text>
        <Text color="secondary">
          {t('engineCanary.outdated', { n: String(outdatedPatches) })}
        </Text>
      </Flex>
      <Counts
        label={t('engineCanary.counts.label')}
        items={(
          [
            'unchanged',
            'changed',
            'newly_rewritten',
            'newly_for_a_person',
          ] as const
        ).map(outcome => ({
          label: t(`engineCanary.counts.${outcome}`),
          value: canary.counts[outcome],
        }))}
      />
      {decided && canary.decidedBy && canary.decidedAt && (
        <Flex direction="column" gap="1">
          <Text as="p">
            {t(
              canary.state === 'accepted'
                ? 'engineCanary.decided.accepted'
                : 'engineCanary.decided.refused',
              {
                who: <EntityRefLink entityRef={canary.decidedBy} hideIcon />,
                when: age(canary.decidedAt, t),
              },
            )}
          </Text>
          {canary.comment && <Text as="p">{canary.comment}</Text>}
          <Text as="p" color="secondary">
            {canary.state === 'accepted'
              ? t('engineCanary.acceptedBody')
              : t('engineCanary.refusedBody')}
          </Text>
        </Flex>
      )}
      {canary.state === 'awaiting_decision' && (
        <EngineCanaryDecision
          engineVersion={canary.engineVersion}
          onDecided={onDecided}
        />
      )}
      {canary.consumers.length === 0 ? (
        <Empty title={t('engineCanary.emptySample')} />
      ) : (
        canary.consumers.map(consumer => (
          <EngineCanaryConsumer
            key={`${consumer.migrationId} ${consumer.consumerRef}`}
            consumer={consumer}
            engineVersion={canary.engineVersion}
          />
        ))
      )}
    </Flex>
  );
}
