import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { latestOf } from './DatabaseValidationStore';
import { insertReview } from './reviews';
import { insertEvent } from './rows';
import type { RolloutStore } from './RolloutStore';

/**
 * Records an approval by the rollout's auto-approval policy for every
 * consumer of the migration whose current patch is `rewritten`, not stale
 * and not reviewed: a review like a person's (with its `review-recorded`
 * event), so the patch counts as approved everywhere a decision is read.
 * Each review is conditional on the consumer still pointing at that patch
 * without a review, so a person's review or a new patch version written
 * meanwhile (or another replica's auto-approval) wins and is kept.
 *
 * With `requireValidation` (the rollout's plan), only patches whose latest
 * validation `passed`, or was `skipped` with its reason, are approved: the
 * others wait, and a later step approves each once its validation passes
 * (docs/validation.md, "Requiring validation").
 */
export async function recordAutoApprovals(
  db: Knex,
  input: Parameters<RolloutStore['recordAutoApprovals']>[0],
): Promise<{ consumerRef: string; patchId: number; reviewId: number }[]> {
  const { migrationId, autoApproval } = input;
  return db.transaction(async trx => {
    const query = trx('migration_consumer as c')
      .join('patch as p', 'p.id', 'c.current_patch_id')
      .where('c.migration_id', migrationId)
      .whereNull('c.removed_at')
      .whereNull('c.current_review_id')
      .where('p.status', 'rewritten')
      .where('p.stale', false);
    if (input.requireValidation) {
      // The same rule as validationVerdict (src/validation/requirement.ts).
      query
        .join('validation as v', join =>
          join
            .on('v.patch_id', 'p.id')
            .andOn('v.id', '=', latestOf(trx, 'p.id')),
        )
        .where(counts =>
          counts
            .where('v.status', 'passed')
            .orWhere(skipped =>
              skipped
                .where('v.status', 'skipped')
                .whereNotNull('v.reason')
                .whereNot('v.reason', ''),
            ),
        );
    }
    const rows: {
      consumer_id: number;
      consumer_ref: string;
      patch_id: number;
      version: number;
    }[] = await query
      .orderBy('c.consumer_ref', 'asc')
      .limit(input.limit ?? 500)
      .select(
        'c.id as consumer_id',
        'c.consumer_ref',
        'p.id as patch_id',
        'p.version',
      );
    const now = new Date();
    const approved = [];
    for (const row of rows) {
      const reviewId = await insertReview(trx, row.consumer_id, null, {
        patch_id: row.patch_id,
        sequence: 1,
        decision: 'approve',
        reviewer: autoApproval.reviewer,
        comment: autoApproval.reason,
        created_at: now,
      });
      if (reviewId === undefined) {
        throw new ConflictError(
          `${row.consumer_ref} was reviewed meanwhile; its auto-approval is retried`,
        );
      }
      await insertEvent(trx, {
        migrationId,
        type: 'review-recorded',
        message: `Patch version ${row.version} of ${row.consumer_ref} auto-approved by ${autoApproval.reviewer}: ${autoApproval.reason}`,
        actor: autoApproval.reviewer,
        consumerRef: row.consumer_ref,
        data: {
          reviewId,
          patchId: row.patch_id,
          decision: 'approve',
          policy: autoApproval.reviewer,
        },
        now,
      });
      approved.push({
        consumerRef: row.consumer_ref,
        patchId: row.patch_id,
        reviewId,
      });
    }
    return approved;
  });
}
