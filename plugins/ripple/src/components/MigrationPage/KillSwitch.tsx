import { useState } from 'react';
import { Alert, Button, Flex, Text, TextField } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  rippleRolloutManagePermission,
  type Migration,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import { rippleTranslationRef } from '../../translation';
import { age, errorMessage } from '../common/Feedback';

/**
 * The kill switch (docs/rollout.md): while it is on, an alert says who
 * stopped the migration's automation and why; those who manage its rollout
 * stop it (after a confirmation, with an optional reason) or resume it.
 * A migration that is over has nothing to stop.
 */
export function KillSwitch(props: {
  migration: Migration;
  onChanged: () => void;
}) {
  const { migration: m, onChanged } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const manage = usePermission({
    permission: rippleRolloutManagePermission,
    resourceRef: m.datasetRef,
  });
  const { pending, error, run } = useAction<'stop' | 'resume'>({
    onSettled: onChanged,
  });
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const over = ['completed', 'cancelled'].includes(m.state);

  const resume = manage.allowed && (
    <Button
      variant="primary"
      isPending={pending === 'resume'}
      onPress={() => run('resume', () => rippleApi.resumeAutomation(m.id))}
    >
      {t('timing.resume')}
    </Button>
  );

  return (
    <Flex direction="column" gap="2">
      {m.stopped ? (
        <Alert
          status="danger"
          icon
          role="status"
          title={t('timing.stoppedTitle')}
          description={
            <>
              {t('timing.stoppedBy', {
                who: m.stopped.by,
                age: age(m.stopped.at, t),
              })}
              {m.stopped.reason && (
                <> {t('timing.stoppedReason', { reason: m.stopped.reason })}</>
              )}
            </>
          }
          customActions={resume || undefined}
        />
      ) : (
        manage.allowed &&
        !over &&
        (confirming ? (
          <Flex direction="column" gap="2" style={{ maxWidth: 640 }}>
            <Text as="p" variant="body-small" color="secondary">
              {t('timing.stopDescription')}
            </Text>
            <TextField
              label={t('timing.stopReason')}
              value={reason}
              onChange={setReason}
            />
            <Flex gap="2">
              <Button
                variant="primary"
                destructive
                isPending={pending === 'stop'}
                onPress={() =>
                  run('stop', async () => {
                    await rippleApi.stopAutomation(
                      m.id,
                      reason.trim() || undefined,
                    );
                    setConfirming(false);
                    setReason('');
                  })
                }
              >
                {t('timing.stopConfirm')}
              </Button>
              <Button variant="tertiary" onPress={() => setConfirming(false)}>
                {t('timing.stopCancel')}
              </Button>
            </Flex>
          </Flex>
        ) : (
          <Flex>
            <Button
              variant="secondary"
              destructive
              onPress={() => setConfirming(true)}
            >
              {t('timing.stop')}
            </Button>
          </Flex>
        ))
      )}
      {!!error && (
        <Alert
          status="danger"
          icon
          role="alert"
          title={t('timing.actionError')}
          description={errorMessage(error)}
        />
      )}
    </Flex>
  );
}
