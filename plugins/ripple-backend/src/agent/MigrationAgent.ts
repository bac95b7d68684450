import type { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import type {
  ConsumerDiscovery,
  Migration,
  MigrationState,
} from '@ripple/backstage-plugin-ripple-common';
import type { RippleEngine } from '@ripple/engine';
import type { MigrationStore } from '../database/MigrationStore';
import type { ConsumerFinder } from './ConsumerFinder';
import type { ConsumerSources } from './ConsumerSources';
import { hashCode, Proposal, proposePatch } from './proposePatch';

/** A consumer of a change, and the engine's proposal for its code. */
export type ConsumerPreview = {
  consumerRef: string;
  discoveredBy: ConsumerDiscovery;
  /** Absent when the entity says nowhere where its code is. */
  proposal?: Proposal;
};

/** How long to wait before retrying a failed analysis. */
export type RetryPolicy = { initialSeconds: number; maxSeconds: number };

// Migrations whose patches the refresh keeps current.
const REFRESHED_STATES: MigrationState[] = [
  'proposed',
  'rolling_out',
  'paused',
];
const PAGE = 200;

/**
 * The background agent. {@link MigrationAgent.runOnce} analyses the
 * migrations waiting in `analyzing`: it finds their consumers, has the
 * engine propose a patch for each and records them, then moves the migration
 * to `proposed`. Every write is idempotent (a consumer is recorded once, an
 * unchanged patch is kept), so a run cut short by a restart is simply done
 * again; a failed run is retried with exponential backoff, each failure on
 * the timeline. {@link MigrationAgent.refreshPatches} re-reads the consumers
 * of proposed and rolling-out migrations: a patch whose base hash no longer
 * matches the code is marked stale and replaced by a new version.
 */
export class MigrationAgent {
  constructor(
    private readonly options: {
      store: MigrationStore;
      finder: ConsumerFinder;
      sources: ConsumerSources;
      engine: RippleEngine;
      logger: LoggerService;
      retry?: RetryPolicy;
      now?: () => Date;
    },
  ) {}

  /**
   * Every consumer of a change to a dataset with the engine's proposal;
   * nothing is saved. Code that cannot be read fails the preview when the
   * entity declares it depends on the dataset, and is skipped (logged)
   * otherwise.
   */
  async preview(
    datasetRef: string,
    change: Record<string, unknown>,
  ): Promise<ConsumerPreview[]> {
    const previews: ConsumerPreview[] = [];
    for await (const preview of this.consumers(datasetRef, change)) {
      previews.push(preview);
    }
    return previews;
  }

  /** The consumers of {@link MigrationAgent.preview}, one at a time. */
  private async *consumers(
    datasetRef: string,
    change: Record<string, unknown>,
  ): AsyncGenerator<ConsumerPreview> {
    const { finder, sources, engine, logger } = this.options;
    for (const { entity, declared } of await finder.candidates(datasetRef)) {
      const consumerRef = stringifyEntityRef(entity);
      let code;
      try {
        code = await sources.read(entity);
      } catch (error) {
        if (declared) {
          throw new Error(
            `Could not read the code of ${consumerRef}: ${
              (error as Error).message
            }`,
          );
        }
        logger.warn(
          `Skipped ${consumerRef} while looking for readers of ${datasetRef}: ${error}`,
        );
        continue;
      }
      if (!code) {
        if (declared) {
          yield { consumerRef, discoveredBy: 'catalog' };
        }
        continue;
      }
      const proposal = proposePatch(engine, change, code);
      if (declared || proposal.impact.files.length > 0) {
        yield {
          consumerRef,
          discoveredBy: declared ? 'catalog' : 'code',
          proposal,
        };
      }
    }
  }

  /** Analyses the migrations whose analysis is due; see the class. */
  async runOnce(): Promise<void> {
    const { store, logger } = this.options;
    for (const migration of await store.listDueAnalyses(this.now(), 20)) {
      try {
        await this.analyze(migration);
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
      }
    }
  }

  /** Replaces the patches whose code changed; see the class. */
  async refreshPatches(): Promise<void> {
    const { store, finder, sources, engine, logger } = this.options;
    for await (const migration of this.migrationsIn(REFRESHED_STATES)) {
      for await (const consumer of this.consumersOf(migration.id)) {
        if (!consumer.patch) {
          continue;
        }
        const patch = await store.getCurrentPatch(
          migration.id,
          consumer.consumerRef,
        );
        const entity = await finder.get(consumer.consumerRef);
        // Unreadable code is tried again at the next refresh.
        const code =
          entity &&
          (await sources.read(entity).catch(error => {
            logger.warn(
              `Could not re-read the code of ${consumer.consumerRef}: ${error}`,
            );
            return undefined;
          }));
        if (!patch || !code || hashCode(code) === patch.baseHash) {
          continue;
        }
        logger.info(
          `The code of ${consumer.consumerRef} changed; replacing its patch in migration ${migration.id}`,
        );
        const key = {
          migrationId: migration.id,
          consumerRef: consumer.consumerRef,
        };
        await store.markPatchStale({ ...key, patchId: patch.id });
        const proposal = proposePatch(engine, migration.change, code);
        await store.putConsumer({
          ...key,
          discoveredBy: consumer.discoveredBy,
          impact: proposal.impact,
        });
        await store.recordPatch({ ...key, ...proposal });
      }
    }
  }

  private async analyze(migration: Migration): Promise<void> {
    const { store } = this.options;
    let consumers = 0;
    let patches = 0;
    let forAPerson = 0;
    // Each consumer is recorded as soon as it is analysed: what a run cut
    // short did stays done, and the next run finds it unchanged.
    for await (const { consumerRef, discoveredBy, proposal } of this.consumers(
      migration.datasetRef,
      migration.change,
    )) {
      consumers += 1;
      const key = { migrationId: migration.id, consumerRef };
      await store.putConsumer({
        ...key,
        discoveredBy,
        impact: proposal?.impact,
      });
      if (proposal) {
        await store.recordPatch({ ...key, ...proposal });
        patches += 1;
        if (proposal.status === 'needs_review' || proposal.status === 'error') {
          forAPerson += 1;
        }
      }
    }
    await store.transition({
      migrationId: migration.id,
      to: 'proposed',
      message: `Analysis done: ${consumers} consumers, ${patches} patches, ${forAPerson} of them needing a person`,
    });
  }

  private async *migrationsIn(states: MigrationState[]) {
    for (let offset = 0; ; offset += PAGE) {
      const { items } = await this.options.store.listMigrations(
        { states },
        { limit: PAGE, offset },
      );
      yield* items;
      if (items.length < PAGE) {
        return;
      }
    }
  }

  private async *consumersOf(migrationId: string) {
    for (let offset = 0; ; offset += PAGE) {
      const { items } = await this.options.store.listConsumers(migrationId, {
        limit: PAGE,
        offset,
      });
      yield* items;
      if (items.length < PAGE) {
        return;
      }
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}
