import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import type {
  CatalogEntitySummary,
  Consumer,
  Migration,
  MigrationEvent,
  Patch,
  Review,
} from '@ripple/backstage-plugin-ripple-common';
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import { catalogSummary } from './catalogSummary';
import { setStopped } from './killSwitch';
import * as timeline from './timeline';
import {
  ConsumerFilter,
  ConsumerInput,
  EntityRole,
  MigrationFilter,
  MigrationStore,
  NewEvent,
  NewMigration,
  NewPatch,
  NewReview,
  PatchInput,
  Page,
  PageRequest,
  PatchKey,
  Transition,
} from './MigrationStore';
import { moveMigration, updateWhileIn } from './migrationState';
import { factsByMigration, factsOf, NEW_MIGRATION_FACTS } from './progress';
import { listReviews, recordReview } from './reviews';
import {
  ConsumerRow,
  getConsumerRow,
  getMigrationRow,
  getPatchRow,
  insertEvent,
  MigrationRow,
  PatchRow,
  ref,
  toConsumer,
  toMigration,
  toPatch,
} from './rows';
import { applyDatabaseMigrations } from './schema';
import { filterByDeadline, setTargetDate } from './deadlines';
import { addCounts, countConsumer, mergeCounts } from './consumerCounts';
import { writeConsumer, writePatch } from './consumerWrites';
import { pageConsumers } from './consumerList';
import { newestFirst, pageMigrations } from './migrationLists';

// Kept for the imports that name this module (agent tests).
export { applyDatabaseMigrations } from './schema';

