import { ConflictError } from '@backstage/errors';
import {
  reviewableMigrationStates,
  type Validation,
  type ValidationStatement,
  type ValidationStatementCounts,
  type ValidationSummary,
} from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  getConsumerRow,
  insertEvent,
  insertReturningId,
  ref,
  timestamp,
  type Timestamp,
  uniqueToConflict,
} from './rows';
import type {
  ValidationClaim,
  ValidationResult,
  ValidationStore,
  ValidationTask,
} from './ValidationStore';

export type ValidationRow = {
  id: number;
  patch_id: number;
  run: number;
  warehouse: string;
  status: Validation['status'] | null;
  reason: string | null;
  statements: string | null;
  passed_statements: number;
  failed_statements: number;
  skipped_statements: number;
  error_statements: number;
  duration_ms: number | null;
  sample: string | null;
  /** bigint: PostgreSQL gives it as text. */
  bytes_processed: number | string | null;
  requested_at: Timestamp;
  requested_by: string | null;
  started_at: Timestamp | null;
  claim_token: string | null;
  finished_at: Timestamp | null;
};

/**
 * A validation row's columns but its statements: what a summary reads.
 * The statements' JSON (checksums, samples of differing rows) is the heavy
 * part of a row, and the list of consumers never reads it.
 */
const SUMMARY_COLUMNS = [
  'id',
  'patch_id',
  'run',
  'warehouse',
  'status',
  'reason',
  'passed_statements',
  'failed_statements',
  'skipped_statements',
  'error_statements',
  'duration_ms',
  'sample',
  'bytes_processed',
  'requested_at',
  'requested_by',
  'started_at',
  'claim_token',
  'finished_at',
] as const;

/** Patch statuses with an edit: the others have nothing to run. */
const WITH_EDIT = ['rewritten', 'needs_edit'];

/** {@link ValidationStore} on the plugin's database (SQLite or PostgreSQL). */
export class DatabaseValidationStore implements ValidationStore {
  constructor(private readonly db: Knex) {}

  async listDatasets(): Promise<string[]> {
    const rows = await this.db('migration')
      .distinct('dataset_ref')
      .whereIn('state', reviewableMigrationStates);
    return rows.map(r => r.dataset_ref);
  }

  async listTasks(options: {
    datasetRefs: string[];
    claimedBefore: Date;
    limit: number;
  }): Promise<ValidationTask[]> {
    if (!options.datasetRefs.length) return [];
    const rows = await this.db('migration_consumer as c')
      .join('migration as m', 'm.id', 'c.migration_id')
      .join('patch as p', 'p.id', 'c.current_patch_id')
      .leftJoin('validation as v', join =>
        join
          .on('v.patch_id', 'p.id')
          .andOn('v.id', '=', latestOf(this.db, 'p.id')),
      )
      .whereNull('c.removed_at')
      .whereIn('m.state', reviewableMigrationStates)
      .whereIn('m.dataset_ref', options.datasetRefs.map(ref))
      .where('p.stale', false)
      .whereIn('p.status', WITH_EDIT)
      .whereNot('p.diff', '')
      .where(q =>
        q
          .whereNull('v.id')
          .orWhere(unfinished =>
            unfinished
              .whereNull('v.finished_at')
              .where(free =>
                free
                  .whereNull('v.started_at')
                  .orWhere('v.started_at', '<', options.claimedBefore),
              ),
          ),
      )
      .orderBy('p.id', 'asc')
      .limit(options.limit)
      .select(
        'm.id as migration_id',
        'm.dataset_ref',
        'm.change',
        'c.consumer_ref',
        'p.id as patch_id',
        'p.diff',
        'p.base_hash',
        'v.id as validation_id',
      );
    return rows.map(row => ({
      migrationId: row.migration_id,
      datasetRef: row.dataset_ref,
      change: JSON.parse(row.change),
      consumerRef: row.consumer_ref,
      patchId: Number(row.patch_id),
      diff: row.diff,
      baseHash: row.base_hash,
      ...(row.validation_id !== null && row.validation_id !== undefined
        ? { validationId: Number(row.validation_id) }
        : {}),
    }));
  }

