import type { LoggerService } from '@backstage/backend-plugin-api';
import type { RippleEngine } from '@ripple/engine';
import type { ConsumerFinder } from '../agent/ConsumerFinder';
import type { ConsumerSources } from '../agent/ConsumerSources';
import { entityDialect } from '../agent/annotations';
import type { Proposal } from '../agent/proposePatch';
import type { DatasetReader } from '../dataset/DatasetReader';
import type {
  EngineCanaryStore,
  OutdatedPatch,
} from '../database/EngineCanaryStore';
import { sampleKey } from '../database/EngineCanaryStore';
import { UNKNOWN_VERSION } from '../database/DatabaseEngineCanaryStore';
import type { MigrationStore } from '../database/MigrationStore';
import { classifyProposal } from './classify';
import { EnginePool } from './EnginePool';

/** Which consumers a canary re-analyses (`ripple.agent.engineCanary`). */
export type CanarySample = {
  /** The first this many consumers with outdated patches. Default: 5. */
  consumers: number;
  /** Instead, every consumer of these migrations. */
  migrations?: string[];
};

/**
 * The engine canary (docs/backend.md, "Engine versions and the canary").
 * When the backend runs an engine version that did not make the current
 * patches of the open migrations, those patches are not re-proposed at
 * once: {@link EngineCanary.runOnce} re-analyses a sample with the new
 * version and records each proposal beside the current patch, then waits
 * for an administrator. Accepted, it re-proposes the others: an unchanged
 * patch keeps its version number and its reviews (only the version that
 * made it is recorded), a changed one is marked stale and replaced.
 * Refused, nothing is re-proposed for that version.
 *
 * Consumers whose code changed are the refresh's (MigrationAgent): it
 * replaces their patches with the running version whatever the canary
 * says, as it has no other engine to make them with.
 *
 * Every step is recorded as it is done, and each is idempotent, so a run
 * cut short (a restart, the scheduler's abort) is done again at the next.
 */
export class EngineCanary {
  constructor(
    private readonly options: {
      store: MigrationStore;
      canaries: EngineCanaryStore;
      engine: RippleEngine;
      /**
       * Where the proposals run: a pool of `engine`. A canary's engine is
       * a new version, usually the plugin's own `@ripple/engine` after an
       * upgrade, whose workers the pool has; a replaced engine runs inline
       * (the pool's rule). Default: inline.
       */
      pool?: EnginePool;
      finder: ConsumerFinder;
      sources: ConsumerSources;
      datasets: Pick<DatasetReader, 'read'>;
      logger: LoggerService;
      sample: CanarySample;
      /** Called when proposals were recorded (validation runs then). */
      onProposed?: () => void;
    },
  ) {
    this.pool = options.pool ?? EnginePool.inline(options.engine);
    // The canary records `engine.version()` beside each proposal.
    if (this.pool.engine !== options.engine) {
      throw new Error(
        "EngineCanary: the engine pool does not run the canary's engine",
      );
    }
  }

  private readonly pool: EnginePool;

  async runOnce(signal?: AbortSignal): Promise<void> {
    const { canaries, engine, logger } = this.options;
    const version = engine.version();
    let canary = await canaries.getCanarySummary(version);
    if (!canary) {
      const outdated = await canaries.outdatedPatches(version);
      if (outdated.length === 0) return;
      const previous = [
        ...new Set(outdated.map(o => o.patch.engineVersion ?? UNKNOWN_VERSION)),
      ].sort();
      logger.info(
        `Engine ${version} runs, and ${
          outdated.length
        } current patches of open migrations were made by ${previous.join(
          ', ',
        )}: trying it on a sample before re-proposing them`,
      );
      canary = await canaries.startCanary(version, previous);
    }
    if (canary.state === 'sampling') {
      await this.sample(version, signal);
    } else if (canary.state === 'accepted') {
      await this.reproposeRest(version, signal);
    }
  }

  /** Re-analyses the sample's consumers not recorded yet. */
  private async sample(version: string, signal?: AbortSignal): Promise<void> {
    const { canaries, logger } = this.options;
    const { consumers, migrations } = this.options.sample;
    const done = await canaries.sampledKeys(version);
    const candidates = await canaries.outdatedPatches(
      version,
      migrations ? { migrationIds: migrations } : {},
    );
    let sampled = done.size;
    for (const outdated of candidates) {
      if (!migrations && sampled >= consumers) break;
      if (signal?.aborted) return;
      const { migrationId, patch } = outdated;
      if (done.has(sampleKey(migrationId, patch.consumerRef))) continue;
      const proposal = await this.propose(outdated);
      // Unreadable code is left out (the next candidate takes its place),
      // and so is code that changed since its patch was made: that is the
      // refresh's, and not a difference the engine makes.
      if (!proposal || proposal.baseHash !== patch.baseHash) continue;
      await canaries.recordSample(version, {
        migrationId,
        consumerRef: patch.consumerRef,
        patchId: patch.id,
        outcome: classifyProposal(patch, proposal),
        proposal,
      });
      sampled += 1;
    }
    if (signal?.aborted) return;
    await canaries.finishSampling(version);
    logger.info(
      `The canary of engine ${version} re-analysed ${sampled} consumers; it awaits an administrator's decision`,
    );
  }

  /** Re-proposes every outdated patch with the accepted version. */
  private async reproposeRest(
    version: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const { canaries, store, logger } = this.options;
    let recorded = 0;
    try {
      for (const outdated of await canaries.outdatedPatches(version)) {
        if (signal?.aborted) return;
        const { migrationId, patch } = outdated;
        const proposal = await this.propose(outdated);
        if (!proposal || proposal.baseHash !== patch.baseHash) continue;
        const key = { migrationId, consumerRef: patch.consumerRef };
        const unchanged =
          classifyProposal(patch, proposal) === 'unchanged' && !patch.stale;
        if (!unchanged) {
          logger.info(
            `Engine ${version} proposes another patch for ${patch.consumerRef} in migration ${migrationId}; replacing version ${patch.version}`,
          );
          await store.markPatchStale({
            ...key,
            patchId: patch.id,
            reason: 'engine',
          });
        }
        // Unchanged, the same patch only records the version (its reviews
        // stay); changed, a new version replaces the stale one.
        await store.recordPatch({
          ...key,
          ...proposal,
          engineVersion: version,
        });
        if (!unchanged) recorded += 1;
      }
    } finally {
      if (recorded) this.options.onProposed?.();
    }
  }

  /** The running engine's proposal for an outdated patch's consumer. */
  private async propose({
    migrationId,
    datasetRef,
    change,
    patch,
  }: OutdatedPatch): Promise<Proposal | undefined> {
    const { finder, sources, datasets, engine, logger } = this.options;
    try {
      const entity = await finder.get(patch.consumerRef);
      if (!entity) return undefined;
      entityDialect(engine, entity);
      const code = await sources.read(entity);
      if (!code) return undefined;
      const dataset = await finder.get(datasetRef);
      const columns = dataset ? (await datasets.read(dataset)).columns : [];
      return await this.pool.propose({
        change,
        code,
        columns,
        consumerRef: patch.consumerRef,
      });
    } catch (error) {
      logger.warn(
        `Could not re-analyse ${
          patch.consumerRef
        } of migration ${migrationId} with engine ${engine.version()}: ${error}`,
      );
      return undefined;
    }
  }
}
