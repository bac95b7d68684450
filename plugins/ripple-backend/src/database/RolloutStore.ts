import type {
  ConsumerDelivery,
  ConsumerHealth,
  HealthSignals,
  MigrationState,
  Patch,
  RolloutPlan,
} from '@ripple/backstage-plugin-ripple-common';
import type { Delivery } from '@ripple/backstage-plugin-ripple-node';
import type { CompatViewMark, CompatViewRecord } from './compatViewRows';
import type { HealthSignalInput } from './healthSignals';
import type { RolloutEvent } from './rolloutRows';

/** A timeline event written with a rollout change. */
export type { RolloutEvent } from './rolloutRows';

/** A started rollout as stored. */
export type RolloutRecord = {
  migrationId: string;
  state: MigrationState;
  plan: RolloutPlan;
  critical: boolean;
  currentWave: number;
  pausedReason?: string;
  healthReadAt?: Date;
  version: number;
  /** The reviewer of auto-approvals and why; absent when the plan does not auto-approve. */
  autoApproval?: AutoApproval;
  waves: {
    index: number;
    name: string;
    startedAt?: string;
    completedAt?: string;
  }[];
};

/** The policy that auto-approves a rollout's patches, recorded as their reviewer. */
export type AutoApproval = { reviewer: string; reason: string };

/** A consumer in a rollout. */
/** A consumer's latest health signal, and where it came from. */
export type LatestSignal = {
  source: string;
  observedAt: Date;
  signals: HealthSignals;
};

export type RolloutConsumer = {
  consumerRef: string;
  wave: number;
  position: number;
  /** Absent until its wave starts. */
  delivery?: ConsumerDelivery & { state?: Delivery };
  deliveredAt?: Date;
  /** When its delivery was first seen merged (or marked merged). */
  mergedAt?: Date;
  held: boolean;
  health: ConsumerHealth;
  healthReason?: string;
  /** The source of the signal its health was judged by. */
  healthSource?: string;
  /**
   * The last validation of its patch that paused the rollout (a plan with
   * `requireValidation`): that one does not pause it again.
   */
  validationPausedId?: number;
  updatedAt: Date;
};

/** A rollout to start: its plan, and the consumers of each wave. */
export type NewRollout = {
  migrationId: string;
  from: MigrationState;
  plan: RolloutPlan;
  critical: boolean;
  waves: { name: string; consumers: string[] }[];
  autoApproval?: AutoApproval;
  actor: string;
  compatView?: Omit<CompatViewMark, 'migrationId'>;
};

/** A consumer's claim, as its holder knows it: a token of its own. */
export type Claim = string;

/**
 * The rollout's storage, next to the migrations' (docs/rollout.md). Every
 * write is one transaction with its timeline events; a move of the
 * migration's state goes through the migrations' compare-and-set
 * (`migrationState.ts`), and a move of the rollout (its wave) through a
 * compare-and-set on its version. {@link DatabaseRolloutStore} implements
 * it on the plugin's database.
 */
export interface RolloutStore {
  /** How long a claim lasts unless renewed: then its runner is taken to be dead. */
  readonly claimTimeoutMs: number;

  getRollout(migrationId: string): Promise<RolloutRecord | undefined>;
  /** The rollouts to look after: rolling out, paused, or rolled back with deliveries left to revert. */
  listActiveRollouts(): Promise<string[]>;
  /** The rollout's consumers in plan order, or those named. */
  listConsumers(
    migrationId: string,
    consumerRefs?: string[],
  ): Promise<RolloutConsumer[]>;

