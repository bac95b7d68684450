import { Flex, Text } from '@backstage/ui';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import type { Rollout } from '@ripple/backstage-plugin-ripple-common';
import { rippleTranslationRef } from '../../translation';

/**
 * The plan's delivery windows, and the consumers of the started waves that
 * wait before their delivery, each with why (a window, a freeze, their
 * pipeline's schedule, an upstream consumer) and until when when known.
 */
export function ConsumerWaits(props: { rollout: Rollout }) {
  const { rollout: r } = props;
  const { t } = useTranslationRef(rippleTranslationRef);
  const windows = r.plan.windows ?? [];
  const waiting = r.waiting ?? [];
  if (!windows.length && !waiting.length) return null;
  return (
    <Flex direction="column" gap="2">
      {windows.length > 0 && (
        <Text as="p" variant="body-small" color="secondary">
          {t('timing.windows', {
            windows: windows
              .map(w =>
                t('timing.window', {
                  cron: w.cron,
                  minutes: String(w.durationMinutes),
                  zone: w.timeZone ?? 'UTC',
                }),
              )
              .join('; '),
          })}
        </Text>
      )}
      {waiting.length > 0 && (
        <Flex direction="column" gap="1">
          <Text weight="bold">{t('timing.waitingTitle')}</Text>
          <ul aria-label={t('timing.waitingLabel')}>
            {waiting.map(w => (
              <li key={w.consumerRef}>
                <Text variant="body-small">
                  <EntityRefLink entityRef={w.consumerRef} hideIcon />:{' '}
                  {w.reason}
                  {w.until && (
                    <>
                      {' '}
                      (
                      {t('timing.waitingUntil', {
                        time: new Date(w.until).toLocaleString(),
                      })}
                      )
                    </>
                  )}
                </Text>
              </li>
            ))}
          </ul>
        </Flex>
      )}
    </Flex>
  );
}
