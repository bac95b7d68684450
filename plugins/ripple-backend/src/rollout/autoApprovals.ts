import type { RolloutPlanRequest } from '@ripple/backstage-plugin-ripple-common';
import type { AutoApproval } from '../database/RolloutStore';
import type { RolloutContext } from './RolloutContext';

/**
 * Records the auto-approval policy's approval of every `rewritten`,
 * unreviewed current patch of the migration, each audited as a person's
 * review is (`patch-review`, its reviewer the policy). With
 * `requireValidation` (the plan's), only of those whose validation passed
 * or was skipped with its reason: the others wait for a later step, which
 * runs when a validation is recorded, or at the next scheduled run.
 */
export async function recordAutoApprovals(
  context: RolloutContext,
  migrationId: string,
  autoApproval: AutoApproval | undefined,
  requireValidation: boolean,
): Promise<void> {
  if (!autoApproval) return;
  const { auditor } = context.options;
  for (;;) {
    let approved;
    try {
      approved = await context.rollouts.recordAutoApprovals({
        migrationId,
        autoApproval,
        requireValidation,
      });
    } catch (error) {
      const event = await auditor?.createEvent({
        eventId: 'patch-review',
        severityLevel: 'medium',
        meta: {
          migrationId,
          decision: 'approve',
          reviewer: autoApproval.reviewer,
        },
      });
      await event?.fail({ error: error as Error });
      // A person's review or another replica won a race: the next step
      // approves what is left.
      context.logger.info(
        `Auto-approvals of migration ${migrationId} left for the next step: ${error}`,
      );
      return;
    }
    for (const { consumerRef, patchId, reviewId } of approved) {
      const event = await auditor?.createEvent({
        eventId: 'patch-review',
        severityLevel: 'medium',
        meta: {
          migrationId,
          consumerRef,
          patchId,
          reviewId,
          decision: 'approve',
          reviewer: autoApproval.reviewer,
          comment: autoApproval.reason,
        },
      });
      await event?.success();
    }
    if (approved.length < 500) return;
  }
}

/**
 * Who auto-approves: the start request's plan when it asks for it (the
 * person starting the rollout chose it), else the config. The reason (each
 * auto-approval's comment) says when the plan requires validation too.
 */
export function autoApprovalPolicy(
  request: RolloutPlanRequest | undefined,
  actor: string,
  requireValidation = false,
): AutoApproval {
  const validated = requireValidation
    ? ', and the validation of the patch version passed (or was skipped with its reason), which the plan requires'
    : '';
  return request?.autoApprove
    ? {
        reviewer: 'policy:ripple/auto-approval-plan',
        reason: `the rollout plan ${actor} started sets autoApprove, and the dataset is not critical${validated}`,
      }
    : {
        reviewer: 'policy:ripple/auto-approval-config',
        reason: `the config ripple.rollout.autoApprove is true, and the dataset is not critical${validated}`,
      };
}
