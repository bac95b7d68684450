import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { insertCompatView } from './compatViewRows';
import { moveMigration } from './migrationState';
import { casRollout, getRolloutRow } from './rolloutRows';
import { getMigrationRow, insertEvent, ref } from './rows';
import type { NewRollout, RolloutStore } from './RolloutStore';

// The rollout's moves through its waves (DatabaseRolloutStore): the start,
// an advance, a resume and the consumers joining late. Each is one
// transaction with its events; the migration's state moves through
// migrationState.ts, the rollout's wave through a compare-and-set on its
// version.

/**
 * Starts a rollout: the migration moves from `from` to `rolling_out`, the
 * waves and consumers are written, and the first wave starts. With
 * `compatView`, the compatibility view is recorded as applied (or
 * overridden) in the same transaction: a start that fails marks nothing.
 */
export async function startRollout(db: Knex, input: NewRollout): Promise<void> {
  const { migrationId } = input;
  await db.transaction(async trx => {
    const now = new Date();
    await moveMigration(trx, {
      migrationId,
      to: 'rolling_out',
      actor: input.actor,
      message: `Rollout started: ${input.waves
        .map(w => `${w.name} (${w.consumers.length})`)
        .join(', ')}`,
    });
    // After the state's compare-and-set: of two starts racing, the second
    // fails there (a conflict the service settles), not on this row.
    if (input.compatView) {
      await insertCompatView(trx, { migrationId, ...input.compatView });
    }
    await trx('rollout').insert({
      migration_id: migrationId,
      plan: JSON.stringify(input.plan),
      critical: input.critical,
      current_wave: 0,
      paused_reason: null,
      health_read_at: null,
      version: 1,
      auto_approver: input.autoApproval?.reviewer ?? null,
      auto_approval_reason: input.autoApproval?.reason ?? null,
      created_at: now,
      updated_at: now,
    });
    if (input.waves.length) {
      await trx('rollout_wave').insert(
        input.waves.map((wave, index) => ({
          migration_id: migrationId,
          wave_index: index,
          name: wave.name,
          started_at: index === 0 ? now : null,
          completed_at: null,
        })),
      );
    }
    let position = 0;
    const rows = input.waves.flatMap((wave, index) =>
      wave.consumers.map(consumerRef => ({
        migration_id: migrationId,
        consumer_ref: ref(consumerRef),
        wave_index: index,
        position: position++,
        delivery_status: index === 0 ? 'pending' : null,
        held: false,
        health: 'unknown',
        updated_at: now,
      })),
    );
    // Chunks keep each insert under SQLite's limit on bound parameters.
    for (let i = 0; i < rows.length; i += 500) {
      await trx('rollout_consumer').insert(rows.slice(i, i + 500));
    }
    await insertEvent(trx, {
      migrationId,
      type: 'rollout-started',
      message: `Rollout started in ${input.waves.length} waves over ${rows.length} consumers`,
      actor: ref(input.actor),
      data: {
        plan: input.plan,
        waves: input.waves.map(w => ({
          name: w.name,
          consumers: w.consumers.length,
        })),
      },
      now,
    });
    if (input.waves.length) {
      await insertEvent(
        trx,
        waveStartedEvent(migrationId, 0, input.waves[0].name, now),
      );
    }
  });
}

/**
 * Completes the active wave `fromWave` and starts the next one, or
 * completes the migration after the last one. Nothing happens (false)
 * when the rollout is no longer at `fromWave`: another advance won.
 */
export async function advanceRollout(
  db: Knex,
  input: Parameters<RolloutStore['advance']>[0],
): Promise<boolean> {
  const { migrationId, fromWave } = input;
  return db.transaction(async trx => {
    const migration = await getMigrationRow(trx, migrationId);
    if (migration.state !== 'rolling_out') {
      throw new ConflictError(
        `Migration ${migrationId} is ${migration.state}; only a rollout that is rolling out advances`,
      );
    }
    const row = await getRolloutRow(trx, migrationId);
    if (row.current_wave !== fromWave) {
      return false;
    }
    const waves = await trx('rollout_wave')
      .where('migration_id', migrationId)
      .orderBy('wave_index', 'asc');
    const now = new Date();
    await casRollout(trx, row, {
      current_wave: Math.min(fromWave + 1, waves.length - 1),
    });
    const current = waves[fromWave];
    await trx('rollout_wave')
      .where({ migration_id: migrationId, wave_index: fromWave })
      .update({ completed_at: now });
    await insertEvent(trx, {
      migrationId,
      type: 'wave-completed',
      message: `Wave ${current.name} completed: ${input.message}`,
      actor: input.actor && ref(input.actor),
      data: { wave: fromWave },
      now,
    });
    const next = waves[fromWave + 1];
    if (!next) {
      await moveMigration(trx, {
        migrationId,
        to: 'completed',
        actor: input.actor,
        message: 'Rollout completed: every wave is delivered',
      });
      return true;
    }
    await trx('rollout_wave')
      .where({ migration_id: migrationId, wave_index: fromWave + 1 })
      .update({ started_at: now });
    await trx('rollout_consumer')
      .where({ migration_id: migrationId, wave_index: fromWave + 1 })
      .whereNull('delivery_status')
      .update({ delivery_status: 'pending', updated_at: now });
    await insertEvent(
      trx,
      waveStartedEvent(migrationId, fromWave + 1, next.name, now, input.actor),
    );
    return true;
  });
}

/**
 * Moves the migration back to `rolling_out`: from `paused` where it was;
 * from `rolled_back` from its first wave again, every delivery reset.
 */
