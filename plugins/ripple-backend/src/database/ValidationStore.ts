import type {
  ChangeSpec,
  Validation,
  ValidationStatement,
  ValidationSummary,
} from '@ripple/backstage-plugin-ripple-common';

/** A finished validation's outcome, as `validatePatch` gives it. */
export type ValidationResult = {
  status: 'passed' | 'failed' | 'skipped' | 'error';
  reason?: string;
  statements: ValidationStatement[];
  durationMs: number;
  /** The rows both sides read, when not the whole table (`day >= '2026-12-05'`). */
  sample?: string;
  /** Bytes the queries scanned, where the warehouse says (BigQuery). */
  bytesProcessed?: number;
};

/**
 * A current patch to validate: one never validated, or a validation asked
 * for again (`validationId`, pending) or cut short by a crash (its claim
 * timed out).
 */
export type ValidationTask = {
  migrationId: string;
  datasetRef: string;
  change: ChangeSpec;
  consumerRef: string;
  patchId: number;
  diff: string;
  baseHash: string;
  /** The unfinished validation to run; absent: a first one is inserted. */
  validationId?: number;
};

/** A validation being run, under its claim. */
export type ValidationClaim = {
  validationId: number;
  token: string;
  migrationId: string;
  consumerRef: string;
  patchId: number;
  warehouse: string;
};

/**
 * The validations of patches (docs/validation.md): one row per run of a
 * patch version, asked for, claimed, then finished with its result and a
 * `validation-recorded` event in the same transaction. Hides knex.
 */
export interface ValidationStore {
  /** The datasets of the migrations whose patches are reviewed (and so validated). */
  listDatasets(): Promise<string[]>;

  /**
   * Current patches with an edit (not stale, of consumers still in a
   * migration whose patches are reviewed) that have no validation yet, or
   * whose latest is unfinished and free: asked for and not started, or
   * started before `claimedBefore` (its runner died).
   */
  listTasks(options: {
    /** Only the migrations of these datasets (those naming a warehouse). */
    datasetRefs: string[];
    claimedBefore: Date;
    limit: number;
  }): Promise<ValidationTask[]>;

  /**
   * Claims a task for `warehouse`: inserts its first validation, or takes
   * its unfinished one if still free. Undefined when another runner has it.
   */
  claim(
    task: ValidationTask,
    warehouse: string,
    claimedBefore: Date,
  ): Promise<ValidationClaim | undefined>;

  /**
   * Records the result of a claimed validation with its
   * `validation-recorded` event; undefined when the claim was lost
   * (another runner took it after a timeout and finishes it).
   */
  finish(
    claim: ValidationClaim,
    result: ValidationResult,
  ): Promise<Validation | undefined>;

  /**
   * Asks for the consumer's current patch to be validated again on
   * `warehouse`: a pending validation, or the unfinished one there is.
   */
  request(input: {
    migrationId: string;
    consumerRef: string;
    patchId: number;
    warehouse: string;
    requestedBy: string;
  }): Promise<Validation>;

  /** The latest validation of each consumer's current patch, by consumer ref. */
  latest(
    migrationId: string,
    consumerRefs: string[],
  ): Promise<Map<string, Validation>>;

  /**
   * The same validations as the consumer list shows them: status, reason,
   * statement counts and times, without reading the statements.
   */
  summaries(
    migrationId: string,
    consumerRefs: string[],
  ): Promise<Map<string, ValidationSummary>>;
}
