import { useState } from 'react';
import { Alert, Button, Flex, TextAreaField } from '@backstage/ui';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/frontend-plugin-api';
import type { Patch, Review, ReviewDecision, Validation } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../../api';
import { useAction } from '../../hooks/useAction';
import { rippleTranslationRef } from '../../translation';
import { errorMessage } from '../common/Feedback';

/**
 * Approve or reject a consumer's current patch, with a comment. The review
 * names the patch judged and the latest review of it shown here, so that a
 * decision recorded meanwhile by someone else is refused (409) rather than
 * silently overruled: the form then shows the backend's message, naming the
 * review that won, and the page reloads the patch. When the rollout plan
 * requires validation and the patch's does not count yet, Approve is off
 * and the form says why (the backend would refuse it, 409); Reject stays.
 */
export function ReviewForm(props: {
  migrationId: string;
  patch: Patch;
  reviews: Review[];
  onReviewed: () => void;
  /** What of the patch's validation keeps it from being approved, from {@link validationBlock}. */
  validationBlocked?: ValidationBlock;
}) {
  const { migrationId, patch, reviews, onReviewed, validationBlocked } = props;
  const rippleApi = useApi(rippleApiRef);
  const { t } = useTranslationRef(rippleTranslationRef);
  const [comment, setComment] = useState('');
  const action = useAction<ReviewDecision>({
    // The decision that won is loaded, for the reviewer to judge again.
    onError: e => isConflict(e) && onReviewed(),
  });
  const { pending } = action;
  const error = action.error === undefined
    ? undefined
    : { message: errorMessage(action.error), conflict: isConflict(action.error) };
  const [done, setDone] = useState<Review>();
  const latest = reviews.find(r => r.patchId === patch.id);
  // The backend refuses to approve a patch with nothing to deliver: the
  // engine left every edit to a person, who makes them in the code itself.
  const nothingToDeliver = !patch.diff.trim();

  const review = (decision: ReviewDecision) =>
    action.run(decision, async () => {
      const recorded = await rippleApi.reviewPatch(migrationId, patch.consumerRef, {
        decision,
        patchId: patch.id,
        ...(latest && { previousReviewId: latest.id }),
        ...(comment.trim() && { comment: comment.trim() }),
      });
      setDone(recorded);
      setComment('');
      onReviewed();
    });

  return (
    <Flex direction="column" gap="3" aria-label={t('review.label')} role="group">
      <TextAreaField
        label={t('review.comment')}
        description={t('review.commentDescription')}
        rows={3}
        value={comment}
        onChange={setComment}
      />
      {nothingToDeliver && (
        <Alert status="info" icon title={t('review.nothingToDeliver')} />
      )}
      {validationBlocked && !nothingToDeliver && (
        <Alert
          status="info"
          icon
          title={t('review.validationRequired', {
            why: t(`review.validationBlock.${validationBlocked}`),
          })}
        />
      )}
      <Flex gap="2">
        <Button
          variant="primary"
          onPress={() => review('approve')}
          isPending={pending === 'approve'}
          isDisabled={!!pending || nothingToDeliver || !!validationBlocked}
        >
          {t('review.approve')}
        </Button>
        <Button
          variant="secondary"
          destructive
          onPress={() => review('reject')}
          isPending={pending === 'reject'}
          isDisabled={!!pending}
        >
          {t('review.reject')}
        </Button>
      </Flex>
      {done && !error && (
        <Alert
          status="success"
          icon
          role="status"
          title={
            done.decision === 'approve'
              ? t('review.approved', { version: String(patch.version) })
              : t('review.rejected', { version: String(patch.version) })
          }
        />
      )}
      {error && (
        <Alert
          status={error.conflict ? 'warning' : 'danger'}
          icon
          role="alert"
          title={
            error.conflict
              ? t('review.conflictTitle')
              : t('review.errorTitle')
          }
          description={
            error.conflict
              ? t('review.conflictDescription', { message: error.message })
              : error.message
          }
        />
      )}
    </Flex>
  );
}

/** Why a patch's validation does not count for a plan that requires one. */
export type ValidationBlock = 'none' | 'pending' | 'running' | 'failed' | 'error' | 'skipped';

/**
 * What keeps a patch version from being approved under a rollout plan that
 * requires validation (the backend's rule): its latest validation must
 * have passed, or been skipped with its reason.
 */
export function validationBlock(
  validation: Pick<Validation, 'patchId' | 'status' | 'reason'> | undefined,
  patchId: number,
): ValidationBlock | undefined {
  if (!validation || validation.patchId !== patchId) return 'none';
  if (validation.status === 'passed') return undefined;
  if (validation.status === 'skipped') return validation.reason ? undefined : 'skipped';
  return validation.status;
}

/** A 409: someone else's review of the patch was recorded first. */
function isConflict(error: unknown): boolean {
  return (error as { response?: { status?: number } }).response?.status === 409;
}
