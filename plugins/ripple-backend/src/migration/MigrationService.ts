import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  CatalogEntitySummary,
  type ChangeSpec,
  Dataset,
  Migration,
  MigrationEvent,
  Review,
  ReviewDecision,
  sameTable,
} from '@ripple/backstage-plugin-ripple-common';
import type { RippleEngine } from '@ripple/engine';
import type { ConsumerPreview, MigrationAgent } from '../agent/MigrationAgent';
import type {
  EntityRole,
  MigrationFilter,
  MigrationStore,
  Page,
  PageRequest,
} from '../database/MigrationStore';
import {
  ANNOTATION_RIPPLE_TABLE,
  DatasetReader,
  isDataset,
} from '../dataset/DatasetReader';
import { isTargetDate } from '../database/deadlines';
import { decodeCursor, encodeCursor, isSeq } from '../database/paging';
import { checkChangeSpec } from './changeSpec';
import type { ConsumerVisibility } from './visibility';

/** What a new migration is made of, as a person asks for it. */
export type MigrationRequest = {
  /** The dataset entity, from {@link MigrationService.requireDataset}. */
  dataset: Entity;
  datasetRef: string;
  change: ChangeSpec;
  title: string;
  /** An owner other than the creator, checked to be in the catalog. */
  owner?: string;
  createdBy: string;
  /** The deadline, YYYY-MM-DD. */
  targetDate?: string;
};

/**
 * The migration's lifecycle (docs/backend.md): creation, analysis,
 * cancellation, reviews and previews, with the rules each follows, and what
 * of it a caller may read. The routes authorize, audit and map to the API;
 * the agent and the rollout do the work in the background.
 */
export class MigrationService {
  constructor(
    private readonly options: {
      engine: Pick<RippleEngine, 'validateChange'>;
      store: MigrationStore;
      /** Computes previews (the agent's discovery and proposals, unsaved). */
      agent: Pick<MigrationAgent, 'preview' | 'datasetCode'>;
      /** Reads datasets' tables and schemas. */
      datasets: Pick<DatasetReader, 'read'>;
      catalog: Pick<CatalogService, 'getEntityByRef'>;
      visibility: ConsumerVisibility;
      /** `spec.type`s of the Resource entities that are datasets. */
      datasetTypes: string[];
      /**
       * How many consumers of the migration are found in lineage only
       * (OpenLineage jobs reading its dataset that no entity maps to); absent
       * without OpenLineage.
       */
      unownedConsumers?: (migration: Migration) => Promise<number>;
    },
  ) {}

  /** The migration, or a 404. The one place a missing id is refused. */
  async require(id: string): Promise<Migration> {
    const migration = await this.options.store.getMigration(id);
    if (!migration) {
      throw new NotFoundError(`No migration ${id}`);
    }
    return migration;
  }

  /**
   * A 404 unless the migration exists; cheaper than {@link require} (no
   * progress is counted), for the routes that list its rows.
   */
  async requireExists(id: string): Promise<void> {
    if (!(await this.options.store.hasMigration(id))) {
      throw new NotFoundError(`No migration ${id}`);
    }
  }

  /** The migration as the caller may read it, or a 404. */
  async get(id: string, credentials: BackstageCredentials): Promise<Migration> {
    const [migration] = await this.options.visibility.redactMigrations(
      credentials,
      [await this.require(id)],
    );
    const { unownedConsumers } = this.options;
    if (!unownedConsumers) return migration;
    return {
      ...migration,
      progress: {
        ...migration.progress,
        unowned: await unownedConsumers(migration),
      },
    };
  }

  /** Migrations, newest first, as the caller may read them. */
  async list(
    filter: MigrationFilter,
    page: PageRequest,
    credentials: BackstageCredentials,
  ): Promise<Page<Migration>> {
    const listed = await this.options.store.listMigrations(filter, page);
    return {
      ...listed,
      items: await this.options.visibility.redactMigrations(
        credentials,
        listed.items,
      ),
    };
  }