/** {@link MigrationStore} on the plugin's database (SQLite or PostgreSQL). */
export class DatabaseMigrationStore implements MigrationStore {
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
  }): Promise<DatabaseMigrationStore> {
    const { database, skipMigrations } = options;
    const client = await database.getClient();
    if (!database.migrations?.skip && !skipMigrations) {
      await applyDatabaseMigrations(client);
    }
    return new DatabaseMigrationStore(client);
  }

  constructor(private readonly db: Knex) {}

  async createMigration(input: NewMigration): Promise<Migration> {
    const now = new Date();
    const row: MigrationRow = {
      id: randomUUID(),
      dataset_ref: ref(input.datasetRef),
      change: JSON.stringify(input.change),
      title: input.title,
      owner: ref(input.owner),
      state: 'draft',
      created_by: ref(input.createdBy),
      created_at: now,
      updated_at: now,
      ...(input.targetDate ? { target_date: input.targetDate } : {}),
    };
    await this.db.transaction(async trx => {
      await trx('migration').insert(row);
      await insertEvent(trx, {
        migrationId: row.id,
        type: 'created',
        message: `Migration "${input.title}" created for ${row.dataset_ref}`,
        actor: row.created_by,
        now,
      });
    });
    return toMigration(row, NEW_MIGRATION_FACTS);
  }

  async getMigration(id: string): Promise<Migration | undefined> {
    const row = await this.db<MigrationRow>('migration').where({ id }).first();
    return row && toMigration(row, await factsOf(this.db, row.id));
  }

  async hasMigration(id: string): Promise<boolean> {
    return !!(await this.db('migration').where({ id }).first('id'));
  }

  async listMigrations(
    filter: MigrationFilter,
    page: PageRequest,
  ): Promise<Page<Migration>> {
    const query = this.db<MigrationRow>('migration');
    if (filter.states?.length) {
      query.whereIn('state', filter.states);
    }
    if (filter.datasetRef) {
      query.where('dataset_ref', ref(filter.datasetRef));
    }
    filterByDeadline(query, filter);
    const listed = await pageMigrations(query, filter, page);
    return { ...listed, items: await this.withProgress(listed.items) };
  }

  async setTargetDate(input: {
    migrationId: string;
    targetDate: string | null;
    actor: string;
  }): Promise<Migration> {
    return this.db.transaction(async trx => {
      const row = await setTargetDate(trx, input);
      return toMigration(row, await factsOf(trx, row.id));
    });
  }

  async listMigrationsOfEntity(
    entityRef: string,
    page: PageRequest,
  ): Promise<Page<{ migration: Migration; roles: EntityRole[] }>> {
    const key = ref(entityRef);
    const consumerOf = this.db('migration_consumer')
      .select('migration_id')
      .where('consumer_ref', key)
      .whereNull('removed_at');
    const query = this.db<MigrationRow>('migration').where(q =>
      q.where('dataset_ref', key).orWhereIn('id', consumerOf),
    );
    const listed = await newestFirst(
      query,
      { list: 'entity-migrations', filter: { entityRef: key } },
      page,
    );
    const rows = listed.items;
    const consumed = new Set(
      (
        await this.db('migration_consumer')
          .select('migration_id')
          .where('consumer_ref', key)
          .whereNull('removed_at')
          .whereIn(
            'migration_id',
            rows.map(r => r.id),
          )
      ).map(r => r.migration_id as string),
    );
    const migrations = await this.withProgress(rows);
    return {
      items: rows.map((row, i) => ({
        migration: migrations[i],
        roles: [
          ...(row.dataset_ref === key ? (['dataset'] as const) : []),
          ...(consumed.has(row.id) ? (['consumer'] as const) : []),
        ],
      })),
      totalCount: listed.totalCount,
      ...(listed.nextCursor ? { nextCursor: listed.nextCursor } : {}),
    };
  }

  async transition(input: Transition): Promise<Migration> {
    return this.db.transaction(async trx => {
      const row = await moveMigration(trx, input);
      return toMigration(row, await factsOf(trx, row.id));
    });
  }

  async listDueAnalyses(now: Date, limit: number): Promise<Migration[]> {
    const rows = await this.db<MigrationRow>('migration')
      .where('state', 'analyzing')
      .where(q =>
        q
          .whereNull('analysis_retry_at')
          .orWhere('analysis_retry_at', '<=', now),
      )
      // Stopped by the kill switch: not due, so that stopped migrations do
      // not fill the page and starve the others.
      .whereNull('stopped_at')
      .orderBy('seq', 'asc')
      .limit(limit);
    return this.withProgress(rows);
  }

  async claimDueAnalysis(input: {
    token: string;
    now: Date;
    leaseMs: number;
  }): Promise<Migration | undefined> {
    const { token, now, leaseMs } = input;
    const free = (q: Knex.QueryBuilder) =>
      q
        .whereNull('analysis_claim_until')
        .orWhere('analysis_claim_until', '<', now);
    for (;;) {
      const row = await this.db<MigrationRow>('migration')
        .where('state', 'analyzing')
        .where(q =>
          q
            .whereNull('analysis_retry_at')
            .orWhere('analysis_retry_at', '<=', now),
        )
        .whereNull('stopped_at')
        .where(free)
        .orderBy('seq', 'asc')
        .first();
      if (!row) return undefined;
      // Compare-and-set: of two replicas claiming it at once, one wins and
      // the other looks for the next.
      const claimed = await this.db('migration')
        .where({ id: row.id, state: 'analyzing' })
        .where(free)
        .update({
          analysis_claimed_by: token,
          analysis_claim_until: new Date(now.getTime() + leaseMs),
        });
      if (claimed === 1) {
        const [migration] = await this.withProgress([row]);
        return migration;
      }
    }
  }

  async releaseAnalysis(migrationId: string, token: string): Promise<void> {
    await this.db('migration')
      .where({ id: migrationId, analysis_claimed_by: token })
      .update({ analysis_claimed_by: null, analysis_claim_until: null });
  }

  async recordAnalysisFailure(input: {
    migrationId: string;
    error: string;
    retryAt: Date;
  }): Promise<Migration> {
    return this.db.transaction(async trx => {
      const row = await getMigrationRow(trx, input.migrationId);
      if (row.state !== 'analyzing') {
        throw new ConflictError(
          `Migration ${input.migrationId} is ${row.state}, not analyzing`,
        );
      }
      const now = new Date();
      const attempts = (row.analysis_attempts ?? 0) + 1;
      const update = {
        analysis_attempts: attempts,
        analysis_retry_at: input.retryAt,
        analysis_error: input.error,
        updated_at: now,
      };
      await updateWhileIn(trx, input.migrationId, 'analyzing', update);
      await insertEvent(trx, {
        migrationId: input.migrationId,
        type: 'analysis-failed',
        message: `Analysis failed (attempt ${attempts}): ${input.error}`,
        data: { attempts, retryAt: input.retryAt.toISOString() },
        now,
      });
      return toMigration(
        { ...row, ...update },
        await factsOf(trx, input.migrationId),
      );
    });
  }

  async setStopped(input: {
    migrationId: string;
    stopped: boolean;
    actor: string;
    reason?: string;
  }): Promise<boolean> {
    return setStopped(this.db, input);
  }

  async recordEventOnce(
    input: NewEvent & { dedupeKey: string },
  ): Promise<boolean> {
    return timeline.recordEventOnce(this.db, input);
  }

  async listEvents(
    migrationId: string,
    options: { afterId?: number; limit: number; consumerRef?: string },
  ): Promise<MigrationEvent[]> {
    return timeline.listEvents(this.db, migrationId, options);
  }

  async addEvent(input: NewEvent): Promise<MigrationEvent> {
    return timeline.addEvent(this.db, input);
  }

  async putConsumer(input: ConsumerInput): Promise<Consumer> {
    await this.putConsumerWithPatch(input);
    return (await this.getConsumer(input.migrationId, ref(input.consumerRef)))!;
  }

  async putConsumerWithPatch(
    input: ConsumerInput & { patch?: PatchInput },
  ): Promise<void> {
    const { patch, ...consumer } = input;
    await this.db.transaction(async trx => {
      const counts = await writeConsumer(trx, consumer);
      const written = patch
        ? await writePatch(trx, {
            migrationId: input.migrationId,
            consumerRef: input.consumerRef,
            ...patch,
          })
        : undefined;
      await addCounts(
        trx,
        input.migrationId,
        written ? mergeCounts(counts, written.counts) : counts,
      );
    });
  }

  async removeConsumer(input: {
    migrationId: string;
    consumerRef: string;
    reason: string;
  }): Promise<boolean> {
    const consumerRef = ref(input.consumerRef);
    return this.db.transaction(async trx => {
      const now = new Date();
      const updated = await trx('migration_consumer')
        .where({ migration_id: input.migrationId, consumer_ref: consumerRef })
        .whereNull('removed_at')
        .update({ removed_at: now, updated_at: now });
      if (updated === 0) {
        return false;
      }
      // Read after the update, which holds the row: the patch it leaves
      // the list with, even if another was recorded meanwhile.
      const row = await trx<ConsumerRow>('migration_consumer')
        .where({ migration_id: input.migrationId, consumer_ref: consumerRef })
        .first('current_patch_id');
      await insertEvent(trx, {
        migrationId: input.migrationId,
        type: 'consumer-removed',
        message: `${consumerRef} is no longer a consumer: ${input.reason}`,
        consumerRef,
        data: { reason: input.reason },
        now,
      });
      await countConsumer(
        trx,
        input.migrationId,
        row?.current_patch_id ?? null,
        -1,
      );
      return true;
    });
  }

  async listConsumers(
    migrationId: string,
    page: PageRequest,
    filter: ConsumerFilter = {},
  ): Promise<Page<Consumer>> {
    return pageConsumers(
      this.db,
      this.consumersQuery(),
      migrationId,
      page,
      filter,
    );
  }

  async listConsumerRefs(migrationId: string) {
    const rows: Pick<ConsumerRow, 'consumer_ref' | 'discovered_by'>[] =
      await this.db('migration_consumer')
        .where('migration_id', migrationId)
        .whereNull('removed_at')
        .orderBy('consumer_ref', 'asc')
        .select('consumer_ref', 'discovered_by');
    return rows.map(row => ({
      consumerRef: row.consumer_ref,
      discoveredBy: row.discovered_by,
    }));
  }

  async getConsumer(
    migrationId: string,
    consumerRef: string,
  ): Promise<Consumer | undefined> {
    const row = await this.consumersQuery()
      .where({
        'c.migration_id': migrationId,
        'c.consumer_ref': ref(consumerRef),
      })
      .first();
    return row && toConsumer(row);
  }

  async recordPatch(input: NewPatch): Promise<Patch> {
    return this.db.transaction(async trx => {
      const { patch, counts } = await writePatch(trx, input);
      await addCounts(trx, input.migrationId, counts);
      return patch;
    });
  }

  async getCurrentPatch(
    migrationId: string,
    consumerRef: string,
  ): Promise<Patch | undefined> {
    const consumer = await this.db<ConsumerRow>('migration_consumer')
      .where({ migration_id: migrationId, consumer_ref: ref(consumerRef) })
      .first();
    if (!consumer?.current_patch_id) {
      return undefined;
    }
    const row = await this.db<PatchRow>('patch')
      .where({ id: consumer.current_patch_id })
      .first();
    return row && toPatch(row, consumer);
  }

  async markPatchStale(
    input: PatchKey & { reason?: 'code' | 'engine' },
  ): Promise<Patch> {
    const consumerRef = ref(input.consumerRef);
    return this.db.transaction(async trx => {
      const consumer = await getConsumerRow(
        trx,
        input.migrationId,
        consumerRef,
      );
      const row = await getPatchRow(trx, consumer, input.patchId);
      if (row.stale) {
        return toPatch(row, consumer);
      }
      const now = new Date();
      await trx('patch').where({ id: row.id }).update({ stale: true });
      await insertEvent(trx, {
        migrationId: input.migrationId,
        type: 'patch-stale',
        message:
          input.reason === 'engine'
            ? `Patch version ${row.version} of ${consumerRef} is stale: the accepted engine version proposes another patch`
            : `Patch version ${row.version} of ${consumerRef} is stale: the code changed since it was made`,
        consumerRef,
        data: { patchId: row.id, reason: input.reason ?? 'code' },
        now,
      });
      return toPatch({ ...row, stale: true }, consumer);
    });
  }

  async recordReview(input: NewReview): Promise<Review> {
    return recordReview(this.db, input);
  }

  async listReviews(
    migrationId: string,
    consumerRef: string,
  ): Promise<Review[]> {
    return listReviews(this.db, migrationId, consumerRef);
  }

  async catalogSummary(): Promise<CatalogEntitySummary[]> {
    return catalogSummary(this.db);
  }

  private async withProgress(rows: MigrationRow[]): Promise<Migration[]> {
    const facts = await factsByMigration(
      this.db,
      rows.map(r => r.id),
    );
    return rows.map(row =>
      toMigration(row, facts.get(row.id) ?? NEW_MIGRATION_FACTS),
    );
  }

  async lastEventId(): Promise<number> {
    return timeline.lastEventId(this.db);
  }

  /** Consumers with their current patch and latest review, in one query. */
  private consumersQuery() {
    return this.db('migration_consumer as c')
      .whereNull('c.removed_at')
      .leftJoin('patch as p', 'p.id', 'c.current_patch_id')
      .leftJoin('review as r', 'r.id', 'c.current_review_id')
      .select(
        'c.*',
        'p.version as patch_version',
        'p.status as patch_status',
        'p.stale as patch_stale',
        'p.created_at as patch_created_at',
        'p.engine_version as patch_engine_version',
        'r.patch_id as review_patch_id',
        'r.decision as review_decision',
        'r.reviewer as review_reviewer',
        'r.comment as review_comment',
        'r.created_at as review_created_at',
      );
  }
}
