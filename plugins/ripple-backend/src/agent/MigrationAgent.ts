import type { LoggerService } from '@backstage/backend-plugin-api';
import { randomUUID } from 'node:crypto';
import type { Entity } from '@backstage/catalog-model';
import type {
  ChangeSpec,
  ConsumerCode as ConsumerCodeResponse,
  Dataset,
  DatasetColumn,
  Migration,
} from '@ripple/backstage-plugin-ripple-common';
import type { RippleEngine } from '@ripple/engine';
import type { DatasetReader } from '../dataset/DatasetReader';
import { EnginePool } from '../engine/EnginePool';
import type { MigrationStore } from '../database/MigrationStore';
import type { ConsumerFinder } from './ConsumerFinder';
import type { ConsumerSources } from './ConsumerSources';
import { type ConsumerPreview, consumerPreview } from './consumerPreview';
import { entityDialect, InvalidAnnotationError } from './annotations';
import { candidateCode } from './candidateCode';
import { datasetCode } from './datasetCode';
import { inOrder } from './bounded';
import { PatchRefresh } from './PatchRefresh';

export type { ConsumerPreview } from './consumerPreview';

/** How long to wait before retrying a failed analysis. */
export type RetryPolicy = { initialSeconds: number; maxSeconds: number };

// Consumers written at once. Each write is a transaction holding one of
// the plugin's database connections (knex's default pool has 10) until its
// commit: the agent leaves most of them to the requests served meanwhile.
const CONCURRENCY = 4;

/**
 * The background agent. {@link MigrationAgent.runOnce} analyses the
 * migrations waiting in `analyzing`: it finds their consumers, has the
 * engine propose a patch for each and records them, then moves the migration
 * to `proposed`. Every write is idempotent (a consumer is recorded once, an
 * unchanged patch is kept), so a run cut short by a restart is simply done
 * again; a failed run is retried with exponential backoff, each failure on
 * the timeline. {@link MigrationAgent.refreshPatches} re-reads the consumers
 * of proposed and rolling-out migrations: a patch whose base hash no longer
 * matches the code is marked stale and replaced by a new version; and it
 * records the consumers found since the analysis.
 */
export class MigrationAgent {
  constructor(
    private readonly options: {
      store: MigrationStore;
      finder: ConsumerFinder;
      sources: ConsumerSources;
      /**
       * Where requests (`preview`, `datasetCode`) read consumers' code: the
       * consumer index, which never reads a repository inside a request.
       * `sources` when absent.
       */
      requestSources?: ConsumerSources;
      /**
       * Whether the consumer index can answer for the whole catalog: the
       * refresh waits until it can (its first build after the plugin is
       * installed; an analysis waits for `readyFor`, which includes it).
       * Always, when absent.
       */
      ready?: () => Promise<boolean>;
      /**
       * Whether the consumer index answers for the catalog as it was at
       * `since` (a scan started after it completed): an analysis waits for
       * one that started after it was asked for, so it sees every entity
       * the catalog held then. Always, when absent.
       */
      readyFor?: (since: Date) => Promise<boolean>;
      /**
       * The consumers of a migration whose code may have changed since
       * their patch (the consumer index compares hashes): the refresh reads
       * only these. Every consumer, when absent.
       */
      changedConsumers?: (
        migrationId: string,
      ) => Promise<{ consumerRef: string; discoveredBy: string }[]>;
      /** Reads datasets' columns, so `SELECT *` consumers are handled. */
      datasets: Pick<DatasetReader, 'read'>;
      engine: RippleEngine;
      /**
       * Where the proposals run (docs/backend.md, "Engine workers"): a pool
       * of `engine`. Default: inline, on the event loop.
       */
      pool?: EnginePool;
      logger: LoggerService;
      retry?: RetryPolicy;
      /**
       * How long a replica's claim on a migration's analysis lasts: a dead
       * replica's analysis is taken over after it. Default: 30 minutes.
       */
      analysisLeaseMs?: number;
      now?: () => Date;
      /**
       * Called once after a run that recorded new patches: the validation
       * task runs then, not at its next interval.
       */
      onProposed?: () => void;
    },
  ) {
    this.pool = options.pool ?? EnginePool.inline(options.engine);
    // Every patch records `engine.version()`: it must be the engine that
    // made it.
    if (this.pool.engine !== options.engine) {
      throw new Error(
        "MigrationAgent: the engine pool does not run the agent's engine",
      );
    }
    this.refresh = new PatchRefresh({
      ...options,
      pool: this.pool,
      columnsOf: datasetRef => this.columnsOf(datasetRef),
      checkAnnotations: entity => this.checkAnnotations(entity),
      newConsumers: (datasetRef, change, skip) =>
        this.consumers(datasetRef, change, skip),
      record: (migrationId, preview) =>
        this.recordProposal(migrationId, preview),
    });
  }

  private readonly pool: EnginePool;

  private readonly refresh: PatchRefresh;

  /** A patch was recorded since the last `onProposed`. */
  private proposed = false;

