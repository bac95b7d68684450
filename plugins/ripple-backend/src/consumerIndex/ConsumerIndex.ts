import type {
  AuthService,
  LoggerService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import pLimit from 'p-limit';
import { globMatcher } from '@ripple/backstage-plugin-ripple-common';
import type { RippleEngine } from '@ripple/engine';
import { entityDialect } from '../agent/annotations';
import {
  ANNOTATION_RIPPLE_PATHS,
  type ConsumerCode,
  readCode,
  readSpec,
} from '../agent/ConsumerSources';
import type {
  ClaimPosition,
  ConsumerIndexStore,
  IndexEntry,
  IndexReadiness,
  IndexStatus,
  ScannedEntity,
} from '../database/ConsumerIndexStore';
import { type CodeSummary, summarizeCode, tableKey } from './codeSummary';
import { type IndexWork, LocationChecks } from './locationChecks';
import type { RepositoryLocation } from './repositories';
import { claimToken, loadCode, storeCode } from './storedCode';

export type { IndexWork } from './locationChecks';

/** Summarises code off the event loop (the engine's workers) or inline. */
export type Summarizer = (code: ConsumerCode) => Promise<CodeSummary>;

export type ConsumerIndexOptions = {
  store: ConsumerIndexStore;
  catalog: CatalogService;
  auth: AuthService;
  urlReader: UrlReaderService;
  engine: Pick<RippleEngine, 'version' | 'analyze' | 'tables'>;
  logger: LoggerService;
  /** Runs the engine's summary; inline on `engine` by default. */
  summarize?: Summarizer;
  /** How old a location's check may get before it is asked again. */
  refreshMs: number;
  /** How long a claim lasts: a dead replica's entities wait that long. */
  leaseMs: number;
  /**
   * The repository a location is checked with (repositories.ts); none:
   * every location alone.
   */
  repositoryOf?: (location: string) => RepositoryLocation | undefined;
  /** Reads in flight at once, per replica. */
  concurrency: number;
  /** Entities claimed at once. */
  batch: number;
  /** Wakes the workers (the local task) for an entity a request needs. */
  wake?: () => void;
  /** Wakes the scan (the global task) for an analysis that needs a newer one. */
  wakeScan?: () => void;
  /** How long a request waits for the workers to index what it needs. Default: 10 s. */
  requestWaitMs?: number;
  now?: () => Date;
};

const seconds = (from: Date, to: Date) =>
  ((to.getTime() - from.getTime()) / 1000).toFixed(1);

/** A pass's work, as its log line gives it. */
function describe(work: IndexWork): string {
  return `${work.requests} SCM requests, ${work.read} locations read, ${work.unchanged} unchanged, ${work.resummarised} summarised again, ${work.failed} failed`;
}

// The catalog's fields a scan needs: the ref, the etag, the annotations.
const SCAN_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.etag',
  'metadata.annotations',
];

/**
 * The consumer index (docs/backend.md, "The consumer index"): what the code
 * of every catalog entity with a code location reads, kept current so that
 * the cost of finding a dataset's consumers grows with what changed, not
 * with the fleet.
 *
 * - {@link ConsumerIndex.scan} pages through the catalog and records its
 *   entities, writing only those whose etag changed; entities gone are
 *   deleted. (The catalog emits no events for entities added, changed or
 *   removed, so a paged scan is how changes are seen.)
 * - {@link ConsumerIndex.work} claims due entities in the database (never
 *   read, last checked before a refresh, or summarised by another engine
 *   version) and reads each through UrlReaderService with its etag: an
 *   unchanged location costs one conditional request, and a new engine
 *   version summarises the stored code again (without asking the SCM when
 *   the location was checked recently). Every
 *   replica works; claims keep them off each other's entities, and a dead
 *   replica's claims run out after the lease.
 */
export class ConsumerIndex {
  private readonly checks: LocationChecks;

  constructor(private readonly options: ConsumerIndexOptions) {
    this.checks = new LocationChecks({
      store: options.store,
      urlReader: options.urlReader,
      logger: options.logger,
      engineVersion: () => options.engine.version(),
      summarize: code => this.summarize(code),
      repositoryOf: location => options.repositoryOf?.(location),
      now: () => this.now(),
    });
  }

  /** Records the catalog's entities with a code location; see the class. */
  async scan(signal?: AbortSignal) {
    const { store, catalog, auth, logger } = this.options;
    const startedAt = this.now();
    await store.startScan(startedAt);
    const credentials = await auth.getOwnServiceCredentials();
    let entities = 0;
    let added = 0;
    let changed = 0;
    for await (const page of catalog.streamEntities(
      {
        filter: [{ kind: 'Component' }, { kind: 'Resource' }],
        fields: SCAN_FIELDS,
      },
      { credentials },
    )) {
      if (signal?.aborted) {
        // Not completed: nothing is removed, the next scan starts over.
        return undefined;
      }
      const scanned = page.flatMap(entity => this.scanned(entity));
      entities += scanned.length;
      const counts = await store.recordScanned(scanned, startedAt);
      added += counts.added;
      changed += counts.changed;
    }
    const { removed } = await store.completeScan(startedAt, entities);
    logger.info(
      `Consumer index: scanned ${entities} entities with a code location (${added} new, ${changed} whose code is read differently, ${removed} removed) in ${seconds(
        startedAt,
        this.now(),
      )} s`,
    );
    return { startedAt, entities, added, changed, removed };
  }