  /**
   * The migrations an entity takes part in. Whether an entity the catalog
   * hides takes part in migrations is not told: it has none, as for an
   * entity that does not exist.
   */
  async listOfEntity(
    entityRef: string,
    page: PageRequest,
    credentials: BackstageCredentials,
  ): Promise<Page<{ migration: Migration; roles: EntityRole[] }>> {
    const { store, visibility } = this.options;
    if (!(await visibility.visible(credentials, [entityRef])).size) {
      return { items: [], totalCount: 0 };
    }
    return store.listMigrationsOfEntity(entityRef, page);
  }

  /**
   * The timeline. An event about a consumer the caller may not see is left
   * out (the page may then hold fewer than `limit`; `nextCursor` or
   * `afterId` pages on), and such a consumer named in another event's text
   * (a pause's reason) is hidden. `cursor` is a page's `nextCursor`: the
   * place of the last event it read (docs/backend.md, "Paging").
   */
  async events(
    id: string,
    options: { afterId?: number; limit: number; cursor?: string },
    credentials: BackstageCredentials,
  ): Promise<{ items: MigrationEvent[]; nextCursor?: string }> {
    const { store, visibility } = this.options;
    const scope = { list: 'events', filter: { migrationId: id } };
    if (options.cursor !== undefined && options.afterId !== undefined) {
      throw new InputError(
        'cursor: a cursor gives the position; it cannot be combined with after',
      );
    }
    const afterId =
      options.cursor === undefined
        ? options.afterId
        : decodeCursor(options.cursor, scope, isSeq).key;
    await this.requireExists(id);
    // One more than the page: whether another follows, without counting.
    const read = await store.listEvents(id, {
      afterId,
      limit: options.limit + 1,
    });
    const events = read.slice(0, options.limit);
    const items = await visibility.redactEvents(
      credentials,
      await visibility.filter(credentials, events, e => e.consumerRef),
    );
    return read.length > options.limit
      ? {
          items,
          nextCursor: encodeCursor(scope, events[events.length - 1].id, 0),
        }
      : { items };
  }

  /**
   * A dataset entity, or an error saying why the ref is not one: a 400 for
   * a field of a request body, a 404 for a path (`inPath`).
   */
  async requireDataset(
    datasetRef: string,
    credentials: BackstageCredentials,
    inPath = false,
  ): Promise<Entity> {
    const { catalog, datasetTypes } = this.options;
    const Missing = inPath ? NotFoundError : InputError;
    const dataset = await catalog.getEntityByRef(datasetRef, { credentials });
    if (!dataset) {
      throw new Missing(`datasetRef: no entity ${datasetRef} in the catalog`);
    }
    if (!isDataset(dataset, datasetTypes)) {
      throw new Missing(
        `datasetRef: ${datasetRef} is not a dataset (a Resource of type ${datasetTypes.join(
          ' or ',
        )})`,
      );
    }
    return dataset;
  }

  /** A dataset's table and schema; a 404 when the ref is not a dataset. */
  async readDataset(
    datasetRef: string,
    credentials: BackstageCredentials,
  ): Promise<Dataset> {
    return this.options.datasets.read(
      await this.requireDataset(datasetRef, credentials, true),
    );
  }

  /** The code of the dataset's consumers the caller may see. */
  async datasetCode(datasetRef: string, credentials: BackstageCredentials) {
    const dataset = await this.readDataset(datasetRef, credentials);
    return this.options.visibility.filter(
      credentials,
      await this.options.agent.datasetCode(dataset),
      c => c.consumerRef,
    );
  }

  /** The entities of the catalog's summary the caller may see. */
  async catalogSummary(
    credentials: BackstageCredentials,
  ): Promise<CatalogEntitySummary[]> {
    return this.options.visibility.filter(
      credentials,
      await this.options.store.catalogSummary(),
      e => e.entityRef,
    );
  }

