import type {
  ChangeSpec,
  EngineCanary,
  EngineCanaryOutcome,
  EngineCanaryState,
  Patch,
  PatchReason,
  PatchStatus,
} from '@ripple/backstage-plugin-ripple-common';

/**
 * A current patch of an open migration made by another engine version than
 * the running one (or by an unknown one: made before versions were
 * recorded), with what re-proposing it needs.
 */
export type OutdatedPatch = {
  migrationId: string;
  datasetRef: string;
  change: ChangeSpec;
  patch: Patch;
};

/** What the new version proposes for one consumer of the sample. */
export type CanarySample = {
  migrationId: string;
  consumerRef: string;
  /** The current patch it was compared with. */
  patchId: number;
  outcome: EngineCanaryOutcome;
  proposal: {
    diff: string;
    status: PatchStatus;
    reasons: PatchReason[];
    baseHash: string;
  };
};

/** A canary without its sample's consumers. */
export type CanarySummary = Omit<EngineCanary, 'consumers' | 'counts'>;

/**
 * The engine canaries (docs/backend.md, "Engine versions and the canary"):
 * one per engine version, its sample, and the administrator's decision.
 * Every write is idempotent or conditional on the canary's state, so a
 * backend killed at any point resumes where it was.
 */
export interface EngineCanaryStore {
  /**
   * The current patches of open migrations (proposed, rolling out or
   * paused) that another version than `engineVersion` made, oldest
   * migration first, then by consumer; only those of `migrationIds` when
   * given. A patch delivered already is not one: it is in the consumer's
   * code.
   */
  outdatedPatches(
    engineVersion: string,
    options?: { migrationIds?: string[]; limit?: number },
  ): Promise<OutdatedPatch[]>;

  /** How many {@link EngineCanaryStore.outdatedPatches} there are. */
  countOutdatedPatches(engineVersion: string): Promise<number>;

  /** The canary of a version, without its sample. */
  getCanarySummary(engineVersion: string): Promise<CanarySummary | undefined>;

  /** The canary of a version, with its sample, each consumer's patches side by side. */
  getCanary(engineVersion: string): Promise<EngineCanary | undefined>;

  /**
   * Starts the canary of a version, in `sampling`; the existing one when
   * another run (or replica) started it first.
   */
  startCanary(
    engineVersion: string,
    previousVersions: string[],
  ): Promise<CanarySummary>;

  /** Records one consumer of the sample; a consumer recorded already is kept. */
  recordSample(engineVersion: string, sample: CanarySample): Promise<void>;

  /** The consumers recorded in the sample, as `migrationId consumerRef` keys. */
  sampledKeys(engineVersion: string): Promise<Set<string>>;

  /** `sampling` to `awaiting_decision`; nothing when it moved on already. */
  finishSampling(engineVersion: string): Promise<void>;

  /**
   * Records the administrator's decision: `accepted` or `refused`. A
   * `ConflictError` unless the canary awaits a decision.
   */
  decide(input: {
    engineVersion: string;
    state: Extract<EngineCanaryState, 'accepted' | 'refused'>;
    decidedBy: string;
    comment?: string;
  }): Promise<EngineCanary>;
}

/** The key of a sampled consumer in {@link EngineCanaryStore.sampledKeys}. */
export function sampleKey(migrationId: string, consumerRef: string): string {
  return `${migrationId} ${consumerRef.toLocaleLowerCase('en-US')}`;
}
