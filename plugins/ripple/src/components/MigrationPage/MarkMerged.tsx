import { Button, Flex, Text } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { useState } from 'react';
import { rippleApiRef } from '../../api';
import { rippleTranslationRef } from '../../translation';
import { ErrorPanel } from '../common/Feedback';

/**
 * "Mark as merged", for an owner whose delivered patch runs although its
 * delivery method cannot see it (a download applied by hand, a squash):
 * a wave soaks only once each of its consumers runs the patch.
 */
export function MarkMerged(props: {
  migrationId: string;
  consumerRef: string;
  onMarked: () => void;
}) {
  const { migrationId, consumerRef, onMarked } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();

  const mark = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await rippleApi.markConsumerMerged(migrationId, consumerRef);
      onMarked();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Flex direction="column" gap="2">
      <Flex align="center" gap="3">
        <Button variant="secondary" isDisabled={busy} onPress={mark}>
          {t('consumerDetail.markMerged')}
        </Button>
        <Text variant="body-small" color="secondary">
          {t('consumerDetail.markMergedHint')}
        </Text>
      </Flex>
      {error && (
        <ErrorPanel title={t('consumerDetail.markMergedError')} error={error} />
      )}
    </Flex>
  );
}