  /**
   * Creates a migration in `draft`. Its owner must be in the catalog, and
   * its change must be one the engine accepts, of the dataset's own table.
   */
  async create(
    request: MigrationRequest,
    credentials: BackstageCredentials,
  ): Promise<Migration> {
    const { dataset, datasetRef, change, title, createdBy } = request;
    if (request.owner) {
      await this.requireEntity('owner', request.owner, credentials);
    }
    await this.checkChange(dataset, change);
    const { targetDate } = request;
    if (targetDate !== undefined) checkTargetDate(targetDate);
    return this.options.store.createMigration({
      datasetRef,
      change,
      title,
      owner: request.owner ?? createdBy,
      createdBy,
      ...(targetDate ? { targetDate } : {}),
    });
  }

  /** Sets, moves or removes (null) the migration's deadline. */
  async setTargetDate(
    migration: Migration,
    targetDate: string | null,
    actor: string,
  ): Promise<Migration> {
    if (targetDate !== null) checkTargetDate(targetDate);
    return this.options.store.setTargetDate({
      migrationId: migration.id,
      targetDate,
      actor,
    });
  }

  /**
   * What a change would do, unsaved: each consumer the caller may see, with
   * the engine's proposal for its code.
   */
  async preview(
    dataset: Entity,
    datasetRef: string,
    change: ChangeSpec,
    credentials: BackstageCredentials,
  ): Promise<ConsumerPreview[]> {
    await this.checkChange(dataset, change);
    return this.options.visibility.filter(
      credentials,
      await this.options.agent.preview(datasetRef, change),
      p => p.consumerRef,
    );
  }

  /**
   * Asks for an analysis (again): the agent picks the migration up. One
   * already analysing is left as it is.
   */
  async analyze(migration: Migration, actor: string): Promise<Migration> {
    if (migration.state === 'analyzing') {
      return migration;
    }
    return this.options.store.transition({
      migrationId: migration.id,
      to: 'analyzing',
      actor,
      message:
        migration.state === 'draft'
          ? 'Analysis requested'
          : `Analysis requested again (was ${migration.state})`,
    });
  }

  async cancel(
    migration: Migration,
    actor: string,
    reason?: string,
  ): Promise<Migration> {
    return this.options.store.transition({
      migrationId: migration.id,
      to: 'cancelled',
      actor,
      message: reason ? `Cancelled: ${reason}` : 'Cancelled',
    });
  }

  /**
   * Records an owner's decision on a patch. The store refuses (409) a
   * decision on a stale or superseded patch, or one made without seeing a
   * review recorded meanwhile; and with `requireValidation` (the rollout
   * plan's, `RolloutService.requiresValidation`) an approval of a
   * patch whose validation did not pass (or was not skipped with its
   * reason).
   */
  async review(input: {
    migrationId: string;
    consumerRef: string;
    patchId: number;
    previousReviewId?: number;
    decision: ReviewDecision;
    reviewer: string;
    comment?: string;
    requireValidation?: boolean;
  }): Promise<Review> {
    return this.options.store.recordReview(input);
  }

  /** The entity, or a 400 naming the field that refers to a missing one. */
  private async requireEntity(
    field: string,
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Entity> {
    const entity = await this.options.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    if (!entity) {
      throw new InputError(`${field}: no entity ${entityRef} in the catalog`);
    }
    return entity;
  }

  /**
   * A change the engine accepts (a 400 naming the field otherwise), whose
   * `dataset` names the dataset entity's table (one may be less qualified
   * than the other).
   */
  private async checkChange(
    dataset: Entity,
    change: ChangeSpec,
  ): Promise<void> {
    checkChangeSpec(this.options.engine, change);
    const table = (change as { dataset?: unknown })?.dataset;
    if (typeof table !== 'string') {
      return; // The engine's check names the missing field.
    }
    const { ref, table: datasetTable } = await this.options.datasets.read(
      dataset,
    );
    if (!sameTable(table, datasetTable)) {
      throw new InputError(
        `change.dataset: "${table}" is not the table of ${ref}, which is "${datasetTable}" (its ${ANNOTATION_RIPPLE_TABLE} annotation, or its name)`,
      );
    }
  }
}

/** A target date, or a 400 naming the field. */
function checkTargetDate(value: string): void {
  if (!isTargetDate(value)) {
    throw new InputError(
      `targetDate: "${value}" is not a day of the calendar (YYYY-MM-DD)`,
    );
  }
}
