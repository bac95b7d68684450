import type { Patch } from '@ripple/backstage-plugin-ripple-common';
import type { MigrationStore } from '../database/MigrationStore';
import type { RolloutStore } from '../database/RolloutStore';

/** Patch statuses with an edit to deliver. */
export const DELIVERABLE = new Set(['rewritten', 'needs_edit']);

/**
 * The patch to deliver to a consumer, read under its claim: the version
 * `approvedPatchId` exactly, and only while it is still the consumer's
 * current patch, not stale, deliverable, and approved by the latest review
 * of it. Otherwise undefined, and nothing is delivered: a refresh between
 * the approval's read and the claim (a new version, a stale one) must not
 * slip an unreviewed version through, nor an outdated one.
 */
export async function approvedPatch(
  store: Pick<MigrationStore, 'getConsumer'>,
  rollouts: Pick<RolloutStore, 'getPatch'>,
  migrationId: string,
  consumerRef: string,
  approvedPatchId: number,
): Promise<Patch | undefined> {
  const consumer = await store.getConsumer(migrationId, consumerRef);
  const current = consumer?.patch;
  if (
    !current ||
    current.id !== approvedPatchId ||
    current.stale ||
    !DELIVERABLE.has(current.status) ||
    consumer.decision?.decision !== 'approve' ||
    consumer.decision.patchId !== approvedPatchId
  ) {
    return undefined;
  }
  const patch = await rollouts.getPatch(
    migrationId,
    consumerRef,
    approvedPatchId,
  );
  return patch && !patch.stale ? patch : undefined;
}
