import { useState } from 'react';
import { Alert, Button, Flex, Text, TextField } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { NewStepPlan } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import { rippleTranslationRef } from '../../translation';
import { errorMessage } from '../common/Feedback';

/** The rows per batch as typed: undefined when empty (the default), NaN when not a whole number ≥ 1. */
function parseBatchRows(text: string): number | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  return /^\d+$/.test(trimmed) && Number(trimmed) >= 1
    ? Number(trimmed)
    : Number.NaN;
}

/**
 * "Make a step plan", for a migration that has none: the backfill's key
 * and rows per batch, both optional. Making it runs nothing; the backend's
 * refusal (an unknown key, a dialect without step plans) shows as it says.
 */
export function StepPlanForm(props: {
  migrationId: string;
  canCreate: boolean;
  onCreated: () => void;
}) {
  const { migrationId, canCreate, onCreated } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const [key, setKey] = useState('');
  const [batchRowsText, setBatchRowsText] = useState('');
  const { pending, error, run } = useAction();
  const batchRows = parseBatchRows(batchRowsText);
  const invalid = Number.isNaN(batchRows);

  const submit = () =>
    run(true, async () => {
      const options: NewStepPlan = {};
      if (key.trim()) options.key = key.trim();
      if (batchRows !== undefined) options.batchRows = batchRows;
      await rippleApi.createStepPlan(migrationId, options);
      onCreated();
    });

  return (
    <Flex direction="column" gap="3" style={{ maxWidth: 640 }}>
      <Text as="h3" variant="title-x-small">
        {t('steps.create.title')}
      </Text>
      <Text as="p" color="secondary">
        {t('steps.create.body')}
      </Text>
      {canCreate ? (
        <form
          onSubmit={e => {
            e.preventDefault();
            if (!invalid) submit();
          }}
        >
          <Flex direction="column" gap="3">
            <TextField
              label={t('steps.create.key')}
              description={t('steps.create.keyDescription')}
              value={key}
              onChange={setKey}
            />
            <TextField
              label={t('steps.create.batchRows')}
              description={t('steps.create.batchRowsDescription')}
              value={batchRowsText}
              onChange={setBatchRowsText}
              isInvalid={invalid}
            />
            {invalid && (
              <Text as="p" variant="body-small" color="danger">
                {t('steps.create.batchRowsInvalid')}
              </Text>
            )}
            <Flex>
              <Button
                type="submit"
                variant="primary"
                isDisabled={invalid}
                isPending={!!pending}
              >
                {t('steps.create.submit')}
              </Button>
            </Flex>
          </Flex>
        </form>
      ) : (
        <Text as="p" color="secondary">
          {t('steps.create.noPermission')}
        </Text>
      )}
      {!!error && (
        <Alert
          status="danger"
          icon
          role="alert"
          title={t('steps.create.error')}
          description={errorMessage(error)}
        />
      )}
    </Flex>
  );
}