  private announceProposals(): void {
    if (!this.proposed) return;
    this.proposed = false;
    this.options.onProposed?.();
  }

  /**
   * Every consumer of a change to a dataset with the engine's proposal;
   * nothing is saved. Code that cannot be read fails the preview when the
   * entity declares it depends on the dataset, and is skipped (logged)
   * otherwise.
   */
  async preview(
    datasetRef: string,
    change: ChangeSpec,
  ): Promise<ConsumerPreview[]> {
    const previews: ConsumerPreview[] = [];
    for await (const preview of this.consumers(
      datasetRef,
      change,
      undefined,
      this.requestSources(),
    )) {
      previews.push(preview);
    }
    return previews;
  }

  /**
   * The consumers of {@link MigrationAgent.preview}, in the candidates'
   * order. Several are proposed at once (enough to keep every engine worker
   * busy); a consumer is yielded once it and those before it are done.
   */
  private async *consumers(
    datasetRef: string,
    change: ChangeSpec,
    /** Consumers already known, whose code is not read. */
    skip?: Set<string>,
    sources = this.options.sources,
  ): AsyncGenerator<ConsumerPreview> {
    const columns = await this.columnsOf(datasetRef);
    for await (const preview of inOrder(
      this.readCandidates(
        { ref: datasetRef, table: change.dataset },
        skip,
        sources,
      ),
      this.pool.concurrency,
      candidate =>
        consumerPreview(
          { pool: this.pool, engine: this.options.engine },
          candidate,
          change,
          columns,
        ),
    )) {
      if (preview) yield preview;
    }
  }

  /**
   * The code of the dataset's consumers, as {@link MigrationAgent.preview}
   * reads it, without a change: the declared consumers, and the other
   * entities whose code reads the dataset's table. What the browser's engine
   * needs to compute impact and patches as a change is edited.
   */
  async datasetCode(dataset: Dataset): Promise<ConsumerCodeResponse[]> {
    return datasetCode(
      this.options.engine,
      dataset,
      this.readCandidates(dataset, undefined, this.requestSources()),
    );
  }

  private requestSources(): ConsumerSources {
    return this.options.requestSources ?? this.options.sources;
  }

  private readCandidates(
    dataset: { ref: string; table: string },
    skip: Set<string> | undefined,
    sources: ConsumerSources,
  ) {
    const { finder, logger, engine } = this.options;
    return candidateCode({ finder, sources, logger, engine }, dataset, skip);
  }

  /** Refuses an entity whose Ripple annotations are unusable ({@link InvalidAnnotationError}). */
  private checkAnnotations(entity: Entity): void {
    entityDialect(this.options.engine, entity);
  }

  /** The dataset's columns; none when it is no longer in the catalog. */
  private async columnsOf(datasetRef: string): Promise<DatasetColumn[]> {
    const entity = await this.options.finder.get(datasetRef);
    return entity ? (await this.options.datasets.read(entity)).columns : [];
  }

  /**
   * Analyses the migrations whose analysis is due; see the class. `signal`
   * is the scheduler's: when it aborts (the run's timeout, the backend
   * shutting down) the run stops between two consumers, what it recorded
   * stays, and the migration stays in `analyzing`, due for the next run (a
   * run past its timeout would otherwise overlap the next one, which may
   * start on another replica).
   */
  async runOnce(signal?: AbortSignal): Promise<void> {
    try {
      await this.analyzeDue(signal);
    } finally {
      this.announceProposals();
    }
  }

  private async analyzeDue(signal?: AbortSignal): Promise<void> {
    const { store, logger } = this.options;
    // (Whether the index is ready is asked per claimed migration, by
    // `indexReadyFor`: nothing is asked on a run with nothing due.)
    // Every replica runs the agent: each claims one migration at a time,
    // so replicas analyse different migrations, and a dead replica's
    // analysis is taken over when its lease runs out.
    const token = randomUUID();
    for (let n = 0; n < 20; n++) {
      if (signal?.aborted) return;
      const migration = await store.claimDueAnalysis({
        token,
        now: this.now(),
        leaseMs: this.options.analysisLeaseMs ?? 30 * 60_000,
      });
      if (!migration) return;
      try {
        if (!(await this.indexReadyFor(migration))) return;
        await this.analyze(migration, signal);
      } catch (error) {
        const attempts = (migration.analysis?.attempts ?? 0) + 1;
        const { initialSeconds, maxSeconds } = this.options.retry ?? {
          initialSeconds: 30,
          maxSeconds: 3600,
        };
        const delay = Math.min(
          maxSeconds,
          initialSeconds * 2 ** (attempts - 1),
        );
        const message = (error as Error).message;
        logger.warn(
          `Analysis of migration ${migration.id} failed (attempt ${attempts}), retrying in ${delay} s: ${message}`,
        );
        await store
          .recordAnalysisFailure({
            migrationId: migration.id,
            error: message,
            retryAt: new Date(this.now().getTime() + delay * 1000),
          })
          // Cancelled meanwhile: nothing to retry.
          .catch(e => logger.info(`Not retrying ${migration.id}: ${e}`));
      } finally {
        await store.releaseAnalysis(migration.id, token);
      }
    }
  }

