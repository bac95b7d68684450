import type { Patch } from '@ripple/backstage-plugin-ripple-common';
import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import {
  type CountDeltas,
  consumerCounts,
  patchChangeCounts,
} from './consumerCounts';
import type { ConsumerInput, NewPatch } from './MigrationStore';
import {
  ConsumerRow,
  getConsumerRow,
  getMigrationRow,
  insertEvent,
  insertReturningId,
  PatchRow,
  ref,
  toPatch,
  uniqueToConflict,
} from './rows';

// The writes of a consumer and of its patch, each inside a transaction its
// caller holds: alone (putConsumer, recordPatch) or both in one (the
// agent's putConsumerWithPatch). Each returns how it moves the migration's
// counts instead of counting, so that the caller counts once, last in the
// transaction (consumerCounts.ts, addCounts).

/**
 * Adds a consumer to a migration, or updates the impact of one already
 * there (see MigrationStore.putConsumer).
 */
export async function writeConsumer(
  trx: Knex.Transaction,
  input: ConsumerInput,
): Promise<CountDeltas> {
  const consumerRef = ref(input.consumerRef);
  await getMigrationRow(trx, input.migrationId);
  const now = new Date();
  const existing = await trx<ConsumerRow>('migration_consumer')
    .where({ migration_id: input.migrationId, consumer_ref: consumerRef })
    .first();
  if (existing) {
    // Added again: only the write that clears `removed_at` counts it
    // and records it, so two racing re-adds count it once.
    const readded = existing.removed_at
      ? await trx('migration_consumer')
          .where({ id: existing.id })
          .whereNotNull('removed_at')
          .update({ removed_at: null })
      : 0;
    await trx('migration_consumer')
      .where({ id: existing.id })
      .update({
        discovered_by: input.discoveredBy,
        impact: input.impact ? JSON.stringify(input.impact) : null,
        updated_at: now,
      });
    if (readded !== 1) return new Map();
    const row = await trx<ConsumerRow>('migration_consumer')
      .where({ id: existing.id })
      .first('current_patch_id');
    await insertEvent(trx, {
      migrationId: input.migrationId,
      type: 'consumer-added',
      message: `${consumerRef} reads the dataset again`,
      consumerRef,
      data: { discoveredBy: input.discoveredBy },
      now,
    });
    return consumerCounts(trx, row?.current_patch_id ?? null, 1);
  }
  await trx('migration_consumer').insert({
    migration_id: input.migrationId,
    consumer_ref: consumerRef,
    discovered_by: input.discoveredBy,
    impact: input.impact ? JSON.stringify(input.impact) : null,
    current_patch_id: null,
    current_review_id: null,
    created_at: now,
    updated_at: now,
  });
  await insertEvent(trx, {
    migrationId: input.migrationId,
    type: 'consumer-added',
    message:
      input.discoveredBy === 'catalog'
        ? `${consumerRef} declares it depends on the dataset`
        : `${consumerRef} reads the dataset in its code`,
    consumerRef,
    data: { discoveredBy: input.discoveredBy },
    now,
  });
  return consumerCounts(trx, null, 1);
}

/**
 * Makes the patch the consumer's current one, as a new version, unless it
 * equals the current one (see MigrationStore.recordPatch).
 */
export async function writePatch(
  trx: Knex.Transaction,
  input: NewPatch,
): Promise<{ patch: Patch; counts: CountDeltas }> {
  const consumerRef = ref(input.consumerRef);
  const consumer = await getConsumerRow(trx, input.migrationId, consumerRef);
  const current = consumer.current_patch_id
    ? await trx<PatchRow>('patch')
        .where({ id: consumer.current_patch_id })
        .first()
    : undefined;
  if (
    current &&
    !current.stale &&
    current.base_hash === input.baseHash &&
    current.diff === input.diff &&
    current.status === input.status
  ) {
    // The same patch from another engine version keeps its version
    // number and its reviews; only the version that made it is new.
    if (input.engineVersion && current.engine_version !== input.engineVersion) {
      await trx('patch')
        .where({ id: current.id })
        .update({ engine_version: input.engineVersion });
      return {
        patch: toPatch(
          { ...current, engine_version: input.engineVersion },
          consumer,
        ),
        counts: new Map(),
      };
    }
    return { patch: toPatch(current, consumer), counts: new Map() };
  }
  const now = new Date();
  const row: Omit<PatchRow, 'id'> = {
    consumer_id: consumer.id,
    version: (current?.version ?? 0) + 1,
    diff: input.diff,
    base_hash: input.baseHash,
    status: input.status,
    reasons: JSON.stringify(input.reasons),
    stale: false,
    created_at: now,
    engine_version: input.engineVersion ?? null,
  };
  const id = await insertReturningId(trx, 'patch', row).catch(error => {
    throw uniqueToConflict(
      error,
      `Another version ${row.version} of the patch of ${consumerRef} was recorded meanwhile`,
    );
  });
  const kinds = [...new Set(input.reasons.map(r => r.kind))];
  if (kinds.length) {
    await trx('patch_reason_kind').insert(
      kinds.map(kind => ({ patch_id: id, kind })),
    );
  }
  const updated = await trx('migration_consumer')
    .where({ id: consumer.id, current_patch_id: consumer.current_patch_id })
    .update({
      current_patch_id: id,
      current_review_id: null,
      updated_at: now,
    });
  if (updated !== 1) {
    throw new ConflictError(
      `The patch of ${consumerRef} changed meanwhile; analyse it again`,
    );
  }
  // Its reason facets move with the current patch while it is listed
  // (read after the update, which holds the row against a removal).
  const listed = await trx<ConsumerRow>('migration_consumer')
    .where({ id: consumer.id })
    .whereNull('removed_at')
    .first('id');
  await insertEvent(trx, {
    migrationId: input.migrationId,
    type: 'patch-proposed',
    message: `Patch version ${row.version} proposed for ${consumerRef} (${row.status})`,
    consumerRef,
    data: { patchId: id, version: row.version, status: row.status },
    now,
  });
  return {
    patch: toPatch({ ...row, id }, consumer),
    counts: listed
      ? await patchChangeCounts(trx, consumer.current_patch_id, kinds)
      : new Map(),
  };
}
