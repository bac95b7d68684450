import type { WarehouseStepsMode } from '@ripple/backstage-plugin-ripple-node';
import type { StepName, StepPlan } from '../steps/stepPlan';

export type StepState =
  | 'pending'
  | 'running'
  | 'done'
  | 'failed'
  | 'rolled-back';

/** Where the backfill stands after its last batch: what a resume starts from. */
export type BackfillCheckpoint = {
  /** The largest key copied (JSON, as the warehouse returned it); null before the first batch. */
  lastKey: unknown;
  rowsDone: number;
  batches: number;
  /** The rows with a NULL key are copied (the last batch). */
  nullsDone?: boolean;
};

/** The verification's result, as recorded. */
export type VerificationResult = {
  passed: boolean;
  checks: { statement: string; passed: boolean; value?: unknown }[];
  differences?: { columns: string[]; rows: unknown[][] };
  durationMs: number;
};

/** One step as stored. */
export type StepRecord = {
  migrationId: string;
  name: StepName;
  state: StepState;
  attempt: number;
  checkpoint?: BackfillCheckpoint;
  rowsTotal?: number;
  rowsDone?: number;
  batches?: number;
  rate?: number;
  error?: string;
  result?: VerificationResult;
  startedAt?: Date;
  finishedAt?: Date;
  updatedAt: Date;
  doneBy?: string;
  approvedBy?: string;
  approvedAt?: Date;
};

/** A migration's step plan and its steps, in order. */
export type StepPlanRecord = {
  migrationId: string;
  plan: StepPlan;
  warehouse: string;
  mode: WarehouseStepsMode;
  createdBy: string;
  createdAt: Date;
  steps: StepRecord[];
};

/** A running step a runner holds (its lease), and until when. */
export type StepLease = {
  migrationId: string;
  name: StepName;
  owner: string;
  attempt: number;
};

/** What a finished step records, with its timeline event. */
export type StepOutcome = {
  state: 'done' | 'failed';
  error?: string;
  result?: VerificationResult;
  message: string;
  data?: Record<string, unknown>;
};

/**
 * The steps' storage (docs/steps.md). Each change of a step's state is one
 * transaction with its timeline event, and a compare-and-set on the state
 * it comes from (and, for a runner, on its lease): a second replica, or a
 * runner that lost its lease, writes nothing.
 */
export interface StepStore {
  /** Records a plan and its five pending steps; false when the migration has one already. */
  createPlan(input: {
    migrationId: string;
    plan: StepPlan;
    warehouse: string;
    mode: WarehouseStepsMode;
    actor: string;
  }): Promise<boolean>;

  getPlan(migrationId: string): Promise<StepPlanRecord | undefined>;

  /**
   * Moves a step from one of `from` to `running` (a run or a retry), with a
   * `step-started` event; false when it was not in one of them.
   */
  start(input: {
    migrationId: string;
    name: StepName;
    from: StepState[];
    actor: string;
  }): Promise<boolean>;

  /**
   * Leases one running step whose lease is free or ran out, of a migration
   * whose automation is not stopped (the kill switch).
   */
  claim(owner: string, leaseMs: number): Promise<StepLease | undefined>;

  /**
   * Extends a held lease; false once it is lost (taken over, or the step
   * left `running`), or once the kill switch stopped the migration.
   */
  renew(lease: StepLease, leaseMs: number): Promise<boolean>;

  /**
   * Records the backfill's progress after a batch; false when the lease is
   * lost, or the kill switch stopped the migration (the runner stops).
   */
  checkpoint(
    lease: StepLease,
    progress: {
      checkpoint: BackfillCheckpoint;
      rowsTotal: number;
      rate?: number;
    },
  ): Promise<boolean>;

  /** Ends a running step (done or failed) with its event; false when the lease is lost. */
  finish(lease: StepLease, outcome: StepOutcome): Promise<boolean>;

  /** Hand-over: a person ran the step (from pending, failed or rolled back). */
  markDone(input: {
    migrationId: string;
    name: StepName;
    actor: string;
    note?: string;
  }): Promise<boolean>;

  /** The step's rollback ran: `rolled-back`, progress cleared, with its event. */
  rolledBack(input: {
    migrationId: string;
    name: StepName;
    from: StepState[];
    actor: string;
    note?: string;
  }): Promise<boolean>;

  /** The contract's approval statements ran (or a person ran them). */
  approve(input: {
    migrationId: string;
    actor: string;
    note?: string;
  }): Promise<boolean>;

  /** The state of the plan's switch; undefined when the migration has no plan. */
  switchState(migrationId: string): Promise<StepState | undefined>;
}
