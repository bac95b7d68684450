import { useState } from 'react';
import { Alert, Flex, Text } from '@backstage/ui';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { rippleTranslationRef, type RippleT } from '../../translation';
import { Counts } from '../common/Counts';
import { PatchDiff } from '../common/PatchDiff';
import { StatusBadge } from '../common/StatusBadge';
import { type Status, verdictStatus } from '../common/status';
import styles from '../common/ripple.module.css';
import type { PreviewResult } from './livePreview';

const VERDICTS = ['breaking', 'partially_breaking', 'unaffected'] as const;

type Proposal = PreviewResult['consumers'][number]['status'];

// A consumer that needs an edit, or is unaffected, reads as it will once
// the migration exists: the same message as its status then.
function proposalStatus(status: Proposal, t: RippleT): Status {
  switch (status) {
    case 'rewritten':
      return { tone: 'active', label: t('status.proposal.rewritten') };
    case 'needs_edit':
      return { tone: 'active', label: t('status.consumer.needsEdit') };
    case 'error':
      return { tone: 'blocked', label: t('status.proposal.error') };
    default:
      return { tone: 'done', label: t('status.consumer.unaffected') };
  }
}

/**
 * The live preview's figures, the time it took, and each affected consumer
 * with its diff.
 */
export function PreviewSummary({
  preview,
  edit,
}: {
  preview: PreviewResult;
  edit: number;
}) {
  const { t } = useTranslationRef(rippleTranslationRef);
  const affected = preview.consumers.filter(c => c.status !== 'unaffected');
  const unmatched = preview.consumers.filter(c => c.warning);
  return (
    <>
      <Counts
        label={t('newMigration.summaryLabel')}
        items={[
          {
            label: t('newMigration.affected'),
            value: t('newMigration.affectedValue', {
              affected: String(preview.affected),
              total: String(preview.consumers.length),
            }),
          },
          {
            label: t('newMigration.referencesLabel'),
            value: preview.references,
          },
          {
            label: <StatusBadge status={proposalStatus('rewritten', t)} />,
            value: preview.rewritten,
          },
          {
            label: <StatusBadge status={proposalStatus('needs_edit', t)} />,
            value: preview.needsEdit + preview.errors,
          },
          // The consumers by the engine's verdict on them.
          ...VERDICTS.map(verdict => ({
            label: (
              <StatusBadge
                status={
                  verdictStatus({ files: [], references: 0, verdict }, t)!
                }
              />
            ),
            value: preview.consumers.filter(c => c.impact.verdict === verdict)
              .length,
          })),
        ]}
      />
      <Text
        variant="body-small"
        color="secondary"
        data-preview-ms={preview.millis.toFixed(2)}
        data-preview-edit={edit}
      >
        {t('newMigration.computed', {
          ms: preview.millis.toFixed(1),
          count: preview.consumers.length,
        })}
      </Text>
      {preview.dbt && (
        <Text variant="body-small" color="secondary">
          {t('newMigration.propertiesLeftOut')}
        </Text>
      )}
      {unmatched.length > 0 && <UnmatchedConsumers consumers={unmatched} />}
      {affected.length > 0 && (
        <ul
          className={styles.previewList}
          aria-label={t('newMigration.affectedList')}
        >
          {affected.map(c => (
            <li key={c.consumerRef}>
              <PreviewConsumer consumer={c} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function PreviewConsumer({
  consumer: c,
}: {
  consumer: PreviewResult['consumers'][number];
}) {
  // The diff is rendered only when opened: a change touching hundreds of
  // consumers stays quick to edit.
  const [open, setOpen] = useState(false);
  const { t } = useTranslationRef(rippleTranslationRef);
  return (
    <details onToggle={e => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>
        <strong>{c.consumerRef}</strong>
        <StatusBadge status={proposalStatus(c.status, t)} />
        <Text variant="body-small" color="secondary">
          {t('newMigration.consumerImpact', {
            references: t('newMigration.references', {
              count: c.impact.references,
            }),
            files:
              c.impact.files.map(f => f.path).join(', ') ||
              t('newMigration.noFile'),
            edits: t('newMigration.edits', { count: c.edits }),
          })}
        </Text>
      </summary>
      {open && (
        <Flex direction="column" gap="2" pt="2">
          <PatchDiff
            diff={c.diff}
            reasons={c.reasons}
            reasonsLabel={t('newMigration.whyNeedsEdit', {
              consumer: c.consumerRef,
            })}
          />
        </Flex>
      )}
    </details>
  );
}

/**
 * The consumers the catalog declares whose code names the dataset nowhere:
 * "unaffected" would hide a wrong table or a wrong code location.
 */
function UnmatchedConsumers({
  consumers,
}: {
  consumers: PreviewResult['consumers'];
}) {
  const { t } = useTranslationRef(rippleTranslationRef);
  return (
    <Alert
      status="warning"
      icon
      title={t('newMigration.unmatchedTitle', { count: consumers.length })}
      description={
        <Flex direction="column" gap="1">
          <Text variant="body-small">
            {t('newMigration.unmatchedDescription')}
          </Text>
          <ul aria-label={t('newMigration.unmatchedList')}>
            {consumers.map(({ consumerRef, warning }) => (
              <li key={consumerRef}>
                <Text variant="body-small">
                  {warning!.closest.length
                    ? t('newMigration.unmatchedClosest', {
                        consumer: consumerRef,
                        dataset: warning!.dataset,
                        closest: warning!.closest.join(', '),
                      })
                    : t('newMigration.unmatched', {
                        consumer: consumerRef,
                        dataset: warning!.dataset,
                      })}
                </Text>
              </li>
            ))}
          </ul>
        </Flex>
      }
    />
  );
}
