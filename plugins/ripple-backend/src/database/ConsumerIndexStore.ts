import type { ReadSpec } from '../agent/ConsumerSources';
import type { CodeSummary } from '../consumerIndex/codeSummary';

/** An entity with a code location, as a catalog scan sees it. */
export type ScannedEntity = {
  entityRef: string;
  /** The catalog's etag of the entity: unchanged, nothing is written. */
  entityEtag?: string;
  readSpec: ReadSpec;
  /**
   * The repository its location is checked with (consumerIndex/repositories.ts),
   * or none: checked alone.
   */
  repository?: string;
  /** Why an annotation of it is unusable: its code is not read. */
  invalid?: string;
};

/** An entity's row of the index. */
export type IndexEntry = {
  entityRef: string;
  readSpec: ReadSpec;
  readKey: string;
  /** See {@link ScannedEntity.repository}. */
  repository?: string;
  invalid?: string;
  contentEtag?: string;
  /** The code read last, gzipped JSON (see `consumerIndex/storedCode.ts`). */
  code?: Buffer;
  codeHash?: string;
  summary?: CodeSummary;
  engineVersion?: string;
  /** Why the last read failed; the code read before stays. */
  error?: string;
  /** When the SCM was last asked; undefined: never. */
  checkedAt?: Date;
};

/** What indexing one entity found. */
export type IndexedCode = {
  code: Buffer;
  codeHash: string;
  codeBytes: number;
  summary: CodeSummary;
  tableKeys: string[];
  engineVersion: string;
  contentEtag?: string;
};

/** Where a claim ended, in the claims' order. */
export type ClaimPosition = { repository: string; entityRef: string };

/** Where the index stands. */
export type IndexStatus = {
  /** Entities with a code location. */
  entities: number;
  /** Of them, those whose code was read at least once (or is unusable). */
  indexed: number;
  /** Those whose last read failed. */
  failing: number;
  /** Those summarised by another engine version than `engineVersion`. */
  otherEngine: number;
  /** Those due now (never read, checked before `checkedBefore`, or of another engine version). */
  due: number;
  /** When a refresh of every entity was last asked for. */
  refreshRequestedAt?: Date;
  lastScan?: LastScan;
};

export type LastScan = {
  startedAt: Date;
  completedAt?: Date;
  entities?: number;
};

/** What readiness needs, in two cheap queries (the agent asks every run). */
export type IndexReadiness = {
  /** Entities never read (and usable). */
  unindexed: number;
  lastScan?: LastScan;
};

/**
 * The consumer index's rows (docs/backend.md, "The consumer index"). Every
 * write of an entity's indexing is fenced by the claim's token: a replica
 * whose claim ran out (killed, or stalled past its lease) writes nothing.
 */
export interface ConsumerIndexStore {
  /**
   * Records a page of a catalog scan: new entities are added, due now;
   * entities whose etag changed get their read spec, and are due now when
   * it changed; every one is marked seen by the scan started at `scanStartedAt`.
   * Returns how many were added or changed.
   */
  recordScanned(
    entities: ScannedEntity[],
    scanStartedAt: Date,
  ): Promise<{ added: number; changed: number }>;

  startScan(at: Date): Promise<void>;

  /**
   * Ends the scan started at `startedAt`: deletes the entities it did not
   * see (gone from the catalog, or without a code location now).
   */
  completeScan(startedAt: Date, entities: number): Promise<{ removed: number }>;

  /**
   * Claims up to `limit` entities due for indexing: never read, checked
   * before `checkedBefore`, or summarised by another engine version than
   * `engineVersion`; free, or claimed by a claim that ran out. In
   * (repository, entity ref) order, after `after` when given: a pass over
   * the due entities resumes where its last claim ended instead of
   * skipping again the ones it checked.
   */
  claim(options: {
    token: string;
    limit: number;
    now: Date;
    leaseMs: number;
    checkedBefore: Date;
    engineVersion: string;
    after?: ClaimPosition;
  }): Promise<IndexEntry[]>;

  /** The code was read (or summarised again): its row and read keys, released. */
  recordIndexed(
    entityRef: string,
    token: string,
    indexed: IndexedCode,
    now: Date,
  ): Promise<boolean>;

  /**
   * The SCM says the code did not change: checked, released. Returns how
   * many were still claimed by `token`.
   */
  recordUnchanged(
    entityRefs: string[],
    token: string,
    now: Date,
  ): Promise<number>;

  /** The read failed: the error, checked (tried again at the next refresh), released. */
  recordFailure(
    entityRef: string,
    token: string,
    error: string,
    now: Date,
  ): Promise<boolean>;

  /**
   * Indexes one entity outside a scan and a claim (the agent reading a
   * consumer the catalog added since the last scan): its row as a scan
   * would add it, with its code.
   */
  put(entity: ScannedEntity, indexed: IndexedCode, now: Date): Promise<void>;

  /** An entity's row, with its code. */
  entry(entityRef: string): Promise<IndexEntry | undefined>;

  /**
   * The entities under a table key or {@link ANY_TABLE}, in entity ref
   * order, as their display refs.
   */
  readers(tableKey: string): Promise<string[]>;

  /**
   * The consumers of a migration whose code may have changed since their
   * patch: no current patch, no row in the index (the entity left the
   * catalog, or has no code location), or indexed code whose hash is not
   * the patch's base hash. A refresh reads only these.
   */
  changedConsumers(
    migrationId: string,
  ): Promise<{ consumerRef: string; discoveredBy: string }[]>;

  status(options: {
    engineVersion: string;
    checkedBefore: Date;
  }): Promise<IndexStatus>;

  readiness(): Promise<IndexReadiness>;

  /** Asks for every entity checked before `at` to be checked again. */
  requestRefresh(at: Date): Promise<void>;

  /** When a refresh was last asked for. */
  refreshRequestedAt(): Promise<Date | undefined>;

  /** Entities due or claimed (a refresh waits for other replicas' claims). */
  pending(options: {
    checkedBefore: Date;
    engineVersion: string;
  }): Promise<number>;
}
