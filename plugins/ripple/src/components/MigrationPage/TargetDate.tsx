import { useState } from 'react';
import { Button, Flex, Text, TextField } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import {
  migrationTransitions,
  type Migration,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import { rippleTranslationRef } from '../../translation';
import { ErrorPanel } from '../common/Feedback';
import { deadlineEnd } from './burndown';

/** `YYYY-MM-DD` and a day of the calendar (the backend says so too, naming the field). */
export function isTargetDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return (
    !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value
  );
}

/**
 * The migration's target date, and for its owners (who may cancel it) a
 * form to set, move or remove it while the migration is open.
 */
export function TargetDate(props: {
  migration: Migration;
  canEdit: boolean;
  onChanged: () => void;
}) {
  const { migration: m, canEdit, onChanged } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const [draft, setDraft] = useState<string>();
  const { pending, error, run } = useAction<'save' | 'remove'>({
    onSettled: onChanged,
  });
  const open = migrationTransitions[m.state].length > 0;
  const overdue =
    m.targetDate !== undefined &&
    open &&
    Date.now() > deadlineEnd(m.targetDate) &&
    (m.progress?.merged ?? 0) < (m.progress?.total ?? 0);
  const save = (value: string | null) =>
    run(value === null ? 'remove' : 'save', async () => {
      await rippleApi.setTargetDate(m.id, value);
      setDraft(undefined);
    });

  if (draft !== undefined) {
    const valid = isTargetDate(draft);
    return (
      <Flex direction="column" gap="2" style={{ maxWidth: 420 }}>
        <Flex gap="2" align="end">
          <TextField
            label={t('deadline.label')}
            description={t('deadline.hint')}
            placeholder="2027-03-31"
            value={draft}
            onChange={setDraft}
            isInvalid={draft !== '' && !valid}
          />
          <Button
            isDisabled={!valid}
            isPending={pending === 'save'}
            onPress={() => save(draft)}
          >
            {t('deadline.save')}
          </Button>
          {m.targetDate && (
            <Button
              variant="secondary"
              destructive
              isPending={pending === 'remove'}
              onPress={() => save(null)}
            >
              {t('deadline.remove')}
            </Button>
          )}
          <Button variant="tertiary" onPress={() => setDraft(undefined)}>
            {t('deadline.cancel')}
          </Button>
        </Flex>
        {!!error && (
          <ErrorPanel title={t('deadline.saveError')} error={error} />
        )}
      </Flex>
    );
  }
  return (
    <Flex gap="2" align="center">
      <Text
        variant="body-small"
        color={overdue ? 'danger' : 'secondary'}
        data-testid="target-date"
      >
        {m.targetDate
          ? t(overdue ? 'deadline.overdue' : 'deadline.due', {
              date: m.targetDate,
            })
          : t('deadline.none')}
      </Text>
      {canEdit && open && (
        <Button
          size="small"
          variant="tertiary"
          onPress={() => setDraft(m.targetDate ?? '')}
        >
          {m.targetDate ? t('deadline.edit') : t('deadline.set')}
        </Button>
      )}
    </Flex>
  );
}
