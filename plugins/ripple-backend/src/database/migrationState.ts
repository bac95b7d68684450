import { ConflictError } from '@backstage/errors';
import { migrationStatesLeadingTo } from '@ripple/backstage-plugin-ripple-common';
import type { MigrationState } from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import type { Transition } from './MigrationStore';
import {
  describeStates,
  getMigrationRow,
  insertEvent,
  MigrationRow,
  ref,
} from './rows';

/**
 * The one owner of `migration.state`: every write that moves a migration
 * (the migrations' store, the rollout's, the health signals) or depends on
 * the state it read goes through a compare-and-set here, so two racing
 * writes never both succeed.
 */

/** A migration's retry fields when it is not retrying an analysis. */
const NO_ANALYSIS_RETRY = {
  analysis_attempts: 0,
  analysis_retry_at: null,
  analysis_error: null,
};

/**
 * Moves a migration to `input.to` inside `trx` if the state machine allows
 * it from the state it is in, with its `state-changed` event; returns the
 * row as updated. Other writes that change the state with something else
 * (the rollout) call it in their own transaction.
 */
export async function moveMigration(
  trx: Knex.Transaction,
  input: Transition & { data?: Record<string, unknown> },
): Promise<MigrationRow> {
  const { migrationId, to } = input;
  const row = await getMigrationRow(trx, migrationId);
  const allowed = migrationStatesLeadingTo(to);
  if (!allowed.includes(row.state)) {
    throw new ConflictError(
      `Migration ${migrationId} is ${
        row.state
      }; it can become ${to} only from ${describeStates(allowed)}`,
    );
  }
  const now = new Date();
  // Compare-and-set on the state read above: of two racing moves, the
  // second finds the state changed and fails instead of overwriting.
  const updated = await trx('migration')
    .where({ id: migrationId, state: row.state })
    .update({ state: to, updated_at: now, ...NO_ANALYSIS_RETRY });
  if (updated !== 1) {
    throw new ConflictError(
      `Migration ${migrationId} changed state meanwhile; read it again`,
    );
  }
  await insertEvent(trx, {
    migrationId,
    type: 'state-changed',
    message: input.message ?? `State changed from ${row.state} to ${to}`,
    actor: input.actor && ref(input.actor),
    data: { ...input.data, from: row.state, to },
    now,
  });
  return { ...row, state: to, updated_at: now, ...NO_ANALYSIS_RETRY };
}

/**
 * Updates a migration's other fields inside `trx` only while it is still in
 * `state` (compare-and-set on the state): a racing move makes it a conflict.
 */
export async function updateWhileIn(
  trx: Knex.Transaction,
  migrationId: string,
  state: MigrationState,
  update: Record<string, unknown>,
): Promise<void> {
  const updated = await trx('migration')
    .where({ id: migrationId, state })
    .update(update);
  if (updated !== 1) {
    throw new ConflictError(`Migration ${migrationId} changed state meanwhile`);
  }
}