  /** An entity as the index records it; none without a code location. */
  private scanned(entity: Entity): ScannedEntity[] {
    const spec = readSpec(entity);
    if (!spec) return [];
    return [
      {
        entityRef: stringifyEntityRef(entity),
        ...(entity.metadata.etag ? { entityEtag: entity.metadata.etag } : {}),
        readSpec: spec,
        ...this.repository(spec.location),
        ...this.invalid(entity, spec.paths),
      },
    ];
  }

  private repository(location: string): { repository?: string } {
    const repository = this.options.repositoryOf?.(location)?.repository;
    return repository ? { repository } : {};
  }

  /** Why Ripple cannot use the entity's annotations, if it cannot. */
  private invalid(entity: Entity, paths: string[]): { invalid?: string } {
    try {
      entityDialect(this.options.engine, entity);
      paths.forEach(globMatcher);
      return {};
    } catch (error) {
      const message = (error as Error).message;
      return {
        invalid: message.startsWith(stringifyEntityRef(entity))
          ? message
          : `${stringifyEntityRef(
              entity,
            )}: annotation ${ANNOTATION_RIPPLE_PATHS}: ${message}`,
      };
    }
  }

  /**
   * Indexes the due entities (see the class) until none is left or
   * `signal` aborts. Due: never read, summarised by another engine
   * version, or checked before {@link ConsumerIndex.dueBefore}.
   */
  async work(signal?: AbortSignal): Promise<IndexWork> {
    const { store, engine, leaseMs, batch } = this.options;
    const done: IndexWork = {
      read: 0,
      unchanged: 0,
      resummarised: 0,
      failed: 0,
      requests: 0,
    };
    const { checks } = this;
    let after: ClaimPosition | undefined;
    for (;;) {
      if (signal?.aborted) return done;
      const now = this.now();
      const token = claimToken();
      const checkedBefore = await this.dueBefore(now);
      const claim = (from?: ClaimPosition) =>
        store.claim({
          token,
          limit: batch,
          now,
          leaseMs,
          checkedBefore,
          engineVersion: engine.version(),
          ...(from ? { after: from } : {}),
        });
      // Read on from the last claim; once past the end, from the start
      // again (a lost claim of another replica, an entity added since).
      let claimed = await claim(after);
      if (!claimed.length && after) claimed = await claim();
      if (!claimed.length) return done;
      const last = claimed[claimed.length - 1];
      after = { repository: last.repository ?? '', entityRef: last.entityRef };
      const limit = pLimit(this.options.concurrency);
      const batchClaim = { token, checkedBefore, done, unchanged: [] };
      await Promise.all(
        checks
          .groups(claimed, checkedBefore)
          .map(group => limit(() => checks.check(group, batchClaim))),
      );
      await checks.flush(batchClaim);
    }
  }

  /**
   * What the global task runs (every `ripple.index.scanMinutes` and at
   * startup): a scan, then the due entities, with every other replica's
   * help.
   */
  async runOnce(signal?: AbortSignal): Promise<void> {
    if (!(await this.scan(signal))) return;
    const startedAt = this.now();
    const work = await this.work(signal);
    if (work.requests || work.resummarised || work.failed) {
      this.options.logger.info(
        `Consumer index: checked ${
          work.read + work.unchanged + work.failed
        } locations in ${seconds(startedAt, this.now())} s: ${describe(work)}`,
      );
    }
  }

  /**
   * Entities checked before this are due: `refreshMs` ago, or the last
   * refresh asked for (`POST /index/refresh`), whichever is later.
   */
  async dueBefore(now = this.now()): Promise<Date> {
    const byAge = now.getTime() - this.options.refreshMs;
    const asked = (await this.options.store.refreshRequestedAt())?.getTime();
    return new Date(Math.max(byAge, asked ?? 0));
  }

  /** Asks for every entity to be checked now, by every replica's workers. */
  requestRefresh(): Promise<void> {
    return this.options.store.requestRefresh(this.now());
  }

