import { Button, Card, CardBody, CardHeader, Flex, Text } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import { useNavigate } from 'react-router-dom';
import {
  rippleMigrationCreatePermission,
  type Change,
  type Migration,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import { useMigrationLink } from '../../routes';
import { rippleTranslationRef } from '../../translation';
import { Counts } from '../common/Counts';
import { ErrorPanel } from '../common/Feedback';
import { StatusBadge } from '../common/StatusBadge';
import { migrationStatus } from '../common/status';
import { describeChange, describeChanges } from '../MigrationPage/MigrationPage';

type Pending = 'start' | 'discard' | `confirm:${string}` | `reject:${string}`;

/**
 * A draft on its dataset's Migrations tab: its change, the renames to
 * confirm or reject, what could not be decided, its impact counted by
 * verdict, and Start (its analysis, then the migration's page) or Discard,
 * for those who may create the dataset's migrations.
 */
export function DraftMigration(props: { migration: Migration; onChanged: () => void }) {
  const { migration: m, onChanged } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const navigate = useNavigate();
  const migrationLink = useMigrationLink();
  const allowed = usePermission({
    permission: rippleMigrationCreatePermission,
    resourceRef: m.datasetRef,
  }).allowed;
  const { pending, error, run } = useAction<Pending>({ onSettled: onChanged });
  const busy = pending !== undefined;
  const one = (change: Change) => describeChanges([change], t);
  const impact = m.impactSummary;

  return (
    <Card aria-label={m.title}>
      <CardHeader>
        <Flex justify="between" align="center" gap="3">
          <Flex direction="column" gap="1">
            <Text as="h3" variant="title-small">
              {m.title}
            </Text>
            <Text variant="body-small" color="secondary">
              {m.origin === 'schema-change' ? t('draft.fromSchemaChange') : t('draft.byPerson')}
            </Text>
          </Flex>
          <StatusBadge status={migrationStatus(m.state, t)} />
        </Flex>
      </CardHeader>
      <CardBody>
        <Flex direction="column" gap="3">
          <Text as="p">
            {m.change.changes.length ? (
              <code>{describeChange(m.change, t)}</code>
            ) : (
              t('draft.noChange')
            )}
          </Text>
          {impact && (
            <Counts
              label={t('draft.impactLabel')}
              items={[
                { label: t('verdict.breaking'), value: impact.breaking },
                { label: t('verdict.partially_breaking'), value: impact.partiallyBreaking },
                { label: t('verdict.unaffected'), value: impact.unaffected },
                ...(impact.unknown ? [{ label: t('draft.unknown'), value: impact.unknown }] : []),
              ]}
            />
          )}
          {!!m.suggestions?.length && (
            <section aria-label={t('draft.suggestionsTitle')}>
              <Text as="h4" variant="body-medium" weight="bold">
                {t('draft.suggestionsTitle')}
              </Text>
              <ul>
                {m.suggestions.map(s => (
                  <li key={s.id}>
                    <Flex align="center" gap="2">
                      <code>{one(s.change)}</code>
                      <Text variant="body-small" color="secondary">
                        {t('draft.where', { file: s.file, line: String(s.line) })} — {s.reason}
                      </Text>
                      {allowed && (
                        <>
                          <Button
                            size="small"
                            variant="secondary"
                            isDisabled={busy}
                            aria-label={t('draft.confirmLabel', { change: one(s.change) })}
                            onPress={() =>
                              run(`confirm:${s.id}`, () => rippleApi.decideDraftSuggestion(m.id, s.id, 'confirm'))
                            }
                          >
                            {t('draft.confirm')}
                          </Button>
                          <Button
                            size="small"
                            variant="tertiary"
                            isDisabled={busy}
                            aria-label={t('draft.rejectLabel', { change: one(s.change) })}
                            onPress={() =>
                              run(`reject:${s.id}`, () => rippleApi.decideDraftSuggestion(m.id, s.id, 'reject'))
                            }
                          >
                            {t('draft.reject')}
                          </Button>
                        </>
                      )}
                    </Flex>
                  </li>
                ))}
              </ul>
            </section>
          )}
          {!!m.undecided?.length && (
            <section aria-label={t('draft.undecidedTitle')}>
              <Text as="h4" variant="body-medium" weight="bold">
                {t('draft.undecidedTitle')}
              </Text>
              <ul>
                {m.undecided.map((u, i) => (
                  <li key={i}>
                    <Text variant="body-small">
                      {t('draft.where', { file: u.file, line: String(u.line) })}: {u.reason}
                    </Text>
                  </li>
                ))}
              </ul>
            </section>
          )}
          {error !== undefined && <ErrorPanel title={t('draft.actionError')} error={error} />}
          {allowed && (
            <Flex gap="2">
              <Button
                variant="primary"
                isDisabled={busy || !m.change.changes.length}
                onPress={() =>
                  run('start', async () => {
                    await rippleApi.analyzeMigration(m.id);
                    if (migrationLink) navigate(migrationLink(m.id));
                  })
                }
              >
                {t('draft.start')}
              </Button>
              <Button
                variant="secondary"
                isDisabled={busy}
                onPress={() => run('discard', () => rippleApi.discardDraft(m.id))}
              >
                {t('draft.discard')}
              </Button>
            </Flex>
          )}
        </Flex>
      </CardBody>
    </Card>
  );
}
