import { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { reviewableMigrationStates } from '@ripple/backstage-plugin-ripple-common';
import type {
  CatalogEntitySummary,
  Consumer,
  Migration,
  MigrationEvent,
  MigrationProgress,
  MigrationState,
  Patch,
  PatchSummary,
  Review,
} from '@ripple/backstage-plugin-ripple-common';
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import {
  ConsumerInput,
  EntityRole,
  MigrationStore,
  NewEvent,
  NewMigration,
  NewPatch,
  NewReview,
  Page,
  PageRequest,
  PatchKey,
  Transition,
} from './MigrationStore';
import { moveMigration, updateWhileIn } from './migrationState';
import {
  ConsumerRow,
  count,
  describeStates,
  EventRow,
  getMigrationRow,
  insertEvent,
  insertReturningId,
  MigrationRow,
  PatchRow,
  ref,
  Timestamp,
  timestamp,
  toEvent,
  toPatch,
} from './rows';
import { applyDatabaseMigrations } from './schema';

// Kept for the imports that name this module (agent tests).
export { applyDatabaseMigrations } from './schema';

/** The progress of a migration without consumers. */
const EMPTY_PROGRESS: MigrationProgress = {
  total: 0,
  approved: 0,
  rejected: 0,
  needsReview: 0,
  delivered: 0,
  merged: 0,
  failed: 0,
  unhealthy: 0,
};

/** Migrations that are over: the catalog no longer shows them. */
const closedMigrationStates: MigrationState[] = ['completed', 'cancelled'];

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
    return toMigration(row, EMPTY_PROGRESS);
  }

  async getMigration(id: string): Promise<Migration | undefined> {
    const row = await this.db<MigrationRow>('migration').where({ id }).first();
    return row && toMigration(row, await progressOf(this.db, row.id));
  }

  async listMigrations(
    filter: { states?: MigrationState[]; datasetRef?: string },
    page: PageRequest,
  ): Promise<Page<Migration>> {
    const query = this.db<MigrationRow>('migration');
    if (filter.states?.length) {
      query.whereIn('state', filter.states);
    }
    if (filter.datasetRef) {
      query.where('dataset_ref', ref(filter.datasetRef));
    }
    const [rows, totalCount] = await newestFirst<MigrationRow>(query, page);
    return { items: await this.withProgress(rows), totalCount };
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
    const [rows, totalCount] = await newestFirst<MigrationRow>(query, page);
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
      totalCount,
    };
  }

  async transition(input: Transition): Promise<Migration> {
    return this.db.transaction(async trx => {
      const row = await moveMigration(trx, input);
      return toMigration(row, await progressOf(trx, row.id));
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
      .orderBy('seq', 'asc')
      .limit(limit);
    return this.withProgress(rows);
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
        await progressOf(trx, input.migrationId),
      );
    });
  }

  async listEvents(
    migrationId: string,
    options: { afterId?: number; limit: number },
  ): Promise<MigrationEvent[]> {
    const query = this.db<EventRow>('migration_event')
      .where('migration_id', migrationId)
      .orderBy('id', 'asc')
      .limit(options.limit);
    if (options.afterId !== undefined) {
      query.where('id', '>', options.afterId);
    }
    return (await query).map(toEvent);
  }

  async addEvent(input: NewEvent): Promise<MigrationEvent> {
    return this.db.transaction(async trx => {
      await getMigrationRow(trx, input.migrationId);
      return insertEvent(trx, {
        ...input,
        actor: input.actor && ref(input.actor),
        consumerRef: input.consumerRef && ref(input.consumerRef),
        now: new Date(),
      });
    });
  }

  async putConsumer(input: ConsumerInput): Promise<Consumer> {
    const consumerRef = ref(input.consumerRef);
    await this.db.transaction(async trx => {
      await getMigrationRow(trx, input.migrationId);
      const now = new Date();
      const existing = await trx<ConsumerRow>('migration_consumer')
        .where({ migration_id: input.migrationId, consumer_ref: consumerRef })
        .first();
      if (existing) {
        await trx('migration_consumer')
          .where({ id: existing.id })
          .update({
            discovered_by: input.discoveredBy,
            impact: input.impact ? JSON.stringify(input.impact) : null,
            updated_at: now,
            removed_at: null,
          });
        if (existing.removed_at) {
          await insertEvent(trx, {
            migrationId: input.migrationId,
            type: 'consumer-added',
            message: `${consumerRef} reads the dataset again`,
            consumerRef,
            data: { discoveredBy: input.discoveredBy },
            now,
          });
        }
        return;
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
    });
    return (await this.getConsumer(input.migrationId, consumerRef))!;
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
      await insertEvent(trx, {
        migrationId: input.migrationId,
        type: 'consumer-removed',
        message: `${consumerRef} is no longer a consumer: ${input.reason}`,
        consumerRef,
        data: { reason: input.reason },
        now,
      });
      return true;
    });
  }

  async listConsumers(
    migrationId: string,
    page: PageRequest,
  ): Promise<Page<Consumer>> {
    const [rows, totalCount] = await Promise.all([
      this.consumersQuery()
        .where('c.migration_id', migrationId)
        .orderBy('c.consumer_ref', 'asc')
        .limit(page.limit)
        .offset(page.offset),
      count(
        this.db('migration_consumer')
          .where('migration_id', migrationId)
          .whereNull('removed_at'),
      ),
    ]);
    return { items: rows.map(toConsumer), totalCount };
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
    const consumerRef = ref(input.consumerRef);
    return this.db.transaction(async trx => {
      const consumer = await getConsumerRow(
        trx,
        input.migrationId,
        consumerRef,
      );
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
        return toPatch(current, consumer);
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
      };
      const id = await insertReturningId(trx, 'patch', row).catch(error => {
        throw uniqueToConflict(
          error,
          `Another version ${row.version} of the patch of ${consumerRef} was recorded meanwhile`,
        );
      });
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
      await insertEvent(trx, {
        migrationId: input.migrationId,
        type: 'patch-proposed',
        message: `Patch version ${row.version} proposed for ${consumerRef} (${row.status})`,
        consumerRef,
        data: { patchId: id, version: row.version, status: row.status },
        now,
      });
      return toPatch({ ...row, id }, consumer);
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

  async markPatchStale(input: PatchKey): Promise<Patch> {
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
        message: `Patch version ${row.version} of ${consumerRef} is stale: the code changed since it was made`,
        consumerRef,
        data: { patchId: row.id },
        now,
      });
      return toPatch({ ...row, stale: true }, consumer);
    });
  }

  async recordReview(input: NewReview): Promise<Review> {
    const consumerRef = ref(input.consumerRef);
    const reviewer = ref(input.reviewer);
    return this.db.transaction(async trx => {
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
      const consumer = await getConsumerRow(
        trx,
        input.migrationId,
        consumerRef,
      );
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
      const id = await insertReturningId(trx, 'review', row).catch(error => {
        throw uniqueToConflict(error, conflict);
      });
      // The second guard against a racing review: the consumer row must still
      // point at the patch and review this one was based on.
      const updated = await trx('migration_consumer')
        .where({
          id: consumer.id,
          current_patch_id: patch.id,
          current_review_id: previousId,
        })
        .update({ current_review_id: id, updated_at: now });
      if (updated !== 1) {
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

  async listReviews(
    migrationId: string,
    consumerRef: string,
  ): Promise<Review[]> {
    const key = ref(consumerRef);
    const rows = await this.db<ReviewRow>('review as r')
      .join('patch as p', 'p.id', 'r.patch_id')
      .join('migration_consumer as c', 'c.id', 'p.consumer_id')
      .where({ 'c.migration_id': migrationId, 'c.consumer_ref': key })
      .orderBy('r.id', 'desc')
      .select('r.*');
    return rows.map(row => toReview(row, migrationId, key));
  }

  private async withProgress(rows: MigrationRow[]): Promise<Migration[]> {
    const progress = await progressByMigration(
      this.db,
      rows.map(r => r.id),
    );
    return rows.map(row =>
      toMigration(row, progress.get(row.id) ?? EMPTY_PROGRESS),
    );
  }

  async catalogSummary(): Promise<CatalogEntitySummary[]> {
    const entities = new Map<string, CatalogEntitySummary>();
    const entity = (entityRef: string) => {
      let summary = entities.get(entityRef);
      if (!summary) {
        summary = { entityRef, migrations: [], readsDatasets: [] };
        entities.set(entityRef, summary);
      }
      return summary;
    };
    const open = await this.db<MigrationRow>('migration')
      .whereNotIn('state', closedMigrationStates)
      .orderBy('seq', 'desc')
      .select('id', 'dataset_ref', 'state');
    for (const migration of open) {
      entity(migration.dataset_ref).migrations.push({
        id: migration.id,
        state: migration.state,
        roles: ['dataset'],
      });
    }
    const byId = new Map(open.map(m => [m.id, m]));
    const consumers: {
      migration_id: string;
      consumer_ref: string;
      current_patch_id: number | null;
      decision: Review['decision'] | null;
    }[] = await this.db('migration_consumer as c')
      .join('migration as m', 'm.id', 'c.migration_id')
      .leftJoin('review as r', 'r.id', 'c.current_review_id')
      .whereNotIn('m.state', closedMigrationStates)
      .whereNull('c.removed_at')
      .orderBy('m.seq', 'desc')
      .select(
        'c.migration_id',
        'c.consumer_ref',
        'c.current_patch_id',
        'r.decision',
      );
    for (const consumer of consumers) {
      const migration = byId.get(consumer.migration_id)!;
      const summary = entity(consumer.consumer_ref);
      const same = summary.migrations.find(m => m.id === migration.id);
      const review = consumer.current_patch_id
        ? consumer.decision ?? 'pending'
        : undefined;
      if (same) {
        // A dataset reading itself (a self-join through its own code).
        same.roles.push('consumer');
        if (review) same.review = review;
      } else {
        summary.migrations.push({
          id: migration.id,
          state: migration.state,
          roles: ['consumer'],
          ...(review ? { review } : {}),
        });
      }
    }
    // Lineage found in code: the latest analysed migration of each dataset
    // (whatever became of it since) knows best which entities read it.
    const latest = this.db('migration as m')
      .whereExists(q =>
        q
          .select('id')
          .from('migration_consumer as c')
          .whereRaw('c.migration_id = m.id'),
      )
      .groupBy('m.dataset_ref')
      .max('m.seq');
    const readers: { dataset_ref: string; consumer_ref: string }[] =
      await this.db('migration_consumer as c')
        .join('migration as m', 'm.id', 'c.migration_id')
        .whereIn('m.seq', latest)
        .where('c.discovered_by', 'code')
        .whereNull('c.removed_at')
        .select('m.dataset_ref', 'c.consumer_ref');
    for (const reader of readers) {
      entity(reader.consumer_ref).readsDatasets.push(reader.dataset_ref);
    }
    return [...entities.values()].sort((a, b) =>
      a.entityRef.localeCompare(b.entityRef),
    );
  }

  async lastEventId(): Promise<number> {
    const row = await this.db('migration_event').max('id as id').first();
    return Number(row?.id ?? 0);
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
        'r.patch_id as review_patch_id',
        'r.decision as review_decision',
        'r.reviewer as review_reviewer',
        'r.comment as review_comment',
        'r.created_at as review_created_at',
      );
  }
}

type ReviewRow = {
  id: number;
  patch_id: number;
  sequence: number;
  decision: Review['decision'];
  reviewer: string;
  comment: string | null;
  created_at: Timestamp;
};

type ConsumerListRow = ConsumerRow & {
  patch_version: number | null;
  patch_status: Patch['status'] | null;
  patch_stale: boolean | number | null;
  patch_created_at: Timestamp | null;
  review_patch_id: number | null;
  review_decision: Review['decision'] | null;
  review_reviewer: string | null;
  review_comment: string | null;
  review_created_at: Timestamp | null;
};

/** One page of `query`'s migrations, newest first, and how many there are. */
function newestFirst<T>(
  query: Knex.QueryBuilder,
  page: PageRequest,
): Promise<[T[], number]> {
  return Promise.all([
    query.clone().orderBy('seq', 'desc').limit(page.limit).offset(page.offset),
    count(query),
  ]);
}

function uniqueToConflict(error: unknown, message: string): unknown {
  const code = (error as { code?: string })?.code;
  // PostgreSQL's unique_violation, SQLite's (better-sqlite3) constraint codes.
  if (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  ) {
    return new ConflictError(message);
  }
  return error;
}

async function getConsumerRow(
  trx: Knex.Transaction,
  migrationId: string,
  consumerRef: string,
): Promise<ConsumerRow> {
  const row = await trx<ConsumerRow>('migration_consumer')
    .where({ migration_id: migrationId, consumer_ref: consumerRef })
    .first();
  if (!row) {
    await getMigrationRow(trx, migrationId);
    throw new NotFoundError(
      `${consumerRef} is not a consumer in migration ${migrationId}`,
    );
  }
  if (row.removed_at) {
    throw new NotFoundError(
      `${consumerRef} is no longer a consumer in migration ${migrationId}: the agent found it no longer reads the dataset`,
    );
  }
  return row;
}

async function getPatchRow(
  trx: Knex.Transaction,
  consumer: ConsumerRow,
  patchId: number,
): Promise<PatchRow> {
  const row = await trx<PatchRow>('patch')
    .where({ id: patchId, consumer_id: consumer.id })
    .first();
  if (!row) {
    throw new NotFoundError(
      `No patch ${patchId} of ${consumer.consumer_ref} in migration ${consumer.migration_id}`,
    );
  }
  return row;
}

async function progressOf(
  db: Knex,
  migrationId: string,
): Promise<MigrationProgress> {
  return (
    (await progressByMigration(db, [migrationId])).get(migrationId) ??
    EMPTY_PROGRESS
  );
}

/**
 * The consumer counts of migrations in one grouped query: decisions from
 * the current reviews, deliveries and health from the rollout's rows.
 */
async function progressByMigration(
  db: Knex,
  migrationIds: string[],
): Promise<Map<string, MigrationProgress>> {
  if (migrationIds.length === 0) {
    return new Map();
  }
  const sum = (condition: string) =>
    db.raw(`sum(case when ${condition} then 1 else 0 end)`);
  const rows = await db('migration_consumer as c')
    .leftJoin('patch as p', 'p.id', 'c.current_patch_id')
    .leftJoin('review as r', 'r.id', 'c.current_review_id')
    .leftJoin('rollout_consumer as rc', function joinRollout() {
      this.on('rc.migration_id', '=', 'c.migration_id').andOn(
        'rc.consumer_ref',
        '=',
        'c.consumer_ref',
      );
    })
    .whereIn('c.migration_id', migrationIds)
    .groupBy('c.migration_id')
    .select('c.migration_id', {
      total: db.raw('count(*)'),
      approved: sum(`r.decision = 'approve'`),
      rejected: sum(`r.decision = 'reject'`),
      needs_review: sum(
        `r.id is null and p.status in ('rewritten', 'needs_review')`,
      ),
      delivered: sum(`rc.delivery_status in ('delivered', 'merged')`),
      merged: sum(`rc.delivery_status = 'merged'`),
      failed: sum(`rc.delivery_status = 'failed'`),
      unhealthy: sum(`rc.health = 'unhealthy'`),
    });
  // PostgreSQL returns sums and counts as strings (numeric, bigint).
  return new Map(
    rows.map(row => [
      row.migration_id as string,
      {
        total: Number(row.total),
        approved: Number(row.approved ?? 0),
        rejected: Number(row.rejected ?? 0),
        needsReview: Number(row.needs_review ?? 0),
        delivered: Number(row.delivered ?? 0),
        merged: Number(row.merged ?? 0),
        failed: Number(row.failed ?? 0),
        unhealthy: Number(row.unhealthy ?? 0),
      },
    ]),
  );
}

function toMigration(
  row: MigrationRow,
  progress: MigrationProgress,
): Migration {
  return {
    id: row.id,
    datasetRef: row.dataset_ref,
    change: JSON.parse(row.change),
    title: row.title,
    owner: row.owner,
    state: row.state,
    createdBy: row.created_by,
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at),
    ...(row.analysis_attempts && row.analysis_retry_at
      ? {
          analysis: {
            attempts: row.analysis_attempts,
            error: row.analysis_error ?? '',
            retryAt: timestamp(row.analysis_retry_at),
          },
        }
      : {}),
    progress,
  };
}

function toConsumer(row: ConsumerListRow): Consumer {
  const patch: PatchSummary | undefined =
    row.current_patch_id !== null && row.patch_version !== null
      ? {
          id: row.current_patch_id,
          version: row.patch_version,
          status: row.patch_status!,
          stale: Boolean(row.patch_stale),
          createdAt: timestamp(row.patch_created_at!),
        }
      : undefined;
  const decision: Review | undefined =
    row.current_review_id !== null && row.review_decision !== null
      ? toReview(
          {
            id: row.current_review_id,
            patch_id: row.review_patch_id!,
            decision: row.review_decision,
            reviewer: row.review_reviewer!,
            comment: row.review_comment,
            created_at: row.review_created_at!,
          },
          row.migration_id,
          row.consumer_ref,
        )
      : undefined;
  return {
    migrationId: row.migration_id,
    consumerRef: row.consumer_ref,
    discoveredBy: row.discovered_by,
    ...(row.impact ? { impact: JSON.parse(row.impact) } : {}),
    ...(patch ? { patch } : {}),
    ...(decision ? { decision } : {}),
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at),
  };
}

function toReview(
  row: Omit<ReviewRow, 'sequence'>,
  migrationId: string,
  consumerRef: string,
): Review {
  return {
    id: row.id,
    migrationId,
    consumerRef,
    patchId: row.patch_id,
    decision: row.decision,
    reviewer: row.reviewer,
    ...(row.comment !== null ? { comment: row.comment } : {}),
    createdAt: timestamp(row.created_at),
  };
}
