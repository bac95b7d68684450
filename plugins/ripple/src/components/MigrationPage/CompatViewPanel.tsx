import { Alert, Button, Flex, Text } from '@backstage/ui';
import { CodeSnippet } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  rippleRolloutManagePermission,
  type CompatView,
  type Migration,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import type { Loaded } from '../../hooks/useLoad';
import { rippleTranslationRef } from '../../translation';
import { ErrorPanel, Loading, age, errorMessage } from '../common/Feedback';

/**
 * The compatibility view: the DDL that keeps the dataset's old name working
 * while consumers migrate, with copy buttons, who applied it, and the
 * cleanup once every consumer is merged and healthy.
 */
export function CompatViewPanel(props: {
  migration: Migration;
  view: Loaded<CompatView>;
}) {
  const { migration, view } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const manage = usePermission({
    permission: rippleRolloutManagePermission,
    resourceRef: migration.datasetRef,
  });
  const { pending, error, run } = useAction({ onSettled: view.reload });

  if (view.loading) return <Loading label={t('compatView.loading')} />;
  if (!view.value) {
    return <ErrorPanel title={t('compatView.loadError')} error={view.error} />;
  }
  const v = view.value;
  // " by someone", " 3 h ago": each part only when known.
  const by = (who?: string) =>
    who ? t('compatView.by', { who: <EntityRefLink entityRef={who} hideIcon /> }) : '';
  const at = (iso?: string) => (iso ? t('compatView.at', { age: age(iso, t) }) : '');
  const overridden = v.overrideReason && (
    <Text as="p">
      {t('compatView.overridden', {
        by: by(v.overriddenBy),
        at: at(v.overriddenAt),
        reason: v.overrideReason,
      })}
    </Text>
  );
  if (v.state === 'unavailable') {
    let why: string;
    if (v.required) {
      why = v.reason
        ? t('compatView.requiredUnavailableBecause', { reason: v.reason })
        : t('compatView.requiredUnavailable');
    } else {
      why = v.reason
        ? t('compatView.unavailableBecause', { reason: v.reason })
        : t('compatView.unavailable');
    }
    return (
      <Flex direction="column" gap="3">
        <Text as="p" color="secondary">
          {why}
        </Text>
        {overridden}
      </Flex>
    );
  }

  const markApplied = () => run(true, () => rippleApi.markCompatViewApplied(migration.id));

  return (
    <Flex direction="column" gap="3">
      <Text as="p">
        {t('compatView.intro')}
      </Text>
      <div role="region" aria-label={t('compatView.ddlLabel')}>
        <CodeSnippet text={v.ddl ?? ''} language="sql" showCopyCodeButton />
      </div>
      {overridden}
      {v.state === 'applied' ? (
        <Text as="p">
          {t('compatView.applied', { by: by(v.appliedBy), at: at(v.appliedAt) })}
        </Text>
      ) : (
        manage.allowed && (
          <Flex>
            <Button variant="secondary" onPress={markApplied} isPending={!!pending}>
              {t('compatView.markApplied')}
            </Button>
          </Flex>
        )
      )}
      {v.cleanupOffered && v.cleanupDdl ? (
        <>
          <Text as="h4" variant="title-x-small">
            {t('compatView.cleanupTitle')}
          </Text>
          <Text as="p">{t('compatView.cleanupReady')}</Text>
          <div role="region" aria-label={t('compatView.cleanupLabel')}>
            <CodeSnippet text={v.cleanupDdl} language="sql" showCopyCodeButton />
          </div>
        </>
      ) : (
        <Text as="p" color="secondary">
          {v.reason
            ? t('compatView.cleanupLaterBecause', { reason: v.reason })
            : t('compatView.cleanupLater')}
        </Text>
      )}
      {!!error && (
        <Alert status="danger" icon role="alert" title={t('compatView.markError')} description={errorMessage(error)} />
      )}
    </Flex>
  );
}
