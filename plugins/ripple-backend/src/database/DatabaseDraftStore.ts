import { ConflictError, NotFoundError } from '@backstage/errors';
import type { Migration } from '@ripple/backstage-plugin-ripple-common';
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import type {
  DraftNotification,
  DraftStore,
  OpenDraft,
  SchemaSnapshot,
} from './DraftStore';
import { RIPPLE_ACTOR } from './DraftStore';
import type { MigrationStore } from './MigrationStore';
import { moveMigration } from './migrationState';
import {
  getMigrationRow,
  insertEvent,
  MigrationRow,
  ref,
  timestamp,
} from './rows';

type SchemaRow = {
  dataset_ref: string;
  columns: string;
  hash: string;
  seen_at: Date | string;
};

const ORIGIN = 'schema-change';

/** {@link DraftStore} on the plugin's database, next to the migrations. */
export class DatabaseDraftStore implements DraftStore {
  constructor(
    private readonly db: Knex,
    /** Reads a migration as the API shows it, after a write. */
    private readonly migrations: Pick<MigrationStore, 'getMigration'>,
  ) {}

  async listSchemaSnapshots(): Promise<Map<string, SchemaSnapshot>> {
    const rows = await this.db<SchemaRow>('dataset_schema').select();
    return new Map(
      rows.map(row => [
        row.dataset_ref,
        {
          datasetRef: row.dataset_ref,
          columns: JSON.parse(row.columns),
          hash: row.hash,
          seenAt: timestamp(row.seen_at),
        },
      ]),
    );
  }

  async openDraft(datasetRef: string): Promise<OpenDraft | undefined> {
    const row = await openDraftRow(this.db, datasetRef);
    if (!row) return undefined;
    const migration = await this.migrations.getMigration(row.id);
    return (
      migration && {
        migration,
        schemaBefore: JSON.parse(row.schema_before ?? '[]'),
        decisions: JSON.parse(row.suggestion_decisions ?? '{}'),
      }
    );
  }

  async recordSchema(
    input: Parameters<DraftStore['recordSchema']>[0],
  ): Promise<{ recorded: boolean; migration?: Migration }> {
    const { draft, close } = input;
    const key = ref(input.datasetRef);
    const written = await this.db.transaction(async trx => {
      const now = new Date();
      const row = {
        columns: JSON.stringify(input.columns),
        hash: input.hash,
        seen_at: now,
      };
      if (input.previousHash === undefined) {
        // A first sighting; two at once (replicas) keep the first.
        const existing = await trx('dataset_schema')
          .where({ dataset_ref: key })
          .first();
        if (existing) return undefined;
        await trx('dataset_schema')
          .insert({ dataset_ref: key, ...row })
          .onConflict('dataset_ref')
          .ignore();
      } else {
        // Compare-and-set on the schema this run diffed from: a run that
        // read an older one writes nothing, so no change is drafted twice.
        const updated = await trx('dataset_schema')
          .where({ dataset_ref: key, hash: input.previousHash })
          .update(row);
        if (updated !== 1) return undefined;
      }
      if (close) {
        await moveMigration(trx, {
          migrationId: close.migrationId,
          to: 'cancelled',
          actor: RIPPLE_ACTOR,
          message: close.message,
        });
        return close.migrationId;
      }
      if (!draft) return '';
      const fields = {
        change: JSON.stringify(draft.change),
        title: draft.title,
        suggestions: JSON.stringify(draft.suggestions),
        undecided: JSON.stringify(draft.undecided),
        impact_summary: JSON.stringify(draft.impactSummary),
        pending_notification: JSON.stringify(draft.notification),
        schema_before: JSON.stringify(draft.schemaBefore),
        suggestion_decisions: JSON.stringify(draft.decisions),
        updated_at: now,
      };
      if (draft.migrationId) {
        const updated = await trx('migration')
          .where({ id: draft.migrationId, state: 'draft', origin: ORIGIN })
          .update(fields);
        if (updated !== 1) {
          // Started or discarded meanwhile: the whole run is done again.
          throw new ConflictError(
            `Migration ${draft.migrationId} is no longer a draft`,
          );
        }
        await insertEvent(trx, {
          migrationId: draft.migrationId,
          type: 'draft-updated',
          message: draft.message,
          actor: RIPPLE_ACTOR,
          now,
        });
        return draft.migrationId;
      }
      const id = randomUUID();
      await trx('migration').insert({
        id,
        dataset_ref: key,
        owner: ref(draft.owner),
        state: 'draft',
        created_by: RIPPLE_ACTOR,
        created_at: now,
        origin: ORIGIN,
        ...fields,
      });
      await insertEvent(trx, {
        migrationId: id,
        type: 'created',
        message: draft.message,
        actor: RIPPLE_ACTOR,
        now,
      });
      return id;
    });
    if (written === undefined) return { recorded: false };
    return {
      recorded: true,
      ...(written
        ? { migration: await this.migrations.getMigration(written) }
        : {}),
    };
  }

  async listPendingNotifications(): Promise<
    { migrationId: string; notification: DraftNotification }[]
  > {
    const rows = await this.db<MigrationRow>('migration')
      .select('id', 'pending_notification')
      .whereNotNull('pending_notification');
    return rows.map(row => ({
      migrationId: row.id,
      notification: JSON.parse(row.pending_notification!),
    }));
  }

  async takeNotification(
    migrationId: string,
    notification: DraftNotification,
  ): Promise<boolean> {
    const updated = await this.db('migration')
      .where({
        id: migrationId,
        pending_notification: JSON.stringify(notification),
      })
      .update({ pending_notification: null });
    return updated === 1;
  }

  async updateDraft(
    input: Parameters<DraftStore['updateDraft']>[0],
  ): Promise<Migration> {
    await this.db.transaction(async trx => {
      const row = await getMigrationRow(trx, input.migrationId);
      if (row.state !== 'draft') {
        throw new ConflictError(
          `Migration ${input.migrationId} is ${row.state}, not a draft`,
        );
      }
      const now = new Date();
      const updated = await trx('migration')
        .where({
          id: input.migrationId,
          state: 'draft',
          suggestions: JSON.stringify(input.expectedSuggestions),
        })
        .update({
          change: JSON.stringify(input.change),
          suggestions: JSON.stringify(input.suggestions),
          suggestion_decisions: JSON.stringify(input.decisions),
          ...(input.impactSummary
            ? { impact_summary: JSON.stringify(input.impactSummary) }
            : {}),
          updated_at: now,
        });
      if (updated !== 1) {
        throw new ConflictError(
          `Migration ${input.migrationId} changed meanwhile; read it again`,
        );
      }
      await insertEvent(trx, {
        migrationId: input.migrationId,
        type: 'draft-updated',
        message: input.message,
        actor: ref(input.actor),
        now,
      });
    });
    const migration = await this.migrations.getMigration(input.migrationId);
    if (!migration)
      throw new NotFoundError(`No migration ${input.migrationId}`);
    return migration;
  }
}

async function openDraftRow(
  db: Knex,
  datasetRef: string,
): Promise<MigrationRow | undefined> {
  return db<MigrationRow>('migration')
    .where({ dataset_ref: ref(datasetRef), origin: ORIGIN, state: 'draft' })
    .orderBy('seq', 'desc')
    .first();
}
