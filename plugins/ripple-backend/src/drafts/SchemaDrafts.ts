import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import {
  type Entity,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { ConflictError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type {
  ChangeSpec,
  Migration,
} from '@ripple/backstage-plugin-ripple-common';
import type { RippleEngine } from '@ripple/engine';
import type { MigrationAgent } from '../agent/MigrationAgent';
import type {
  DraftNotification,
  DraftStore,
  SchemaSnapshot,
} from '../database/DraftStore';
import type { MigrationStore } from '../database/MigrationStore';
import { DatasetReader, isDataset } from '../dataset/DatasetReader';
import {
  confirmSuggestion,
  countVerdicts,
  describeChange,
  diffColumns,
  schemaHash,
  snapshotColumns,
} from './schemaDiff';

/** The notifications' topic of drafts (docs/backend.md). */
export const DRAFT_TOPIC = 'ripple-draft';

/** Sends a notification to the owners; the plugin wires Backstage's service. */
export type DraftNotifier = (
  notification: DraftNotification & { scope: string },
) => Promise<void>;

/**
 * Drafts from schema changes (docs/backend.md): `runOnce`, the scheduled
 * task that reads every dataset's schema and drafts a migration when one
 * changed in a way consumers notice, and notifies the dataset's owners;
 * and what people do with a draft (decide its suggestions, discard it).
 */
export class SchemaDrafts {
  constructor(
    private readonly options: {
      drafts: DraftStore;
      store: Pick<MigrationStore, 'transition'>;
      engine: Pick<RippleEngine, 'diffSchemas'>;
      datasets: Pick<DatasetReader, 'readWithSource'>;
      /** The impact, computed as `POST /preview` does. */
      agent: Pick<MigrationAgent, 'preview'>;
      catalog: Pick<CatalogService, 'queryEntities'>;
      auth: Pick<AuthService, 'getOwnServiceCredentials'>;
      logger: LoggerService;
      datasetTypes: string[];
      notify?: DraftNotifier;
      /** The app's base URL, for the links in notifications. */
      appBaseUrl: string;
    },
  ) {}

  /** One pass over the catalog's datasets, then the notifications due. */
  async runOnce(signal?: AbortSignal): Promise<void> {
    const snapshots = await this.options.drafts.listSchemaSnapshots();
    for await (const entity of this.datasetEntities()) {
      if (signal?.aborted) return;
      await this.check(entity, snapshots).catch(error =>
        this.options.logger.warn(
          `Could not check the schema of ${stringifyEntityRef(
            entity,
          )}: ${error}`,
        ),
      );
    }
    await this.sendNotifications();
  }

  /** Every dataset entity, a page of the catalog at a time. */
  private async *datasetEntities(): AsyncGenerator<Entity> {
    const { catalog, auth, datasetTypes } = this.options;
    const credentials = await auth.getOwnServiceCredentials();
    let cursor: string | undefined;
    do {
      const page = await catalog.queryEntities(
        cursor
          ? { cursor, limit: 100 }
          : {
              filter: { kind: 'Resource', 'spec.type': datasetTypes },
              orderFields: { field: 'metadata.name', order: 'asc' },
              limit: 100,
            },
        { credentials },
      );
      for (const entity of page.items) {
        if (isDataset(entity, datasetTypes)) yield entity;
      }
      cursor = page.pageInfo.nextCursor;
    } while (cursor);
  }

  private async check(
    entity: Entity,
    snapshots: Map<string, SchemaSnapshot>,
  ): Promise<void> {
    const { drafts, datasets, logger } = this.options;
    const datasetRef = stringifyEntityRef(entity);
    let read;
    try {
      read = await datasets.readWithSource(entity);
    } catch (error) {
      // Catalog data is untrusted: a bad annotation skips the dataset. The
      // message names the entity and the annotation.
      logger.warn(
        `Schema of ${datasetRef} skipped: ${(error as Error).message}`,
      );
      return;
    }
    const { dataset, source } = read;
    if (!dataset.columns.length) return; // Unknown: nothing to compare.
    const columns = snapshotColumns(dataset.columns, source);
    const hash = schemaHash(columns);
    const last = snapshots.get(datasetRef);
    if (!last) {
      await drafts.recordSchema({ datasetRef, columns, hash });
      return;
    }
    if (last.hash === hash) return;

    // The draft holds the whole change since the schema it started from.
    const open = await drafts.openDraft(datasetRef);
    const before = open ? open.schemaBefore : last.columns;
    const diff = diffColumns(this.options.engine, {
      datasetRef,
      table: dataset.table,
      dialect: dataset.dialect,
      before,
      after: columns,
      source,
    });
    // Only what consumers notice makes a draft: a column dropped, renamed
    // or retyped, a move, or a rename to confirm. An addition does not.
    if (!diff.change && !diff.suggestions.length) {
      if (diff.undecided.length) {
        logger.info(
          `Schema of ${datasetRef} changed; nothing to draft, undecided: ${diff.undecided
            .map(u => u.reason)
            .join('; ')}`,
        );
      }
      const result = await drafts.recordSchema({
        datasetRef,
        previousHash: last.hash,
        columns,
        hash,
        ...(open
          ? {
              close: {
                migrationId: open.migration.id,
                message:
                  'Discarded by Ripple: the schema no longer changes anything consumers read',
              },
            }
          : {}),
      });
      if (result.recorded) last.hash = hash;
      return;
    }
    let change: ChangeSpec = diff.change ?? {
      dataset: dataset.table,
      ...(dataset.dialect ? { dialect: dataset.dialect } : {}),
      changes: [],
    };
    // The decisions people made on the draft's suggestions still hold.
    const decisions = open?.decisions ?? {};
    const suggestions = diff.suggestions.filter(s => {
      if (decisions[s.id] === 'confirm') change = confirmSuggestion(change, s);
      return !decisions[s.id];
    });
    if (
      open &&
      JSON.stringify([change, suggestions, diff.undecided]) ===
        JSON.stringify([
          open.migration.change,
          open.migration.suggestions ?? [],
          open.migration.undecided ?? [],
        ])
    ) {
      // The draft already says it all (a column added since): the schema
      // is recorded, the draft and its owners left alone.
      const result = await drafts.recordSchema({
        datasetRef,
        previousHash: last.hash,
        columns,
        hash,
      });
      if (result.recorded) last.hash = hash;
      return;
    }
    const impactSummary = countVerdicts(
      change.changes.length
        ? await this.options.agent.preview(datasetRef, change)
        : [],
    );
    const owners = ownersOf(entity);
    const what = describeChange(change);
    const title = `Schema change to ${dataset.table}`;
    const breaking = impactSummary.breaking + impactSummary.partiallyBreaking;
    const result = await drafts.recordSchema({
      datasetRef,
      previousHash: last.hash,
      columns,
      hash,
      draft: {
        ...(open ? { migrationId: open.migration.id } : {}),
        title,
        owner: owners[0] ?? datasetRef,
        change,
        suggestions,
        undecided: diff.undecided,
        impactSummary,
        schemaBefore: before,
        decisions,
        message: `${
          open ? 'Draft updated' : 'Drafted'
        } from a schema change of ${datasetRef}: ${what}`,
        notification: {
          recipients: owners.length ? owners : [datasetRef],
          title: `Ripple: ${title}`,
          description: `${datasetRef}: ${what}${
            suggestions.length
              ? `; ${suggestions.length} rename(s) to confirm`
              : ''
          }. ${breaking} of ${impactSummary.total} consumers break (${
            impactSummary.breaking
          } breaking, ${
            impactSummary.partiallyBreaking
          } partially). Review the draft migration and start it.`,
          link: `${this.options.appBaseUrl}/catalog/${
            entity.metadata.namespace ?? 'default'
          }/${entity.kind.toLocaleLowerCase('en-US')}/${
            entity.metadata.name
          }/ripple`,
        },
      },
    });
    if (result.recorded) {
      last.hash = hash;
      logger.info(
        `${
          open ? 'Updated the draft' : 'Drafted a migration'
        } from a schema change of ${datasetRef}: ${what}`,
      );
    }
  }

  /**
   * Sends the notifications written with drafts. Each is taken (cleared)
   * before it is sent, so a restart never sends one twice; one lost to a
   * crash between the two is logged nowhere (at most once, by choice).
   */
  private async sendNotifications(): Promise<void> {
    const { drafts, notify, logger } = this.options;
    for (const {
      migrationId,
      notification,
    } of await drafts.listPendingNotifications()) {
      if (!(await drafts.takeNotification(migrationId, notification))) continue;
      if (!notify) continue;
      try {
        await notify({ ...notification, scope: `ripple:${migrationId}:draft` });
      } catch (error) {
        logger.warn(
          `Could not notify the owners of draft ${migrationId}: ${error}`,
        );
      }
    }
  }

  /**
   * Confirms or rejects a suggested rename of a draft: a 409 when the
   * migration is not a draft, a 404 for a suggestion it does not have.
   */
  async decideSuggestion(input: {
    migration: Migration;
    suggestionId: string;
    decision: 'confirm' | 'reject';
    actor: string;
  }): Promise<Migration> {
    const { migration, suggestionId, decision, actor } = input;
    requireDraft(migration);
    const suggestions = migration.suggestions ?? [];
    const suggestion = suggestions.find(s => s.id === suggestionId);
    if (!suggestion) {
      throw new NotFoundError(
        `Migration ${migration.id} has no suggestion ${suggestionId} (it has ${
          suggestions.map(s => s.id).join(', ') || 'none'
        })`,
      );
    }
    const open = await this.options.drafts.openDraft(migration.datasetRef);
    const decisions = {
      ...(open?.migration.id === migration.id ? open.decisions : {}),
      [suggestionId]: decision,
    };
    const change =
      decision === 'confirm'
        ? confirmSuggestion(migration.change, suggestion)
        : migration.change;
    const impactSummary =
      decision === 'confirm'
        ? countVerdicts(
            await this.options.agent.preview(migration.datasetRef, change),
          )
        : undefined;
    return this.options.drafts.updateDraft({
      migrationId: migration.id,
      expectedSuggestions: suggestions,
      change,
      suggestions: suggestions.filter(s => s.id !== suggestionId),
      decisions,
      ...(impactSummary ? { impactSummary } : {}),
      actor,
      message: `Suggested rename ${
        decision === 'confirm' ? 'confirmed' : 'rejected'
      }: ${describeChange({ ...change, changes: [suggestion.change] })}`,
    });
  }

  /** Discards a draft: cancelled, with its timeline. */
  async discard(migration: Migration, actor: string): Promise<Migration> {
    requireDraft(migration);
    return this.options.store.transition({
      migrationId: migration.id,
      to: 'cancelled',
      actor,
      message: 'Draft discarded',
    });
  }
}

function requireDraft(migration: Migration): void {
  if (migration.state !== 'draft') {
    throw new ConflictError(
      `Migration ${migration.id} is ${migration.state}, not a draft`,
    );
  }
}

/** The entity's owners (its `ownedBy` relations). */
function ownersOf(entity: Entity): string[] {
  return (entity.relations ?? [])
    .filter(r => r.type === RELATION_OWNED_BY)
    .map(r => r.targetRef);
}
