import { Alert, Button, ButtonLink, Flex, Text } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  reviewableMigrationStates,
  ripplePatchReviewPermission,
  type Consumer,
  type Migration,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useLoad } from '../../hooks/useLoad';
import { rippleTranslationRef } from '../../translation';
import { ErrorPanel, Loading, age } from '../common/Feedback';
import { PatchDiff } from '../common/PatchDiff';
import { StatusBadge } from '../common/StatusBadge';
import { consumerStatus, verdictStatus } from '../common/status';
import { MarkMerged } from './MarkMerged';
import { ReviewForm, validationBlock } from './ReviewForm';
import { ValidationPanel } from './ValidationPanel';

/**
 * One consumer of a migration: its status, the diff with the engine's
 * reasons under the lines they are about,
 * its latest validation, the history of reviews and, for those allowed to review it (the
 * `ripple.patch.review` permission on the consumer's entity), the review
 * form, the button that validates the patch again and, once it is
 * delivered, the one that marks it merged.
 */
export function ConsumerDetail(props: {
  migration: Migration;
  consumer: Consumer;
  onChanged: () => void;
  onClose?: () => void;
  /** On the consumer's own entity page its name is already the page's title. */
  hideName?: boolean;
  /**
   * The rollout plan requires validation (`plan.requireValidation` of the
   * migration's rollout, or the plan it would start with): an approval
   * needs the patch's validation to count.
   */
  requireValidation?: boolean;
}) {
  const {
    migration,
    consumer,
    onChanged,
    onClose,
    hideName,
    requireValidation,
  } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const patch = useLoad(
    () =>
      consumer.patch
        ? rippleApi.getConsumerPatch(migration.id, consumer.consumerRef)
        : Promise.resolve(undefined),
    [rippleApi, migration.id, consumer.consumerRef],
    // A new patch, decision or validation is loaded in place: the form and
    // its message stay. (The consumer carries its validation's summary; the
    // patch, the whole validation.)
    {
      refreshKey: `${consumer.patch?.id}:${consumer.decision?.id}:${consumer.validation?.id}:${consumer.validation?.status}`,
    },
  );
  const permission = usePermission({
    permission: ripplePatchReviewPermission,
    resourceRef: consumer.consumerRef,
  });
  const reviewable = reviewableMigrationStates.includes(migration.state);

  return (
    <section
      aria-label={t('consumerDetail.label', { consumer: consumer.consumerRef })}
    >
      <Flex direction="column" gap="4">
        <Flex justify="between" align="center" gap="3">
          <Flex align="center" gap="3">
            {!hideName && (
              <Text as="h3" variant="title-small">
                <EntityRefLink entityRef={consumer.consumerRef} />
              </Text>
            )}
            <StatusBadge status={consumerStatus(consumer, t)} />
          </Flex>
          {onClose && (
            <Button variant="tertiary" onPress={onClose}>
              {t('consumerDetail.close')}
            </Button>
          )}
        </Flex>
        <Text as="p" color="secondary">
          {consumer.discoveredBy === 'catalog'
            ? t('consumerDetail.foundThroughCatalog')
            : t('consumerDetail.foundThroughCode')}
          {consumer.impact &&
            t('consumerDetail.impact', {
              references: t('consumerDetail.references', {
                count: consumer.impact.references,
              }),
              files: t('consumerDetail.files', {
                count: consumer.impact.files.length,
              }),
            })}
          {consumer.wave !== undefined &&
            t('consumerDetail.wave', { wave: String(consumer.wave) })}
          {consumer.delivery &&
            t('consumerDetail.delivery', {
              status: consumer.delivery.status,
              method: consumer.delivery.method,
            })}
          {consumer.health &&
            (consumer.healthSource
              ? t('consumerDetail.healthFrom', {
                  health: consumer.health,
                  source: consumer.healthSource,
                })
              : t('consumerDetail.health', { health: consumer.health }))}
        </Text>
        <VerdictReasons consumer={consumer} />
        {consumer.health === 'unhealthy' && consumer.healthReason && (
          <Text as="p" color="danger">
            {t('consumerDetail.unhealthy', { reason: consumer.healthReason })}
          </Text>
        )}
        {consumer.delivery?.checks === 'failing' && (
          <Alert
            status="danger"
            icon
            title={t('consumerDetail.checksFailing')}
            description={
              <Flex direction="column" gap="1">
                {(consumer.delivery.failedChecks ?? []).map(check =>
                  check.url ? (
                    <a
                      key={check.name}
                      href={check.url}
                      target="_blank"
                      rel="noreferrer"
                    >
                      {check.name}
                    </a>
                  ) : (
                    <Text key={check.name}>{check.name}</Text>
                  ),
                )}
              </Flex>
            }
          />
        )}
        {consumer.delivery?.url && (
          <Text as="p">
            <a href={consumer.delivery.url} target="_blank" rel="noreferrer">
              {t('consumerDetail.seeDelivery', {
                method: consumer.delivery.method,
              })}
            </a>
          </Text>
        )}
        {consumer.waitingForMerge?.overdue && (
          <Alert
            status="warning"
            icon
            title={t('status.consumer.mergeOverdue')}
          />
        )}
        {consumer.delivery?.status === 'delivered' && permission.allowed && (
          <MarkMerged
            migrationId={migration.id}
            consumerRef={consumer.consumerRef}
            onMarked={onChanged}
          />
        )}
        {!consumer.patch && (
          <Alert
            status="warning"
            icon
            title={t('consumerDetail.noPatchTitle')}
            description={t('consumerDetail.noPatchDescription')}
          />
        )}
        {patch.loading && (
          <Loading label={t('consumerDetail.patchLoading')} rows={4} />
        )}
        {patch.error && (
          <ErrorPanel
            title={t('consumerDetail.patchError')}
            error={patch.error}
          />
        )}
        {patch.value && (
          <>
            <Flex direction="column" gap="2">
              <Text as="h4" variant="title-x-small">
                {t('consumerDetail.patchTitle', {
                  version: String(patch.value.patch.version),
                  status: patch.value.patch.status.replace('_', ' '),
                })}
                {patch.value.patch.stale && t('consumerDetail.stale')}
                {patch.value.patch.engineVersion &&
                  t('consumerDetail.engineVersion', {
                    version: patch.value.patch.engineVersion,
                  })}
              </Text>
              {!patch.value.patch.diff && (
                <Text as="p" color="secondary">
                  {t('consumerDetail.nothingToEdit')}
                </Text>
              )}
              <div aria-label={t('consumerDetail.diffLabel')} role="region">
                <PatchDiff
                  diff={patch.value.patch.diff}
                  reasons={patch.value.patch.reasons}
                  reasonsLabel={t('consumerDetail.reasonsLabel')}
                />
              </div>
              {patch.value.patch.diff && (
                <Flex>
                  <ButtonLink
                    variant="tertiary"
                    href={`data:text/x-diff;charset=utf-8,${encodeURIComponent(
                      patch.value.patch.diff,
                    )}`}
                    download={`${consumer.consumerRef.replace(
                      /[:/]/g,
                      '-',
                    )}.diff`}
                  >
                    {t('consumerDetail.downloadDiff')}
                  </ButtonLink>
                </Flex>
              )}
            </Flex>
            {patch.value.validation && (
              <ValidationPanel
                migrationId={migration.id}
                consumerRef={consumer.consumerRef}
                validation={patch.value.validation}
                canValidate={permission.allowed && !patch.value.patch.stale}
                onValidated={onChanged}
              />
            )}
            <Flex direction="column" gap="2">
              <Text as="h4" variant="title-x-small">
                {t('consumerDetail.reviews')}
              </Text>
              {patch.value.reviews.length === 0 ? (
                <Text as="p" color="secondary">
                  {t('consumerDetail.noReview')}
                </Text>
              ) : (
                <ul aria-label={t('consumerDetail.reviews')}>
                  {patch.value.reviews.map(r => (
                    <li key={r.id}>
                      <Text>
                        {t('consumerDetail.review', {
                          decision: (
                            <strong>
                              {r.decision === 'approve'
                                ? t('consumerDetail.approved')
                                : t('consumerDetail.rejected')}
                            </strong>
                          ),
                          reviewer: (
                            <EntityRefLink entityRef={r.reviewer} hideIcon />
                          ),
                          age: age(r.createdAt, t),
                        })}
                        {r.patchId !== patch.value!.patch.id &&
                          t('consumerDetail.olderVersion')}
                        {r.comment &&
                          t('consumerDetail.comment', { comment: r.comment })}
                      </Text>
                    </li>
                  ))}
                </ul>
              )}
            </Flex>
            {reviewable &&
              !patch.value.patch.stale &&
              patch.value.patch.status !== 'unaffected' &&
              (permission.allowed ? (
                <ReviewForm
                  migrationId={migration.id}
                  patch={patch.value.patch}
                  reviews={patch.value.reviews}
                  validationBlocked={
                    requireValidation
                      ? validationBlock(
                          consumer.validation,
                          patch.value.patch.id,
                        )
                      : undefined
                  }
                  onReviewed={() => {
                    patch.reload();
                    onChanged();
                  }}
                />
              ) : (
                !permission.loading && (
                  <Text as="p" color="secondary">
                    {t('consumerDetail.onlyOwners', {
                      consumer: consumer.consumerRef,
                    })}
                  </Text>
                )
              ))}
          </>
        )}
      </Flex>
    </section>
  );
}

/** The engine's verdict on the consumer and its reasons, each at `path:line`. */
function VerdictReasons({ consumer }: { consumer: Consumer }) {
  const { t } = useTranslationRef(rippleTranslationRef);
  const verdict = verdictStatus(consumer.impact, t);
  if (!verdict) {
    return null;
  }
  return (
    <Flex direction="column" gap="1">
      <Flex align="center" gap="2">
        <Text as="h4" variant="title-x-small">
          {t('consumerDetail.verdictTitle')}
        </Text>
        <StatusBadge status={verdict} />
      </Flex>
      <ul aria-label={t('consumerDetail.verdictReasons')}>
        {consumer.impact?.reasons?.map((reason, i) => (
          <li key={i}>
            <Text variant="body-small">
              {reason.path
                ? t('consumerDetail.verdictReason', {
                    place: reason.line
                      ? `${reason.path}:${reason.line}`
                      : reason.path,
                    message: reason.message,
                  })
                : reason.message}
            </Text>
          </li>
        ))}
      </ul>
    </Flex>
  );
}