  /**
   * Starts a rollout: the migration moves from `from` to `rolling_out`, the
   * waves and consumers are written, and the first wave starts. With
   * `compatView`, the compatibility view is recorded as applied (or
   * overridden) in the same transaction: a start that fails marks nothing.
   */
  start(input: NewRollout): Promise<void>;
  /**
   * Completes the active wave `fromWave` and starts the next one, or
   * completes the migration after the last one. Nothing happens (false)
   * when the rollout is no longer at `fromWave`: another advance won.
   */
  advance(input: {
    migrationId: string;
    fromWave: number;
    actor?: string;
    message: string;
  }): Promise<boolean>;
  /** Pauses a rolling-out migration, with why, and the events to record with it. */
  pause(input: {
    migrationId: string;
    reason: string;
    actor?: string;
    events?: RolloutEvent[];
  }): Promise<void>;
  /**
   * Pauses a rolling-out migration for validations that failed (a plan
   * with `requireValidation`), each at most once: every consumer's
   * `validationPausedId` is compare-and-set to its validation, and the
   * rollout pauses with `reason` only if one of them had not paused it
   * yet. False when nothing was paused (each had, or the migration is no
   * longer rolling out).
   */
  pauseForValidation(input: {
    migrationId: string;
    validations: { consumerRef: string; validationId: number }[];
    reason: string;
  }): Promise<boolean>;
  /** Of these consumers, those whose current patch's latest review rejects it. */
  rejectedConsumers(
    migrationId: string,
    consumerRefs: string[],
  ): Promise<Set<string>>;
  /**
   * Moves the migration back to `rolling_out`: from `paused` where it was;
   * from `rolled_back` from its first wave again, every delivery reset.
   */
  resume(input: { migrationId: string; actor: string }): Promise<void>;
  /** Moves the migration to `rolled_back`; the deliveries are reverted after. */
  rollBack(input: {
    migrationId: string;
    actor: string;
    reason?: string;
  }): Promise<void>;
  /** Holds a consumer (or releases it): a held consumer is not delivered. */
  setHeld(input: {
    migrationId: string;
    consumerRef: string;
    held: boolean;
    actor: string;
    event?: RolloutEvent;
  }): Promise<void>;
  /** Consumers found after the start whose current patch is approved join the rollout. */
  joinApproved(
    migrationId: string,
  ): Promise<{ consumerRef: string; wave: number }[]>;
  /**
   * Records the auto-approval policy's approval of the unreviewed
   * `rewritten` patches; with `requireValidation`, only of those whose
   * latest validation passed or was skipped with its reason.
   */
  recordAutoApprovals(input: {
    migrationId: string;
    autoApproval: AutoApproval;
    requireValidation?: boolean;
    /** At most this many per call (one transaction). */
    limit?: number;
  }): Promise<{ consumerRef: string; patchId: number; reviewId: number }[]>;

  /**
   * Claims a consumer for a delivery, sync or revert: the claim when this
   * runner got it (nobody else holds a live claim on it).
   */
  claim(migrationId: string, consumerRef: string): Promise<Claim | undefined>;
  /** Renews a claim still held: the new claim, or undefined when it was lost. */
  renewClaim(
    migrationId: string,
    consumerRef: string,
    claim: Claim,
  ): Promise<Claim | undefined>;
  /** Releases a claim, when still the one held (another runner's is kept). */
  release(
    migrationId: string,
    consumerRef: string,
    claim: Claim,
  ): Promise<void>;
  /** Records what a delivery method did for a consumer, and releases its claim. */
  recordDelivery(input: {
    migrationId: string;
    consumerRef: string;
    delivery: Delivery;
    patchId?: number;
    event?: RolloutEvent;
  }): Promise<void>;
  /**
   * Records when a consumer's delivery is next read back or reverted after a
   * transient failure (`retry` on its stored delivery), without changing its
   * status or time, and releases its claim.
   */
  recordRetry(input: {
    migrationId: string;
    consumerRef: string;
    retry: NonNullable<Delivery['retry']>;
    event?: RolloutEvent;
  }): Promise<void>;

  /** Records a health signal, and judges it when newer than the last one judged. */
  recordHealth(
    input: HealthSignalInput,
  ): Promise<{ recorded: boolean; judged: boolean; paused: boolean }>;
  /**
   * The consumer's latest signal observed before `before` (its baseline),
   * from any source but the delivery's checks.
   */
  lastSignalBefore(
    migrationId: string,
    consumerRef: string,
    before: Date,
  ): Promise<HealthSignals | undefined>;
  /**
   * Consumers with a signal observed since `since` (each one's own time),
   * from any source but the delivery's checks: CI passing on a pull
   * request says nothing of how the patch runs.
   */
  consumersWithSignalsSince(
    migrationId: string,
    since: Map<string, Date>,
  ): Promise<Set<string>>;
  /**
   * For consumers merged at the given times, when each first ran
   * successfully since (`firstSuccess`), and which of them a source knows
   * the runs of (a signal with `lastSuccessAt`, ever).
   */
  successfulRuns(
    migrationId: string,
    mergedAt: Map<string, Date>,
  ): Promise<{ knowsRuns: Set<string>; firstSuccess: Map<string, Date> }>;
  /** Each consumer's latest signal, from one source or from any. */
  latestSignals(
    migrationId: string,
    source?: string,
  ): Promise<Map<string, LatestSignal>>;
  setHealthReadAt(migrationId: string, at: Date): Promise<void>;
  /**
   * Records the active wave's gate decision (`ready`, or why not) and its
   * event, when it differs from the last one recorded; false otherwise.
   */
  recordGateDecision(
    migrationId: string,
    decision: string,
    event: RolloutEvent,
  ): Promise<boolean>;

  /** One of a consumer's patches, by id (the one delivered, say). */
  getPatch(
    migrationId: string,
    consumerRef: string,
    patchId: number,
  ): Promise<Patch | undefined>;
  getCompatViewApplied(
    migrationId: string,
  ): Promise<CompatViewRecord | undefined>;
  /** Records that the compatibility view was applied; idempotent. */
  markCompatViewApplied(input: CompatViewMark): Promise<void>;
}
