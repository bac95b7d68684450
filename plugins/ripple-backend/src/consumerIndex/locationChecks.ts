import type {
  LoggerService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { NotModifiedError } from '@backstage/errors';
import {
  codeFilter,
  codeFromFiles,
  type ConsumerCode,
  readCode,
  treeFiles,
} from '../agent/ConsumerSources';
import type {
  ConsumerIndexStore,
  IndexEntry,
} from '../database/ConsumerIndexStore';
import type { CodeSummary } from './codeSummary';
import type { RepositoryLocation } from './repositories';
import { loadCode, storeCode } from './storedCode';

/** What a pass over the due entities did. */
export type IndexWork = {
  /** Code downloaded (new or changed). */
  read: number;
  /** The SCM answered that the code did not change (a conditional request). */
  unchanged: number;
  /** Summarised again from the stored code, for a new engine version. */
  resummarised: number;
  failed: number;
  /** Requests to the SCM: one per location, or one per repository checked as one. */
  requests: number;
};

/** A claimed batch: what its checks need, and what they found. */
export type Claimed = {
  token: string;
  /** Entities checked before this are due by age. */
  checkedBefore: Date;
  done: IndexWork;
  /** Found unchanged, recorded together by {@link LocationChecks.flush}. */
  unchanged: IndexEntry[];
};

/**
 * The checks of a claimed batch of the index's entities
 * (ConsumerIndex.work): each location asked of the SCM with its etag, or,
 * where the SCM's etag is the whole repository's, a repository's locations
 * asked and read in one request (repositories.ts).
 */
export class LocationChecks {
  constructor(
    private readonly options: {
      store: ConsumerIndexStore;
      urlReader: UrlReaderService;
      logger: LoggerService;
      engineVersion: () => string;
      summarize: (code: ConsumerCode) => Promise<CodeSummary>;
      /** The repository a location is checked with, if any. */
      repositoryOf: (location: string) => RepositoryLocation | undefined;
      now: () => Date;
    },
  ) {}

  /**
   * The claimed entries in checks: a repository's entries together (those
   * that need the SCM), every other entry alone. Entries come in
   * (repository, entity ref) order.
   */
  groups(entries: IndexEntry[], checkedBefore: Date): IndexEntry[][] {
    const version = this.options.engineVersion();
    const groups: IndexEntry[][] = [];
    let current: IndexEntry[] | undefined;
    for (const entry of entries) {
      const together =
        !!entry.repository && !onlyEngineChanged(entry, version, checkedBefore);
      if (together && current && current[0].repository === entry.repository) {
        current.push(entry);
        continue;
      }
      current = [entry];
      groups.push(current);
      if (!together) current = undefined;
    }
    return groups;
  }

  /** Checks one group of {@link LocationChecks.groups}. */
  async check(group: IndexEntry[], claim: Claimed): Promise<void> {
    if (group.length === 1) {
      await this.checkOne(group[0], claim);
      return;
    }
    await this.checkRepository(group, claim);
  }

  private async checkOne(entry: IndexEntry, claim: Claimed): Promise<void> {
    const { done, checkedBefore } = claim;
    const version = this.options.engineVersion();
    if (onlyEngineChanged(entry, version, checkedBefore)) {
      // Only the engine changed: summarised again from the stored code,
      // without asking the SCM.
      done.resummarised += 1;
      await this.record(
        entry,
        claim,
        loadCode(entry.code!),
        entry.contentEtag,
        entry.checkedAt!,
      );
      return;
    }
    done.requests += 1;
    let read: { code: ConsumerCode; etag?: string };
    try {
      read = await readCode(
        this.options.urlReader,
        entry.readSpec,
        entry.code ? entry.contentEtag : undefined,
      );
      done.read += 1;
    } catch (error) {
      if (error instanceof NotModifiedError && entry.code) {
        await this.unchanged([entry], claim);
        return;
      }
      await this.failed([entry], claim, error as Error);
      return;
    }
    await this.record(entry, claim, read.code, read.etag, this.options.now());
  }

  /**
   * A repository's entries in one `readTree` of its root: with their
   * common etag when each has code read at it, so that an unchanged
   * repository costs one conditional request; else, or when it changed,
   * one download whose files are split by location.
   */
  private async checkRepository(
    group: IndexEntry[],
    claim: Claimed,
  ): Promise<void> {
    const { done } = claim;
    const located = group.map(entry => ({
      entry,
      location: this.options.repositoryOf(entry.readSpec.location),
    }));
    // (The scan recorded the repository from the same location; a config
    // change since then may put it elsewhere, or nowhere: checked alone.)
    const inGroup = (l: (typeof located)[number]) =>
      l.location?.repository === l.entry.repository;
    for (const { entry } of located.filter(l => !inGroup(l))) {
      await this.checkOne(entry, claim);
    }
    const members = located.filter(
      (l): l is { entry: IndexEntry; location: RepositoryLocation } =>
        inGroup(l),
    );
    if (!members.length) return;
    const etags = new Set(members.map(m => m.entry.contentEtag));
    const etag =
      members.every(m => m.entry.code) && etags.size === 1
        ? members[0].entry.contentEtag
        : undefined;
    let filters: { prefix: string; filter: ReturnType<typeof codeFilter> }[];
    try {
      filters = members.map(m => ({
        prefix: m.location.path ? `${m.location.path}/` : '',
        filter: codeFilter(m.entry.readSpec),
      }));
    } catch {
      // (An unusable glob is marked at the scan and never claimed; one
      // that slipped through fails its own location, not its neighbours'.)
      for (const { entry } of members) await this.checkOne(entry, claim);
      return;
    }
    done.requests += 1;
    let tree;
    try {
      tree = await this.options.urlReader.readTree(
        members[0].location.repository,
        {
          etag,
          filter: (file, info) =>
            filters.some(
              f =>
                file.startsWith(f.prefix) &&
                f.filter(file.slice(f.prefix.length), info),
            ),
        },
      );
    } catch (error) {
      if (error instanceof NotModifiedError && etag) {
        await this.unchanged(
          members.map(m => m.entry),
          claim,
        );
        return;
      }
      await this.failed(
        members.map(m => m.entry),
        claim,
        error as Error,
      );
      return;
    }
    const files = await treeFiles(tree);
    const now = this.options.now();
    for (const [i, { entry }] of members.entries()) {
      const { prefix } = filters[i];
      const own = files
        .filter(f => f.path.startsWith(prefix))
        .map(f => ({ path: f.path.slice(prefix.length), text: f.text }));
      done.read += 1;
      await this.record(
        entry,
        claim,
        codeFromFiles(entry.readSpec, own),
        tree.etag || undefined,
        now,
      );
    }
  }

  /**
   * Records the batch's unchanged entities in one statement (per 100),
   * once its checks are done.
   */
  async flush(claim: Claimed): Promise<void> {
    const entries = claim.unchanged.splice(0);
    if (!entries.length) return;
    await this.options.store.recordUnchanged(
      entries.map(e => e.entityRef),
      claim.token,
      this.options.now(),
    );
  }

  /**
   * The SCM said not modified: checked (at the batch's {@link
   * LocationChecks.flush}), or summarised again now if the engine changed.
   */
  private async unchanged(entries: IndexEntry[], claim: Claimed) {
    const version = this.options.engineVersion();
    claim.done.unchanged += entries.length;
    const now = this.options.now();
    claim.unchanged.push(...entries.filter(e => e.engineVersion === version));
    for (const entry of entries.filter(e => e.engineVersion !== version)) {
      await this.record(
        entry,
        claim,
        loadCode(entry.code!),
        entry.contentEtag,
        now,
      );
    }
  }

  private async failed(entries: IndexEntry[], claim: Claimed, error: Error) {
    this.options.logger.warn(
      `Could not read the code of ${entries
        .map(e => e.entityRef)
        .join(', ')}: ${error.message}`,
    );
    for (const entry of entries) {
      claim.done.failed += 1;
      const message = `Could not read the code of ${entry.entityRef}: ${error.message}`;
      await this.options.store.recordFailure(
        entry.entityRef,
        claim.token,
        message,
        this.options.now(),
      );
    }
  }

  private async record(
    entry: IndexEntry,
    claim: Claimed,
    code: ConsumerCode,
    etag: string | undefined,
    checkedAt: Date,
  ) {
    await this.options.store.recordIndexed(
      entry.entityRef,
      claim.token,
      storeCode(
        code,
        await this.options.summarize(code),
        this.options.engineVersion(),
        etag,
      ),
      checkedAt,
    );
  }
}

/** Read recently, summarised by another engine: no need to ask the SCM. */
function onlyEngineChanged(
  entry: IndexEntry,
  version: string,
  checkedBefore: Date,
): boolean {
  return (
    !!entry.code &&
    !!entry.checkedAt &&
    entry.checkedAt.getTime() >= checkedBefore.getTime() &&
    entry.engineVersion !== version
  );
}