export async function resumeRollout(
  db: Knex,
  input: Parameters<RolloutStore['resume']>[0],
): Promise<void> {
  const { migrationId } = input;
  await db.transaction(async trx => {
    const row = await getRolloutRow(trx, migrationId);
    const { state: from } = await getMigrationRow(trx, migrationId);
    await moveMigration(trx, {
      migrationId,
      to: 'rolling_out',
      actor: input.actor,
      message:
        from === 'rolled_back'
          ? 'Rollout resumed from its first wave'
          : 'Rollout resumed',
    });
    const now = new Date();
    if (from === 'rolled_back') {
      await casRollout(trx, row, {
        paused_reason: null,
        current_wave: 0,
        health_read_at: null,
      });
      await trx('rollout_wave')
        .where('migration_id', migrationId)
        .update({ started_at: null, completed_at: null });
      await trx('rollout_wave')
        .where({ migration_id: migrationId, wave_index: 0 })
        .update({ started_at: now });
      await trx('rollout_consumer')
        .where('migration_id', migrationId)
        .update({
          delivery_status: trx.raw(
            `case when wave_index = 0 then 'pending' else null end`,
          ),
          held: false,
          health: 'unknown',
          health_reason: null,
          health_source: null,
          // From the canary again: a failed validation pauses it again.
          validation_paused_id: null,
          claimed_at: null,
          updated_at: now,
        });
      const first = await trx('rollout_wave')
        .where({ migration_id: migrationId, wave_index: 0 })
        .first();
      if (first) {
        await insertEvent(
          trx,
          waveStartedEvent(migrationId, 0, first.name, now, input.actor),
        );
      }
    } else {
      await casRollout(trx, row, { paused_reason: null });
    }
  });
}

/**
 * Consumers found after the rollout started whose current patch is now
 * approved join it: each goes into the first wave not yet started, or a
 * new last wave (`late`) when every wave has started, after every
 * consumer already planned, with a `consumer-joined` event. The rollout's
 * version is compare-and-set, so an advance racing with the join makes
 * one of them fail (and the step tries again) rather than start a wave
 * without the newcomer's delivery.
 */
export async function joinApproved(
  db: Knex,
  migrationId: string,
): Promise<{ consumerRef: string; wave: number }[]> {
  return db.transaction(async trx => {
    const rows = await approvedNewcomers(trx, migrationId);
    if (!rows.length) return [];
    const migration = await getMigrationRow(trx, migrationId);
    if (migration.state !== 'rolling_out' && migration.state !== 'paused') {
      return [];
    }
    const rollout = await getRolloutRow(trx, migrationId);
    const now = new Date();
    const { target, newWave } = await joinedWave(trx, migrationId);
    await casRollout(trx, rollout, {});
    const last = await trx('rollout_consumer')
      .where('migration_id', migrationId)
      .max({ position: 'position' })
      .first();
    let position = Number(last?.position ?? -1) + 1;
    for (const row of rows) {
      await trx('rollout_consumer').insert({
        migration_id: migrationId,
        consumer_ref: row.consumer_ref,
        wave_index: target.wave_index,
        position: position++,
        delivery_status: null,
        held: false,
        health: 'unknown',
        updated_at: now,
      });
      await insertEvent(trx, {
        migrationId,
        type: 'consumer-joined',
        message: `${
          row.consumer_ref
        }, found after the rollout started, joined wave ${target.name}${
          newWave
            ? ' (added as the last wave: every other wave had started)'
            : ''
        }`,
        consumerRef: row.consumer_ref,
        data: {
          wave: target.wave_index,
          waveName: target.name,
          newWave,
          patchId: row.patch_id,
        },
        now,
      });
    }
    return rows.map(r => ({
      consumerRef: r.consumer_ref,
      wave: target.wave_index,
    }));
  });
}

/** The consumers not in the rollout whose current patch is deliverable and approved. */
function approvedNewcomers(
  trx: Knex.Transaction,
  migrationId: string,
): Promise<{ consumer_ref: string; patch_id: number }[]> {
  return trx('migration_consumer as c')
    .join('patch as p', 'p.id', 'c.current_patch_id')
    .join('review as r', 'r.id', 'c.current_review_id')
    .leftJoin('rollout_consumer as rc', join =>
      join
        .on('rc.migration_id', 'c.migration_id')
        .andOn('rc.consumer_ref', 'c.consumer_ref'),
    )
    .where('c.migration_id', migrationId)
    .whereNull('c.removed_at')
    .whereNull('rc.id')
    .whereIn('p.status', ['rewritten', 'needs_edit'])
    .where('p.stale', false)
    .where('r.decision', 'approve')
    .orderBy('c.consumer_ref', 'asc')
    .select('c.consumer_ref', 'p.id as patch_id');
}

/**
 * The wave late consumers join: the first not started, or a new last one
 * (`late`, `late 2`, ...) when every wave has started.
 */
async function joinedWave(
  trx: Knex.Transaction,
  migrationId: string,
): Promise<{
  target: { wave_index: number; name: string };
  newWave: boolean;
}> {
  const waves = await trx('rollout_wave')
    .where('migration_id', migrationId)
    .orderBy('wave_index', 'asc');
  const next = waves.find(w => !w.started_at);
  if (next) return { target: next, newWave: false };
  const names = new Set(waves.map(w => w.name));
  let name = 'late';
  for (let n = 2; names.has(name); n++) name = `late ${n}`;
  const target = {
    migration_id: migrationId,
    wave_index: waves.length,
    name,
    started_at: null,
    completed_at: null,
  };
  await trx('rollout_wave').insert(target);
  return { target, newWave: true };
}

function waveStartedEvent(
  migrationId: string,
  index: number,
  name: string,
  now: Date,
  actor?: string,
) {
  return {
    migrationId,
    type: 'wave-started' as const,
    message: `Wave ${name} started`,
    actor: actor && ref(actor),
    data: { wave: index },
    now,
  };
}
