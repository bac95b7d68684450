import { useState } from 'react';
import { Alert, Button, Flex, Text, TextAreaField } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { rippleEngineAcceptPermission } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import { rippleTranslationRef } from '../../translation';
import { errorMessage } from '../common/Feedback';

/**
 * Accept or refuse the canary, with a comment: for administrators
 * (`ripple.engine.accept`); others are told who decides. The decision names
 * the version shown, so that a backend upgraded meanwhile refuses it (409).
 */
export function EngineCanaryDecision(props: {
  engineVersion: string;
  onDecided: () => void;
}) {
  const { engineVersion, onDecided } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const permission = usePermission({
    permission: rippleEngineAcceptPermission,
  });
  const [comment, setComment] = useState('');
  const action = useAction<'accept' | 'refuse'>({ onSettled: onDecided });

  if (permission.loading) return null;
  if (!permission.allowed) {
    return (
      <Text as="p" color="secondary">
        {t('engineCanary.decision.notAllowed')}
      </Text>
    );
  }
  const decide = (decision: 'accept' | 'refuse') =>
    action.run(decision, () =>
      rippleApi.decideEngineCanary({
        engineVersion,
        decision,
        ...(comment.trim() && { comment: comment.trim() }),
      }),
    );
  return (
    <Flex
      direction="column"
      gap="3"
      role="group"
      aria-label={t('engineCanary.decision.label')}
    >
      <TextAreaField
        label={t('engineCanary.decision.comment')}
        description={t('engineCanary.decision.commentDescription')}
        rows={2}
        value={comment}
        onChange={setComment}
      />
      <Flex gap="2">
        <Button
          variant="primary"
          onPress={() => decide('accept')}
          isPending={action.pending === 'accept'}
          isDisabled={!!action.pending}
        >
          {t('engineCanary.decision.accept', { version: engineVersion })}
        </Button>
        <Button
          variant="secondary"
          destructive
          onPress={() => decide('refuse')}
          isPending={action.pending === 'refuse'}
          isDisabled={!!action.pending}
        >
          {t('engineCanary.decision.refuse')}
        </Button>
      </Flex>
      {action.error !== undefined && (
        <Alert
          status="danger"
          icon
          role="alert"
          title={t('engineCanary.decision.failed')}
          description={errorMessage(action.error)}
        />
      )}
    </Flex>
  );
}