  async claim(
    task: ValidationTask,
    warehouse: string,
    claimedBefore: Date,
  ): Promise<ValidationClaim | undefined> {
    const token = randomUUID();
    const now = new Date();
    const claim = (validationId: number) => ({
      validationId,
      token,
      migrationId: task.migrationId,
      consumerRef: task.consumerRef,
      patchId: task.patchId,
      warehouse,
    });
    if (task.validationId !== undefined) {
      const taken = await this.db('validation')
        .where({ id: task.validationId })
        .whereNull('finished_at')
        .where(free =>
          free
            .whereNull('started_at')
            .orWhere('started_at', '<', claimedBefore),
        )
        .update({ started_at: now, claim_token: token, warehouse });
      return taken ? claim(task.validationId) : undefined;
    }
    try {
      return await this.db.transaction(async trx =>
        claim(
          await insertReturningId(trx, 'validation', {
            patch_id: task.patchId,
            run: 1,
            warehouse,
            requested_at: now,
            started_at: now,
            claim_token: token,
          }),
        ),
      );
    } catch (error) {
      // Another runner inserted the first run meanwhile (the unique run).
      if (uniqueToConflict(error, '') instanceof ConflictError) {
        return undefined;
      }
      throw error;
    }
  }

  async finish(
    claim: ValidationClaim,
    result: ValidationResult,
  ): Promise<Validation | undefined> {
    return this.db.transaction(async trx => {
      const now = new Date();
      const updated = await trx('validation')
        .where({ id: claim.validationId, claim_token: claim.token })
        .whereNull('finished_at')
        .update({
          status: result.status,
          reason: result.reason ?? null,
          statements: JSON.stringify(result.statements),
          ...countColumns(statementCounts(result.statements)),
          duration_ms: Math.round(result.durationMs),
          sample: result.sample ?? null,
          bytes_processed: result.bytesProcessed ?? null,
          finished_at: now,
        });
      if (!updated) return undefined;
      const row = await trx<ValidationRow>('validation')
        .where({ id: claim.validationId })
        .first();
      const validation = toValidation(row!);
      await touch(trx, claim.migrationId, claim.consumerRef, now);
      await insertEvent(trx, {
        migrationId: claim.migrationId,
        type: 'validation-recorded',
        message: `Validation of ${claim.consumerRef}'s patch on warehouse ${
          claim.warehouse
        }: ${result.status}${result.reason ? ` (${result.reason})` : ''}`,
        consumerRef: claim.consumerRef,
        data: {
          validationId: validation.id,
          patchId: claim.patchId,
          status: result.status,
          warehouse: claim.warehouse,
        },
        now,
      });
      return validation;
    });
  }

  async request(input: {
    migrationId: string;
    consumerRef: string;
    patchId: number;
    warehouse: string;
    requestedBy: string;
  }): Promise<Validation> {
    const consumerRef = ref(input.consumerRef);
    try {
      return await this.db.transaction(async trx => {
        const consumer = await getConsumerRow(
          trx,
          input.migrationId,
          consumerRef,
        );
        if (consumer.current_patch_id !== input.patchId) {
          throw new ConflictError(
            `Patch ${input.patchId} is no longer the current patch of ${consumerRef}`,
          );
        }
        const latest = await trx<ValidationRow>('validation')
          .where({ patch_id: input.patchId })
          .orderBy('run', 'desc')
          .first();
        if (latest && latest.finished_at === null) {
          // Already asked for or running: that one answers.
          return toValidation(latest);
        }
        const row = {
          patch_id: input.patchId,
          run: (latest?.run ?? 0) + 1,
          warehouse: input.warehouse,
          requested_at: new Date(),
          requested_by: ref(input.requestedBy),
        };
        const id = await insertReturningId(trx, 'validation', row);
        await touch(trx, input.migrationId, consumerRef, row.requested_at);
        return toValidation({
          ...row,
          id,
          status: null,
          reason: null,
          statements: null,
          ...countColumns(statementCounts([])),
          duration_ms: null,
          sample: null,
          bytes_processed: null,
          started_at: null,
          claim_token: null,
          finished_at: null,
        });
      });
    } catch (error) {
      throw uniqueToConflict(
        error,
        `Another validation of ${consumerRef}'s patch was asked for meanwhile`,
      );
    }
  }