  /**
   * Replaces the patches whose code changed; see the class. Stops between
   * two consumers when `signal` aborts; the next run reads them again.
   */
  async refreshPatches(signal?: AbortSignal): Promise<void> {
    try {
      if (await this.indexReady()) await this.refresh.run(signal);
    } finally {
      this.announceProposals();
    }
  }

  /**
   * Records a consumer with the engine's proposal for its code: the
   * consumer and its patch in one transaction (half the statements of two,
   * and a crash leaves both or neither).
   */
  private async recordProposal(
    migrationId: string,
    { consumerRef, discoveredBy, proposal }: ConsumerPreview,
  ): Promise<void> {
    await this.options.store.putConsumerWithPatch({
      migrationId,
      consumerRef,
      discoveredBy,
      impact: proposal?.impact,
      ...(proposal
        ? {
            patch: {
              diff: proposal.diff,
              baseHash: proposal.baseHash,
              status: proposal.status,
              reasons: proposal.reasons,
              engineVersion: this.options.engine.version(),
            },
          }
        : {}),
    });
    if (proposal) this.proposed = true;
  }

  private async analyze(
    migration: Migration,
    signal?: AbortSignal,
  ): Promise<void> {
    const { store, logger } = this.options;
    const started = Date.now();
    let consumers = 0;
    let patches = 0;
    let forAPerson = 0;
    const found = new Set<string>();
    // Each consumer is recorded as soon as it is analysed: what a run cut
    // short did stays done, and the next run finds it unchanged.
    // A few are written at once, so that the agent's writes are not queued
    // one by one behind every other request the backend serves.
    const writes = new Set<Promise<void>>();
    let failed: Error | undefined;
    const record = async ({
      consumerRef,
      discoveredBy,
      proposal,
      skipped,
    }: ConsumerPreview) => {
      const key = { migrationId: migration.id, consumerRef };
      try {
        if (skipped) {
          await store.addEvent({
            ...key,
            type: 'consumer-skipped',
            message: `Skipped ${consumerRef} while looking for readers of ${migration.datasetRef}: ${skipped}`,
            data: { reason: skipped },
          });
          return;
        }
        await this.recordProposal(migration.id, {
          consumerRef,
          discoveredBy,
          proposal,
        });
      } catch (error) {
        failed ??= error as Error;
      }
    };
    try {
      for await (const preview of this.consumers(
        migration.datasetRef,
        migration.change,
      )) {
        const { consumerRef, proposal, skipped } = preview;
        const write = record(preview);
        writes.add(write);
        write.then(() => writes.delete(write));
        if (!skipped) {
          consumers += 1;
          found.add(consumerRef.toLocaleLowerCase('en-US'));
        }
        if (proposal) {
          patches += 1;
          if (proposal.status === 'needs_edit' || proposal.status === 'error') {
            forAPerson += 1;
          }
        }
        if (writes.size >= CONCURRENCY) {
          await Promise.race(writes);
        }
        if (failed || signal?.aborted) {
          break;
        }
      }
    } finally {
      // Even when reading fails: what was analysed is written before the
      // failure is recorded.
      await Promise.all(writes);
    }
    if (failed) {
      throw failed;
    }
    if (signal?.aborted) {
      logger.info(
        `Analysis of migration ${migration.id} stopped after ${consumers} consumers: the run was aborted; the next run analyses it again, finding those recorded unchanged`,
      );
      return;
    }
    // Consumers of an earlier analysis that this one did not find.
    const gone = (await store.listConsumerRefs(migration.id))
      .map(c => c.consumerRef)
      .filter(consumerRef => !found.has(consumerRef));
    for (const consumerRef of gone) {
      await store.removeConsumer({
        migrationId: migration.id,
        consumerRef,
        reason: 'the analysis no longer finds it reading the dataset',
      });
    }
    logger.info(
      `Analysed migration ${migration.id}: ${consumers} consumers in ${
        (Date.now() - started) / 1000
      } s`,
    );
    await store.transition({
      migrationId: migration.id,
      to: 'proposed',
      message: `Analysis done: ${consumers} consumers, ${patches} patches, ${forAPerson} of them needing a person`,
    });
  }

  private async indexReady(): Promise<boolean> {
    if (!this.options.ready || (await this.options.ready())) return true;
    this.options.logger.info(
      'Waiting for the consumer index to read the whole catalog once before analysing',
    );
    return false;
  }

  private async indexReadyFor(migration: Migration): Promise<boolean> {
    // (`updatedAt` is when it entered `analyzing`, or later: never earlier.)
    const since = new Date(migration.updatedAt);
    if (!this.options.readyFor || (await this.options.readyFor(since))) {
      return true;
    }
    this.options.logger.info(
      `Waiting for a scan of the catalog newer than the request to analyse migration ${migration.id}`,
    );
    return false;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}
