import { Alert, Button, ButtonLink, Flex, Text } from '@backstage/ui';
import { CodeSnippet } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
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
import { ErrorPanel, Loading, age } from '../common/Feedback';
import { StatusBadge } from '../common/StatusBadge';
import { consumerStatus } from '../common/status';
import { ReviewForm } from './ReviewForm';

/**
 * One consumer of a migration: its status, the engine's reasons, the diff,
 * the history of reviews and, for those allowed to review it (the
 * `ripple.patch.review` permission on the consumer's entity), the review form.
 */
export function ConsumerDetail(props: {
  migration: Migration;
  consumer: Consumer;
  onChanged: () => void;
  onClose?: () => void;
  /** On the consumer's own entity page its name is already the page's title. */
  hideName?: boolean;
}) {
  const { migration, consumer, onChanged, onClose, hideName } = props;
  const rippleApi = useApi(rippleApiRef);
  const patch = useLoad(
    () =>
      consumer.patch
        ? rippleApi.getConsumerPatch(migration.id, consumer.consumerRef)
        : Promise.resolve(undefined),
    [rippleApi, migration.id, consumer.consumerRef, consumer.patch?.id, consumer.decision?.id],
  );
  const permission = usePermission({
    permission: ripplePatchReviewPermission,
    resourceRef: consumer.consumerRef,
  });
  const reviewable = reviewableMigrationStates.includes(migration.state);

  return (
    <section aria-label={`Consumer ${consumer.consumerRef}`}>
      <Flex direction="column" gap="4">
        <Flex justify="between" align="center" gap="3">
          <Flex align="center" gap="3">
            {!hideName && (
              <Text as="h3" variant="title-small">
                <EntityRefLink entityRef={consumer.consumerRef} />
              </Text>
            )}
            <StatusBadge status={consumerStatus(consumer)} />
          </Flex>
          {onClose && (
            <Button variant="tertiary" onPress={onClose}>
              Close
            </Button>
          )}
        </Flex>
        <Text as="p" color="secondary">
          Found through {consumer.discoveredBy === 'catalog' ? 'the catalog (dependsOn)' : 'its code'}
          {consumer.impact &&
            ` · ${consumer.impact.references} reference${consumer.impact.references === 1 ? '' : 's'} in ${consumer.impact.files.length} file${consumer.impact.files.length === 1 ? '' : 's'}`}
          {consumer.wave !== undefined && ` · wave ${consumer.wave}`}
          {consumer.delivery &&
            ` · delivery ${consumer.delivery.status} (${consumer.delivery.method})`}
          {consumer.health && ` · health ${consumer.health}`}
        </Text>
        {consumer.delivery?.url && (
          <Text as="p">
            <a href={consumer.delivery.url} target="_blank" rel="noreferrer">
              See the delivery ({consumer.delivery.method})
            </a>
          </Text>
        )}
        {!consumer.patch && (
          <Alert
            status="warning"
            icon
            title="No patch"
            description="Ripple found no code for this consumer: add a backstage.io/source-location annotation to its entity so the agent can read it."
          />
        )}
        {patch.loading && <Loading label="Loading the patch" rows={4} />}
        {patch.error && <ErrorPanel title="Could not load the patch" error={patch.error} />}
        {patch.value && (
          <>
            <Flex direction="column" gap="2">
              <Text as="h4" variant="title-x-small">
                Patch v{patch.value.patch.version} · {patch.value.patch.status.replace('_', ' ')}
                {patch.value.patch.stale && ' · stale'}
              </Text>
              {patch.value.patch.reasons.length > 0 && (
                <ul aria-label="The engine's reasons">
                  {patch.value.patch.reasons.map((r, i) => (
                    <li key={i}>
                      <Text>
                        <code>{r.path}</code>: {r.message}
                      </Text>
                    </li>
                  ))}
                </ul>
              )}
              {patch.value.patch.diff ? (
                <div aria-label="Diff" role="region">
                  <CodeSnippet text={patch.value.patch.diff} language="diff" showCopyCodeButton />
                </div>
              ) : (
                <Text as="p" color="secondary">
                  Nothing to edit.
                </Text>
              )}
              {patch.value.patch.diff && (
                <Flex>
                  <ButtonLink
                    variant="tertiary"
                    href={`data:text/x-diff;charset=utf-8,${encodeURIComponent(patch.value.patch.diff)}`}
                    download={`${consumer.consumerRef.replace(/[:/]/g, '-')}.diff`}
                  >
                    Download the diff
                  </ButtonLink>
                </Flex>
              )}
            </Flex>
            <Flex direction="column" gap="2">
              <Text as="h4" variant="title-x-small">
                Reviews
              </Text>
              {patch.value.reviews.length === 0 ? (
                <Text as="p" color="secondary">
                  No review yet.
                </Text>
              ) : (
                <ul aria-label="Reviews">
                  {patch.value.reviews.map(r => (
                    <li key={r.id}>
                      <Text>
                        <strong>{r.decision === 'approve' ? '✓ Approved' : '✕ Rejected'}</strong> by{' '}
                        <EntityRefLink entityRef={r.reviewer} hideIcon /> {age(r.createdAt)}
                        {r.patchId !== patch.value!.patch.id && ' (an older version)'}
                        {r.comment && `: “${r.comment}”`}
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
                  onReviewed={() => {
                    patch.reload();
                    onChanged();
                  }}
                />
              ) : (
                !permission.loading && (
                  <Text as="p" color="secondary">
                    Only the owners of {consumer.consumerRef} can review this patch.
                  </Text>
                )
              ))}
          </>
        )}
      </Flex>
    </section>
  );
}
