import type {
  CatalogEntitySummary,
  ChangeSpec,
  Consumer,
  ConsumerDiscovery,
  Impact,
  Migration,
  MigrationEvent,
  MigrationEventType,
  MigrationState,
  Patch,
  PatchReason,
  PatchReasonKind,
  PatchStatus,
  Review,
  ReviewDecision,
  ValidationStatus,
} from '@ripple/backstage-plugin-ripple-common';

/**
 * A page of a list, how many items the whole list has, and the cursor of
 * the next page (absent on the last one).
 */
export type Page<T> = { items: T[]; totalCount: number; nextCursor?: string };

/**
 * Which page of a list to read: `limit` items after `cursor` (a page's
 * `nextCursor`, database/paging.ts) or, without one, after skipping
 * `offset` (kept for the clients that page so; 0 with a cursor).
 */
export type PageRequest = { limit: number; offset: number; cursor?: string };

/** Which of a migration's consumers to list; absent fields keep every one. */
export type ConsumerFilter = {
  /** Those whose current patch has a reason of one of these kinds. */
  reasonKinds?: PatchReasonKind[];
  /**
   * Those whose current patch's latest validation has one of these
   * statuses; `not_validated`: those without one.
   */
  validationStatuses?: ConsumerValidationFilter[];
};

/** A validation status to filter consumers by, or none yet. */
export type ConsumerValidationFilter = ValidationStatus | 'not_validated';

/** How a migration touches an entity. */
export type EntityRole = 'dataset' | 'consumer';

/** What a new migration is made of; the store adds id, state and times. */
export type NewMigration = {
  datasetRef: string;
  change: ChangeSpec;
  title: string;
  owner: string;
  createdBy: string;
  /** The deadline, YYYY-MM-DD, already validated. */
  targetDate?: string;
};

/** Which migrations to list, and in which order. */
export type MigrationFilter = {
  states?: MigrationState[];
  datasetRef?: string;
  /** Those with a target date on or before this day (YYYY-MM-DD). */
  deadlineBefore?: string;
  /** Those with (true) or without (false) a target date. */
  hasDeadline?: boolean;
  /** `deadline`: the earliest target date first, none last. */
  sort?: 'newest' | 'deadline';
};

/** A move of a migration to another state. */
export type Transition = {
  migrationId: string;
  to: MigrationState;
  actor?: string;
  message?: string;
};

/** A timeline event; the store adds its id and time. */
export type NewEvent = {
  migrationId: string;
  type: MigrationEventType;
  message: string;
  actor?: string;
  consumerRef?: string;
  data?: Record<string, unknown>;
};

/** A consumer found for a migration, and what of its code the change touches. */
export type ConsumerInput = {
  migrationId: string;
  consumerRef: string;
  discoveredBy: ConsumerDiscovery;
  impact?: Impact;
};

/** The engine's proposal for one consumer. */
export type NewPatch = {
  migrationId: string;
  consumerRef: string;
} & PatchInput;

/** A patch, without the consumer it is for. */
export type PatchInput = {
  diff: string;
  baseHash: string;
  status: PatchStatus;
  reasons: PatchReason[];
  /**
   * The version of the engine that made it. An unchanged patch (same base
   * hash, diff and status) made by another version keeps its version number
   * and its reviews, and records this version.
   */
  engineVersion?: string;
};

/** One of a consumer's patches. */
export type PatchKey = {
  migrationId: string;
  consumerRef: string;
  patchId: number;
};

/** A decision on a patch, and what the reviewer saw when making it. */
export type NewReview = PatchKey & {
  previousReviewId?: number;
  decision: ReviewDecision;
  reviewer: string;
  comment?: string;
  /**
   * The rollout plan requires validation: an approval is refused (409)
   * unless the patch's latest validation passed, or was skipped with its
   * reason (read in the review's transaction). Rejections are not checked.
   */
  requireValidation?: boolean;
};

/**
 * Ripple's storage. Entity refs given to it must be valid; the store keeps
 * them in lower case, as the catalog compares them. Every write runs in one
 * transaction: it happens whole, with its timeline event, or not at all.
 *
 * Errors are Backstage's: `NotFoundError` for an unknown migration, consumer
 * or patch; `ConflictError` for a move the state machine does not allow, or a
 * review of a patch that is stale, superseded or was reviewed meanwhile.
 */
export interface MigrationStore {
  /** Creates a migration in `draft`, with its `created` event. */
  createMigration(input: NewMigration): Promise<Migration>;

  getMigration(id: string): Promise<Migration | undefined>;

  /**
   * Whether the migration exists: what a list of its rows needs to tell a
   * 404 from an empty list, without the progress `getMigration` counts.
   */
  hasMigration(id: string): Promise<boolean>;

  /** Migrations, newest first (or by deadline, as `filter.sort` says). */
  listMigrations(
    filter: MigrationFilter,
    page: PageRequest,
  ): Promise<Page<Migration>>;

  /**
   * Sets or removes (null) a migration's deadline, with its
   * `target-date-changed` event; 409 once the migration has ended.
   */
  setTargetDate(input: {
    migrationId: string;
    targetDate: string | null;
    actor: string;
  }): Promise<Migration>;

  /**
   * Migrations touching an entity, newest first: those of the dataset it is,
   * and those it is a consumer of.
   */
  listMigrationsOfEntity(
    entityRef: string,
    page: PageRequest,
  ): Promise<Page<{ migration: Migration; roles: EntityRole[] }>>;

  /**
   * Moves a migration to `to` if the state machine allows it from the state
   * it is in when the write happens (so two racing moves cannot both pass).
   * Records a `state-changed` event.
   */
  transition(input: Transition): Promise<Migration>;

