import {
  Button,
  Dialog,
  DialogBody,
  DialogFooter,
  DialogHeader,
  Text,
} from '@backstage/ui';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { StartConfirmation as Confirmation } from '@ripple/backstage-plugin-ripple-common';
import { rippleTranslationRef } from '../../translation';

/**
 * The confirmation a wide rollout asks for before it starts
 * (`ripple.rollout.confirmAbove`): the number of consumers it reaches,
 * which the start then sends back (`confirmConsumers`).
 */
export function StartConfirmation(props: {
  confirmation: Confirmation;
  isOpen: boolean;
  pending: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { confirmation, isOpen, pending, onConfirm, onCancel } = props;
  const { t } = useTranslationRef(rippleTranslationRef);
  const count = String(confirmation.consumers);
  return (
    <Dialog
      isOpen={isOpen}
      onOpenChange={open => {
        if (!open) onCancel();
      }}
    >
      <DialogHeader>{t('timing.confirmTitle', { number: count })}</DialogHeader>
      <DialogBody>
        <Text as="p">
          {t('timing.confirmBody', {
            number: count,
            above: String(confirmation.above),
          })}
        </Text>
      </DialogBody>
      <DialogFooter>
        <Button variant="tertiary" onPress={onCancel}>
          {t('timing.confirmCancel')}
        </Button>
        <Button variant="primary" onPress={onConfirm} isPending={pending}>
          {t('timing.confirmStart', { number: count })}
        </Button>
      </DialogFooter>
    </Dialog>
  );
}
