import { useState } from 'react';
import {
  Button,
  Dialog,
  DialogBody,
  DialogFooter,
  DialogHeader,
  Flex,
  Text,
  TextField,
} from '@backstage/ui';
import { CodeSnippet } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { rippleTranslationRef } from '../../translation';

/**
 * The confirmation before the contract's approval: it says the statements
 * delete data for good, with no rollback, and shows them (handed over, the
 * person runs them first and confirms they did); an optional note goes to
 * the timeline and the audit log.
 */
export function ApproveDeletion(props: {
  statements: string[];
  handedOver: boolean;
  isOpen: boolean;
  pending: boolean;
  onConfirm: (note?: string) => void;
  onCancel: () => void;
}) {
  const { statements, handedOver, isOpen, pending, onConfirm, onCancel } =
    props;
  const { t } = useTranslationRef(rippleTranslationRef);
  const [note, setNote] = useState('');
  return (
    <Dialog
      isOpen={isOpen}
      onOpenChange={open => {
        if (!open) onCancel();
      }}
    >
      <DialogHeader>{t('steps.approveTitle')}</DialogHeader>
      <DialogBody>
        <Flex direction="column" gap="3">
          <Text as="p" weight="bold" color="danger">
            {handedOver
              ? t('steps.approveBodyHandOver')
              : t('steps.approveBody')}
          </Text>
          <div role="region" aria-label={t('steps.approvalLabel')}>
            <CodeSnippet text={statements.join('\n\n')} language="sql" />
          </div>
          <TextField
            label={t('steps.approveNote')}
            value={note}
            onChange={setNote}
          />
        </Flex>
      </DialogBody>
      <DialogFooter>
        <Button variant="tertiary" onPress={onCancel}>
          {t('steps.approveCancel')}
        </Button>
        <Button
          variant="primary"
          destructive
          isPending={pending}
          onPress={() => onConfirm(note.trim() || undefined)}
        >
          {handedOver
            ? t('steps.approveConfirmHandOver')
            : t('steps.approveConfirm')}
        </Button>
      </DialogFooter>
    </Dialog>
  );
}
