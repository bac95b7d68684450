import { Alert, Flex, Skeleton, Text } from '@backstage/ui';
import type { ReactNode } from 'react';
import type { RippleT } from '../../translation';

/** The backend's own message of a failed request, else the error's. */
export function errorMessage(error: unknown): string {
  const body = (error as { body?: { error?: { message?: string } } })?.body;
  return body?.error?.message ?? (error as Error)?.message ?? String(error);
}

/** An error from the backend, with its message, and a way to try again. */
export function ErrorPanel(props: {
  title: string;
  error: unknown;
  action?: ReactNode;
}) {
  return (
    <Alert
      status="danger"
      icon
      role="alert"
      title={props.title}
      description={errorMessage(props.error)}
      customActions={props.action}
    />
  );
}

/** Placeholder rows while something loads, announced to screen readers. */
export function Loading(props: { label: string; rows?: number }) {
  return (
    <Flex
      direction="column"
      gap="2"
      aria-busy="true"
      aria-label={props.label}
      role="status"
    >
      {Array.from({ length: props.rows ?? 3 }, (_, i) => (
        <Skeleton key={i} width="100%" height={28} />
      ))}
    </Flex>
  );
}

/** What an empty list means, and what to do about it. */
export function Empty(props: { title: string; children?: ReactNode }) {
  return (
    <Flex direction="column" gap="2" py="4">
      <Text as="p" variant="title-x-small">
        {props.title}
      </Text>
      {props.children && (
        <Text as="p" color="secondary">
          {props.children}
        </Text>
      )}
    </Flex>
  );
}

/** How long ago, in words ("3 h ago"). */
export function age(iso: string, t: RippleT, now = Date.now()): string {
  const { unit, n } = elapsed(iso, now);
  return unit === 'justNow' ? t('age.justNow') : t(`age.${unit}`, { n });
}

/** How long since, as a duration ("3 d"). */
export function duration(iso: string, t: RippleT, now = Date.now()): string {
  const { unit, n } = elapsed(iso, now);
  return unit === 'justNow'
    ? t('duration.justNow')
    : t(`duration.${unit}`, { n });
}

function elapsed(
  iso: string,
  now: number,
): { unit: 'justNow' | 'minutes' | 'hours' | 'days'; n: string } {
  const minutes = Math.max(0, (now - Date.parse(iso)) / 60_000);
  if (minutes < 1) return { unit: 'justNow', n: '0' };
  if (minutes < 60) return { unit: 'minutes', n: String(Math.floor(minutes)) };
  const hours = minutes / 60;
  if (hours < 24) return { unit: 'hours', n: String(Math.floor(hours)) };
  return { unit: 'days', n: String(Math.floor(hours / 24)) };
}