  async latest(
    migrationId: string,
    consumerRefs: string[],
  ): Promise<Map<string, Validation>> {
    const latest = new Map<string, Validation>();
    const refs = consumerRefs.map(ref);
    for (let i = 0; i < refs.length; i += 500) {
      const rows = await this.db('migration_consumer as c')
        .join('validation as v', join =>
          join
            .on('v.patch_id', 'c.current_patch_id')
            .andOn('v.id', '=', latestOf(this.db, 'c.current_patch_id')),
        )
        .where('c.migration_id', migrationId)
        .whereIn('c.consumer_ref', refs.slice(i, i + 500))
        .select('c.consumer_ref', 'v.*');
      for (const row of rows) {
        latest.set(row.consumer_ref, toValidation(row));
      }
    }
    return latest;
  }

  async summaries(
    migrationId: string,
    consumerRefs: string[],
  ): Promise<Map<string, ValidationSummary>> {
    const summaries = new Map<string, ValidationSummary>();
    const refs = consumerRefs.map(ref);
    for (let i = 0; i < refs.length; i += 500) {
      const rows = await this.db('migration_consumer as c')
        .join('validation as v', join =>
          join
            .on('v.patch_id', 'c.current_patch_id')
            .andOn('v.id', '=', latestOf(this.db, 'c.current_patch_id')),
        )
        .where('c.migration_id', migrationId)
        .whereIn('c.consumer_ref', refs.slice(i, i + 500))
        .select('c.consumer_ref', ...SUMMARY_COLUMNS.map(c => `v.${c}`));
      for (const row of rows) {
        summaries.set(row.consumer_ref, toSummary(row));
      }
    }
    return summaries;
  }
}

/**
 * Marks the migration and the consumer updated: the pages that show them
 * load a migration's consumers again when its `updatedAt` moves, so a
 * validation asked for or recorded shows without waiting for their slower
 * poll.
 */
async function touch(
  trx: Knex.Transaction,
  migrationId: string,
  consumerRef: string,
  now: Date,
): Promise<void> {
  await trx('migration').where({ id: migrationId }).update({ updated_at: now });
  await trx('migration_consumer')
    .where({ migration_id: migrationId, consumer_ref: ref(consumerRef) })
    .update({ updated_at: now });
}

/** The id of the latest validation of the patch `patchId` names (a column). */
export function latestOf(db: Knex, patchId: string): Knex.Raw {
  return db.raw(
    '(select max(lv.id) from validation lv where lv.patch_id = ??)',
    [patchId],
  );
}

/** How many statements have each status. */
function statementCounts(
  statements: Pick<ValidationStatement, 'status'>[],
): ValidationStatementCounts {
  const counts = { passed: 0, failed: 0, skipped: 0, error: 0 };
  for (const { status } of statements) {
    if (status in counts) counts[status as keyof typeof counts] += 1;
  }
  return counts;
}

function countColumns(counts: ValidationStatementCounts) {
  return {
    passed_statements: counts.passed,
    failed_statements: counts.failed,
    skipped_statements: counts.skipped,
    error_statements: counts.error,
  };
}

export function toValidation(row: ValidationRow): Validation {
  return {
    ...toSummary(row),
    statements: row.statements ? JSON.parse(row.statements) : [],
  };
}

function toSummary(row: Omit<ValidationRow, 'statements'>): ValidationSummary {
  return {
    id: Number(row.id),
    patchId: Number(row.patch_id),
    status: row.status ?? (row.started_at ? 'running' : 'pending'),
    warehouse: row.warehouse,
    ...(row.reason ? { reason: row.reason } : {}),
    statementCounts: {
      passed: Number(row.passed_statements),
      failed: Number(row.failed_statements),
      skipped: Number(row.skipped_statements),
      error: Number(row.error_statements),
    },
    ...(row.duration_ms !== null ? { durationMs: row.duration_ms } : {}),
    ...(row.sample ? { sample: row.sample } : {}),
    ...(row.bytes_processed !== null
      ? { bytesProcessed: Number(row.bytes_processed) }
      : {}),
    requestedAt: timestamp(row.requested_at),
    ...(row.started_at ? { startedAt: timestamp(row.started_at) } : {}),
    ...(row.finished_at ? { finishedAt: timestamp(row.finished_at) } : {}),
  };
}