  /**
   * Migrations in `analyzing` whose analysis may run now: never tried, or
   * whose retry time has come, and not stopped by the kill switch. Oldest
   * first.
   */
  listDueAnalyses(now: Date, limit: number): Promise<Migration[]>;

  /**
   * Claims the oldest migration whose analysis is due (as
   * {@link MigrationStore.listDueAnalyses}) and that no other replica
   * analyses: unclaimed, or claimed by a claim that ran out at `now`. The
   * claim lasts `leaseMs`; undefined when none is due.
   */
  claimDueAnalysis(input: {
    token: string;
    now: Date;
    leaseMs: number;
  }): Promise<Migration | undefined>;

  /** Ends a claim of {@link MigrationStore.claimDueAnalysis} (a no-op once taken over). */
  releaseAnalysis(migrationId: string, token: string): Promise<void>;

  /**
   * Records a failed analysis of an `analyzing` migration: one more attempt,
   * the error, and when to try again; with an `analysis-failed` event. The
   * count is reset when the migration leaves or re-enters `analyzing`.
   */
  recordAnalysisFailure(input: {
    migrationId: string;
    error: string;
    retryAt: Date;
  }): Promise<Migration>;

  /**
   * The kill switch (docs/rollout.md): stops (or resumes) every automatic
   * step of the migration, with an `automation-stopped` (or
   * `automation-resumed`) event, in one transaction. False when it
   * already was so (nothing written): a second stop, on another replica
   * or after a restart, records nothing.
   */
  setStopped(input: {
    migrationId: string;
    stopped: boolean;
    actor: string;
    reason?: string;
  }): Promise<boolean>;

  /**
   * Records an event once per `dedupeKey` and migration (a unique key):
   * false when it was recorded before, by any step or replica.
   */
  recordEventOnce(input: NewEvent & { dedupeKey: string }): Promise<boolean>;

  /**
   * The timeline, oldest first; `afterId` reads only newer events,
   * `consumerRef` only those about that consumer.
   */
  listEvents(
    migrationId: string,
    options: { afterId?: number; limit: number; consumerRef?: string },
  ): Promise<MigrationEvent[]>;

  /** Adds an event that no other write records (an agent's step, say). */
  addEvent(input: NewEvent): Promise<MigrationEvent>;

  /**
   * Adds a consumer to a migration, or updates the impact of one already
   * there (keeping its patches and reviews). A `consumer-added` event is
   * recorded the first time.
   */
  putConsumer(input: ConsumerInput): Promise<Consumer>;

  /**
   * {@link MigrationStore.putConsumer} and, with `patch`,
   * {@link MigrationStore.recordPatch}, in one transaction: what the agent
   * records for each consumer it analyses. A crash leaves both or neither,
   * never a consumer without its patch.
   */
  putConsumerWithPatch(
    input: ConsumerInput & { patch?: PatchInput },
  ): Promise<void>;

  /**
   * Consumers in entity ref order, each with its current patch and
   * decision; with a filter, only those it keeps (and `totalCount` counts
   * only them).
   */
  listConsumers(
    migrationId: string,
    page: PageRequest,
    filter?: ConsumerFilter,
  ): Promise<Page<Consumer>>;

  /**
   * Every consumer of the migration (none removed), in ref order: only how
   * each was found, without its patch or review, for the agent to compare
   * what it finds with (a whole list of consumers costs one lean query).
   */
  listConsumerRefs(
    migrationId: string,
  ): Promise<Pick<Consumer, 'consumerRef' | 'discoveredBy'>[]>;

  getConsumer(
    migrationId: string,
    consumerRef: string,
  ): Promise<Consumer | undefined>;

  /**
   * Makes `patch` the consumer's current patch, as a new version: the older
   * ones and their reviews stay as history but no longer decide. A patch equal
   * to the current one (same base hash, diff and status, not stale) changes
   * nothing and keeps its reviews (it only records `engineVersion` when
   * another version made it).
   */
  recordPatch(input: NewPatch): Promise<Patch>;

  /** The consumer's current patch. */
  getCurrentPatch(
    migrationId: string,
    consumerRef: string,
  ): Promise<Patch | undefined>;

  /**
   * Marks a patch stale: the consumer's code no longer matches its base
   * hash. A stale patch cannot be reviewed until a new version replaces it.
   */
  markPatchStale(
    input: PatchKey & {
      /** Why; by default, because the consumer's code changed. */
      reason?: 'code' | 'engine';
    },
  ): Promise<Patch>;

  /**
   * Records a review of the consumer's current patch.
   *
   * `patchId` is the patch the reviewer judged, and `previousReviewId` the
   * latest review of it they saw (absent when they saw none): the review is
   * refused with a `ConflictError` when the patch is stale or no longer
   * current, when another review was recorded meanwhile, or when the
   * migration is in a state where nothing is reviewed.
   */
  recordReview(input: NewReview): Promise<Review>;

  /** Every review of the consumer's patches, newest first. */
  listReviews(migrationId: string, consumerRef: string): Promise<Review[]>;

  /**
   * Marks a consumer that no longer reads the dataset: it leaves the
   * migration's consumers (its patches and reviews stay as history) until
   * {@link MigrationStore.putConsumer} records it again. False when it was
   * not a consumer.
   */
  removeConsumer(input: {
    migrationId: string;
    consumerRef: string;
    reason: string;
  }): Promise<boolean>;

  /**
   * For every entity touched by an open migration (neither completed nor
   * cancelled), those migrations and its review decisions; and for every
   * entity the code of which was found reading a dataset it does not declare,
   * that dataset. What the catalog module records on entities.
   */
  catalogSummary(): Promise<CatalogEntitySummary[]>;

  /** The id of the latest event: it changes whenever the summary may. */
  lastEventId(): Promise<number>;
}
