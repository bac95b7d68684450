import { ConflictError } from '@backstage/errors';
import { reviewableMigrationStates } from '@ripple/backstage-plugin-ripple-common';
import type { Review } from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import { REQUIREMENT, validationVerdict } from '../validation/requirement';
import { toValidation, type ValidationRow } from './DatabaseValidationStore';
import type { NewReview } from './MigrationStore';
import {
  describeStates,
  getConsumerRow,
  getMigrationRow,
  getPatchRow,
  insertEvent,
  insertReturningId,
  ref,
  ReviewRow,
  toReview,
  uniqueToConflict,
} from './rows';

// A patch's reviews (DatabaseMigrationStore): each is numbered per patch,
// and a review made from a stale view of the latest one is refused.

export async function recordReview(
  db: Knex,
  input: NewReview,
): Promise<Review> {
  const consumerRef = ref(input.consumerRef);
  const reviewer = ref(input.reviewer);
  return db.transaction(async trx => {
    const migration = await getMigrationRow(trx, input.migrationId);
    if (!reviewableMigrationStates.includes(migration.state)) {
      throw new ConflictError(
        `Migration ${input.migrationId} is ${
          migration.state
        }; patches are reviewed only when it is ${describeStates(
          reviewableMigrationStates,
        )}`,
      );
    }
    const consumer = await getConsumerRow(trx, input.migrationId, consumerRef);
    const patch = await getPatchRow(trx, consumer, input.patchId);
    if (patch.id !== consumer.current_patch_id) {
      throw new ConflictError(
        `Patch ${patch.id} (version ${patch.version}) of ${consumerRef} was superseded by patch ${consumer.current_patch_id}; review the current one`,
      );
    }
    if (patch.stale) {
      throw new ConflictError(
        `Patch ${patch.id} of ${consumerRef} is stale: the code changed since it was made, and a new version will replace it`,
      );
    }
    // An approval is a go for delivery, and an empty patch has nothing to
    // deliver: the engine left every edit to a person.
    if (input.decision === 'approve' && !patch.diff.trim()) {
      throw new ConflictError(
        `Patch ${patch.id} of ${consumerRef} holds no edit to deliver (${patch.status}; see its reasons): change the consumer's code by hand, and the agent proposes a new patch from it; or reject this one`,
      );
    }
    if (input.decision === 'approve' && input.requireValidation) {
      const latest = await trx<ValidationRow>('validation')
        .where({ patch_id: patch.id })
        .orderBy('run', 'desc')
        .first();
      const verdict = validationVerdict(latest && toValidation(latest));
      if (!verdict.ok) {
        throw new ConflictError(
          `Patch version ${
            patch.version
          } of ${consumerRef} cannot be approved: ${REQUIREMENT}, and ${verdict.why.replace(
            /\.$/,
            '',
          )}. It can still be rejected.`,
        );
      }
    }
    const previousId = input.previousReviewId ?? null;
    if (consumer.current_review_id !== previousId) {
      const latest =
        consumer.current_review_id === null
          ? undefined
          : await trx<ReviewRow>('review')
              .where('id', consumer.current_review_id)
              .first();
      throw new ConflictError(
        latest
          ? `Patch ${patch.id} of ${consumerRef} was reviewed meanwhile: review ${latest.id} (${latest.decision} by ${latest.reviewer}) is the latest; read it and send its id as previousReviewId to replace it`
          : `Review ${previousId} is not the latest review of patch ${patch.id} of ${consumerRef}: it has none`,
      );
    }
    const previous = previousId
      ? await trx<ReviewRow>('review').where({ id: previousId }).first()
      : undefined;
    const now = new Date();
    const row: Omit<ReviewRow, 'id'> = {
      patch_id: patch.id,
      sequence: (previous?.sequence ?? 0) + 1,
      decision: input.decision,
      reviewer,
      comment: input.comment ?? null,
      created_at: now,
    };
    const conflict = `Patch ${patch.id} of ${consumerRef} was reviewed by someone else at the same time; read the latest review and try again`;
    const id = await insertReview(trx, consumer.id, previousId, row).catch(
      error => {
        throw uniqueToConflict(error, conflict);
      },
    );
    if (id === undefined) {
      throw new ConflictError(conflict);
    }
    await insertEvent(trx, {
      migrationId: input.migrationId,
      type: 'review-recorded',
      message: `${reviewer} ${
        input.decision === 'approve' ? 'approved' : 'rejected'
      } patch version ${patch.version} of ${consumerRef}`,
      actor: reviewer,
      consumerRef,
      data: { reviewId: id, patchId: patch.id, decision: input.decision },
      now,
    });
    return toReview({ ...row, id }, input.migrationId, consumerRef);
  });
}

/**
 * Inserts a review and points its consumer at it, if the consumer still
 * points at the reviewed patch and at `previousReviewId` (the second guard
 * against a racing review, after the unique sequence); undefined otherwise.
 * Shared by people's reviews and the rollout's auto-approvals.
 */
export async function insertReview(
  trx: Knex.Transaction,
  consumerId: number,
  previousReviewId: number | null,
  row: Omit<ReviewRow, 'id'>,
): Promise<number | undefined> {
  const id = await insertReturningId(trx, 'review', row);
  const updated = await trx('migration_consumer')
    .where({
      id: consumerId,
      current_patch_id: row.patch_id,
      current_review_id: previousReviewId,
    })
    .update({ current_review_id: id, updated_at: row.created_at });
  return updated === 1 ? id : undefined;
}

export async function listReviews(
  db: Knex,
  migrationId: string,
  consumerRef: string,
): Promise<Review[]> {
  const key = ref(consumerRef);
  const rows = await db<ReviewRow>('review as r')
    .join('patch as p', 'p.id', 'r.patch_id')
    .join('migration_consumer as c', 'c.id', 'p.consumer_id')
    .where({ 'c.migration_id': migrationId, 'c.consumer_ref': key })
    .orderBy('r.id', 'desc')
    .select('r.*');
  return rows.map(row => toReview(row, migrationId, key));
}