  /**
   * A whole refresh, here and now (tests and benchmarks): asks for one,
   * scans, checks every entity (with other replicas' help), then waits up to
   * a lease for the entities other replicas claimed.
   */
  async refresh(signal?: AbortSignal) {
    await this.requestRefresh();
    const scan = await this.scan(signal);
    if (!scan) return undefined;
    const work = await this.work(signal);
    const deadline = Date.now() + this.options.leaseMs;
    while (!signal?.aborted && Date.now() < deadline) {
      const { due } = await this.status();
      if (due === 0) break;
      // What another replica claimed, or what it lost by dying, which
      // becomes claimable here after its lease.
      await new Promise(resolve => setTimeout(resolve, 200));
      const more = await this.work(signal);
      (Object.keys(more) as (keyof IndexWork)[]).forEach(k => {
        work[k] += more[k];
      });
    }
    this.options.logger.info(`Consumer index refreshed: ${describe(work)}`);
    return { scan, work };
  }

  /**
   * An entity's code from the index. With `readThrough` (the agent, in the
   * background), an entity the index does not hold yet, or holds as read
   * differently (the catalog changed it since the last scan), is read now
   * and indexed; without it (a request), that is a `ServiceUnavailableError`
   * (503): requests never read a repository. A read that failed at the
   * last check fails a request with its error, and is tried again by the
   * agent.
   */
  async code(
    entity: Entity,
    options: { readThrough: boolean },
  ): Promise<ConsumerCode | undefined> {
    const spec = readSpec(entity);
    if (!spec) return undefined;
    const { store } = this.options;
    const entityRef = stringifyEntityRef(entity);
    const entry = await store.entry(entityRef);
    const scanned = this.scanned(entity)[0];
    const current = entry && entry.readSpec && sameSpec(entry, scanned);
    if (current && entry.invalid) {
      throw new InputError(entry.invalid);
    }
    if (current && entry.code) {
      return loadCode(entry.code);
    }
    if (current && entry.error && !options.readThrough) {
      throw new Error(entry.error);
    }
    if (!options.readThrough) {
      // Added (or changed) since the last scan (a catalog still ingesting
      // after a start): queued, due now, and the workers woken; the request
      // waits a little for them, and never reads the repository itself.
      await store.recordScanned([scanned], this.now());
      this.options.wake?.();
      const deadline = Date.now() + (this.options.requestWaitMs ?? 10_000);
      while (Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 100));
        const indexed = await store.entry(entityRef);
        if (indexed?.code && sameSpec(indexed, scanned)) {
          return loadCode(indexed.code);
        }
      }
      throw new ServiceUnavailableError(
        `The code of ${entityRef} is not in Ripple's consumer index yet; it is being read now: try again in a few seconds`,
      );
    }
    if (scanned.invalid) {
      throw new InputError(scanned.invalid);
    }
    const { code, etag } = await readCode(this.options.urlReader, spec);
    await store.put(
      scanned,
      storeCode(
        code,
        await this.summarize(code),
        this.options.engine.version(),
        etag,
      ),
      this.now(),
    );
    return code;
  }

  /** See {@link ConsumerIndexStore.changedConsumers}. */
  changedConsumers(migrationId: string) {
    return this.options.store.changedConsumers(migrationId);
  }

  /** The entities whose code may read `table` (by its last name part). */
  readers(table: string): Promise<string[]> {
    return this.options.store.readers(tableKey(table));
  }

  async status(): Promise<IndexStatus> {
    return this.options.store.status({
      engineVersion: this.options.engine.version(),
      checkedBefore: await this.dueBefore(),
    });
  }

  /**
   * Whether the index can answer for the whole catalog: a scan completed
   * and every entity it found was read once. (Entities summarised by an
   * older engine version still answer while they are summarised again.)
   */
  async ready(): Promise<boolean> {
    return isReady(await this.options.store.readiness());
  }

  /**
   * Whether the index answers for the catalog as it was at `since` (when a
   * migration's analysis was asked for): ready, and its last scan started
   * at or after `since`, so an entity the catalog held then is in it (a
   * catalog still ingesting at startup, or an entity added a minute ago).
   * When not, the scan is woken; the caller asks again later.
   */
  async readyFor(since: Date): Promise<boolean> {
    const readiness = await this.options.store.readiness();
    const scan = readiness.lastScan;
    if (
      isReady(readiness) &&
      scan!.completedAt!.getTime() >= scan!.startedAt.getTime() &&
      scan!.startedAt.getTime() >= since.getTime()
    ) {
      return true;
    }
    this.options.wakeScan?.();
    return false;
  }

  private summarize(code: ConsumerCode): Promise<CodeSummary> {
    return this.options.summarize
      ? this.options.summarize(code)
      : Promise.resolve(summarizeCode(this.options.engine, code));
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

/** See {@link ConsumerIndex.ready}. */
export function isReady(readiness: IndexReadiness): boolean {
  return !!readiness.lastScan?.completedAt && readiness.unindexed === 0;
}

function sameSpec(entry: IndexEntry, scanned: ScannedEntity): boolean {
  return (
    JSON.stringify(entry.readSpec) === JSON.stringify(scanned.readSpec) &&
    (entry.invalid ?? '') === (scanned.invalid ?? '')
  );
}
