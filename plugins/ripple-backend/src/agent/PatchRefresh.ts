import type { LoggerService } from '@backstage/backend-plugin-api';
import { type Entity, RELATION_DEPENDS_ON } from '@backstage/catalog-model';
import type {
  ChangeSpec,
  ConsumerDiscovery,
  DatasetColumn,
  Migration,
  MigrationState,
} from '@ripple/backstage-plugin-ripple-common';
import type { MigrationStore } from '../database/MigrationStore';
import type { EnginePool } from '../engine/EnginePool';
import { forEachBounded } from './bounded';
import type { ConsumerFinder } from './ConsumerFinder';
import type { ConsumerSources } from './ConsumerSources';
import type { ConsumerPreview } from './consumerPreview';
import { migrationsIn } from './pages';
import { hashCode } from './proposePatch';

// Migrations whose patches the refresh keeps current.
const REFRESHED_STATES: MigrationState[] = [
  'proposed',
  'rolling_out',
  'paused',
];

/**
 * The agent's refresh ({@link MigrationAgent.refreshPatches}): re-reads the
 * consumers of proposed and rolling-out migrations whose code may have
 * changed; a patch whose base hash no longer matches the code is marked
 * stale and replaced by a new version, a consumer whose code no longer
 * reads the dataset (or whose entity left the catalog) is removed, and the
 * consumers found since the analysis are recorded.
 */
export class PatchRefresh {
  constructor(
    private readonly options: {
      store: MigrationStore;
      finder: ConsumerFinder;
      sources: ConsumerSources;
      pool: EnginePool;
      logger: LoggerService;
      /** See the agent's option of that name. */
      changedConsumers?: (
        migrationId: string,
      ) => Promise<{ consumerRef: string; discoveredBy: string }[]>;
      columnsOf(datasetRef: string): Promise<DatasetColumn[]>;
      /** Refuses an entity whose Ripple annotations are unusable. */
      checkAnnotations(entity: Entity): void;
      /** The dataset's consumers but those in `skip`, with their proposals. */
      newConsumers(
        datasetRef: string,
        change: ChangeSpec,
        skip: Set<string>,
      ): AsyncIterable<ConsumerPreview>;
      /** Records a consumer and its patch, as the analysis does. */
      record(migrationId: string, preview: ConsumerPreview): Promise<void>;
    },
  ) {}

  async run(signal?: AbortSignal): Promise<void> {
    const { store, logger } = this.options;
    for await (const migration of migrationsIn(store, REFRESHED_STATES)) {
      if (signal?.aborted) return;
      // The kill switch (docs/rollout.md): no new proposal until resumed.
      if (migration.stopped) continue;
      const columns = await this.options
        .columnsOf(migration.datasetRef)
        .catch(error => {
          logger.warn(
            `Could not read the dataset ${migration.datasetRef}: ${error}`,
          );
          return [];
        });
      const consumers = await store.listConsumerRefs(migration.id);
      // Only the consumers whose code may have changed (the consumer index
      // compares hashes), several at once so that every engine worker is
      // busy; each consumer's reads and writes stay in their order.
      const changed = this.options.changedConsumers
        ? ((await this.options.changedConsumers(
            migration.id,
          )) as typeof consumers)
        : consumers;
      // Their entities in a few catalog requests, not one each.
      const entities = await this.options.finder.getMany(
        changed.map(c => c.consumerRef),
      );
      await forEachBounded(changed, this.options.pool.concurrency, signal, c =>
        this.refreshConsumer(
          migration,
          c,
          columns,
          entities.get(c.consumerRef.toLocaleLowerCase('en-US')),
        ),
      );
      if (signal?.aborted) return;
      await this.findNewConsumers(migration, consumers);
    }
  }

  /** One consumer of {@link PatchRefresh.run}. */
  private async refreshConsumer(
    migration: Migration,
    consumer: { consumerRef: string; discoveredBy: ConsumerDiscovery },
    columns: DatasetColumn[],
    /** Its entity; none when it left the catalog. */
    entity: Entity | undefined,
  ): Promise<void> {
    const { store, sources, logger } = this.options;
    // A consumer without a patch is read too: one found with code is
    // recorded, then its patch, in two writes, and a crash between them
    // leaves it without one, which no analysis would fix (new consumers
    // are looked for among the others). A declared consumer without
    // code has none, and nothing to read.
    const patch = await store.getCurrentPatch(
      migration.id,
      consumer.consumerRef,
    );
    // Unreadable code (or an annotation gone bad) is tried again at the
    // next refresh; the patch made from readable code stays.
    const code =
      entity &&
      (await (async () => {
        this.options.checkAnnotations(entity);
        return sources.read(entity);
      })().catch(error => {
        logger.warn(
          `Could not re-read the code of ${consumer.consumerRef}: ${error}`,
        );
        return undefined;
      }));
    const key = {
      migrationId: migration.id,
      consumerRef: consumer.consumerRef,
    };
    if (!entity) {
      await store.removeConsumer({
        ...key,
        reason: 'its entity left the catalog',
      });
      return;
    }
    if (!code || (patch && hashCode(code) === patch.baseHash)) {
      return;
    }
    const proposal = await this.options.pool.propose({
      change: migration.change,
      code,
      columns,
      consumerRef: consumer.consumerRef,
    });
    if (
      !proposal.failed &&
      proposal.impact.files.length === 0 &&
      !declares(entity, migration.datasetRef)
    ) {
      await store.removeConsumer({
        ...key,
        reason: 'its code no longer reads the dataset',
      });
      return;
    }
    if (patch) {
      logger.info(
        `The code of ${consumer.consumerRef} changed; replacing its patch in migration ${migration.id}`,
      );
      await store.markPatchStale({ ...key, patchId: patch.id });
    } else {
      logger.info(
        `${consumer.consumerRef} was recorded without its patch in migration ${migration.id}; proposing it`,
      );
    }
    await this.options.record(migration.id, {
      consumerRef: consumer.consumerRef,
      discoveredBy: consumer.discoveredBy,
      proposal,
    });
  }

  /**
   * Consumers that started reading the dataset after the analysis (a new
   * entity, or code that changed): recorded with their patch like the
   * analysis records them, so each follows the normal review path; once
   * approved, a rolling-out migration's rollout takes it in (docs/rollout.md).
   */
  private async findNewConsumers(
    migration: Migration,
    known: { consumerRef: string }[],
  ): Promise<void> {
    const { logger } = this.options;
    const skip = new Set(known.map(c => c.consumerRef));
    try {
      for await (const {
        consumerRef,
        discoveredBy,
        proposal,
        skipped,
      } of this.options.newConsumers(
        migration.datasetRef,
        migration.change,
        skip,
      )) {
        if (skipped) {
          // The analysis recorded it on the timeline; each refresh only logs.
          logger.info(`Skipped ${consumerRef}: ${skipped}`);
          continue;
        }
        logger.info(
          `Found a new consumer ${consumerRef} of migration ${migration.id} (${migration.state})`,
        );
        await this.options.record(migration.id, {
          consumerRef,
          discoveredBy,
          proposal,
        });
      }
    } catch (error) {
      // Tried again at the next refresh.
      logger.warn(
        `Could not look for new consumers of migration ${migration.id}: ${error}`,
      );
    }
  }
}

/** Whether an entity declares it depends on a dataset. */
export function declares(entity: Entity, datasetRef: string): boolean {
  return (entity.relations ?? []).some(
    relation =>
      relation.type === RELATION_DEPENDS_ON &&
      relation.targetRef.toLocaleLowerCase('en-US') ===
        datasetRef.toLocaleLowerCase('en-US'),
  );
}
