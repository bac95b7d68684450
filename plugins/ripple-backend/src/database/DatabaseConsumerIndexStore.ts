import type { Knex } from 'knex';
import { createHash } from 'node:crypto';
import type { ReadSpec } from '../agent/ConsumerSources';
import { ANY_TABLE } from '../consumerIndex/codeSummary';
import type {
  ClaimPosition,
  ConsumerIndexStore,
  IndexedCode,
  IndexEntry,
  IndexStatus,
  LastScan,
  ScannedEntity,
} from './ConsumerIndexStore';
import { count, timestamp, type Timestamp } from './rows';

type IndexRow = {
  entity_ref: string;
  display_ref: string;
  read_spec: string;
  read_key: string;
  repository: string;
  entity_etag: string | null;
  scanned_at: Timestamp;
  invalid: string | null;
  content_etag: string | null;
  code: Buffer | null;
  code_hash: string | null;
  code_bytes: number | null;
  summary: string | null;
  engine_version: string | null;
  error: string | null;
  checked_at: Timestamp | null;
  claimed_by: string | null;
  claim_until: Timestamp | null;
};

// Rows written per statement (SQLite binds at most 999 variables).
const CHUNK = 100;

const key = (entityRef: string) => entityRef.toLocaleLowerCase('en-US');

/** The hash of how an entity's code is read: a change reads it again. */
export function readKey(spec: ReadSpec, invalid?: string): string {
  return createHash('sha256')
    .update(JSON.stringify([spec.location, spec.paths, spec.dialect ?? null]))
    .update(invalid ? `\0${invalid}` : '')
    .digest('hex');
}

function toEntry(row: IndexRow): IndexEntry {
  const optional = <K extends string, V>(k: K, v: V | null | undefined) =>
    (v === null || v === undefined ? {} : { [k]: v }) as Partial<Record<K, V>>;
  return {
    entityRef: row.display_ref,
    readSpec: JSON.parse(row.read_spec),
    readKey: row.read_key,
    ...optional('repository', row.repository || null),
    ...optional('invalid', row.invalid),
    ...optional('contentEtag', row.content_etag),
    ...optional('code', row.code ? Buffer.from(row.code) : null),
    ...optional('codeHash', row.code_hash),
    ...optional('summary', row.summary ? JSON.parse(row.summary) : null),
    ...optional('engineVersion', row.engine_version),
    ...optional('error', row.error),
    ...optional(
      'checkedAt',
      row.checked_at === null ? null : new Date(timestamp(row.checked_at)),
    ),
  };
}

/** {@link ConsumerIndexStore} on the plugin's database. */
export class DatabaseConsumerIndexStore implements ConsumerIndexStore {
  constructor(private readonly db: Knex) {}

  async recordScanned(entities: ScannedEntity[], scanStartedAt: Date) {
    let added = 0;
    let changed = 0;
    await this.db.transaction(async tx => {
      for (let i = 0; i < entities.length; i += CHUNK) {
        const chunk = entities.slice(i, i + CHUNK);
        const existing = new Map(
          (
            await tx<IndexRow>('consumer_index')
              .whereIn(
                'entity_ref',
                chunk.map(e => key(e.entityRef)),
              )
              .select('entity_ref', 'entity_etag', 'read_key', 'repository')
          ).map(row => [row.entity_ref, row]),
        );
        const unchanged: string[] = [];
        for (const entity of chunk) {
          const ref = key(entity.entityRef);
          const row = existing.get(ref);
          const readKeyNow = readKey(entity.readSpec, entity.invalid);
          const spec = {
            display_ref: entity.entityRef,
            read_spec: JSON.stringify(entity.readSpec),
            read_key: readKeyNow,
            repository: entity.repository ?? '',
            entity_etag: entity.entityEtag ?? null,
            invalid: entity.invalid ?? null,
            scanned_at: scanStartedAt,
          };
          if (!row) {
            await tx('consumer_index').insert({ entity_ref: ref, ...spec });
            added += 1;
          } else if (
            entity.entityEtag !== undefined &&
            row.entity_etag === entity.entityEtag &&
            row.repository === spec.repository
          ) {
            // The catalog's etag changes with any change of the entity.
            // (Its repository changes with the integrations' config too, and
            // rows written before it was kept have none.)
            unchanged.push(ref);
          } else if (row.read_key === readKeyNow) {
            await tx('consumer_index').where('entity_ref', ref).update(spec);
          } else {
            // Read again, whatever the SCM says: no etag, due now.
            await tx('consumer_index')
              .where('entity_ref', ref)
              .update({ ...spec, content_etag: null, checked_at: null });
            changed += 1;
          }
        }
        if (unchanged.length) {
          await tx('consumer_index')
            .whereIn('entity_ref', unchanged)
            .update({ scanned_at: scanStartedAt });
        }
      }
    });
    return { added, changed };
  }

  async startScan(at: Date) {
    // (The last completed scan's end stays: the index stays ready while a
    // scan runs, and after a scan killed in the middle.)
    await this.db('consumer_index_scan')
      .insert({ id: 'catalog', started_at: at })
      .onConflict('id')
      .merge(['started_at']);
  }

  async completeScan(startedAt: Date, entities: number) {
    return this.db.transaction(async tx => {
      // (Their read keys go with them: ON DELETE CASCADE.)
      const removed = await tx('consumer_index')
        .where('scanned_at', '<', startedAt)
        .delete();
      await tx('consumer_index_scan')
        .where({ id: 'catalog' })
        .update({ completed_at: new Date(), entities });
      return { removed };
    });
  }

  async claim(options: {
    token: string;
    limit: number;
    now: Date;
    leaseMs: number;
    checkedBefore: Date;
    engineVersion: string;
    after?: ClaimPosition;
  }): Promise<IndexEntry[]> {
    const { token, limit, now, leaseMs, checkedBefore, engineVersion, after } =
      options;
    const free = (q: Knex.QueryBuilder) =>
      q.whereNull('claim_until').orWhere('claim_until', '<', now);
    const due = (q: Knex.QueryBuilder) =>
      q
        .whereNull('checked_at')
        .orWhere('checked_at', '<', checkedBefore)
        // (One whose read failed has no engine version: it waits for its
        // next check, by age.)
        .orWhereNot('engine_version', engineVersion);
    const pg = this.db.client.config.client === 'pg';
    return this.db.transaction(async tx => {
      const refs = (
        await tx('consumer_index')
          .select('entity_ref')
          .where(free)
          .where(due)
          .whereNull('invalid')
          // On the (repository, entity_ref) index from `after`: each claim
          // of a pass reads on from the last, never the rows checked
          // before it again.
          .modify(q =>
            after
              ? q.whereRaw('(??, ??) > (?, ?)', [
                  'repository',
                  'entity_ref',
                  after.repository,
                  key(after.entityRef),
                ])
              : q,
          )
          .orderBy([
            { column: 'repository', order: 'asc' },
            { column: 'entity_ref', order: 'asc' },
          ])
          .limit(limit)
          // Replicas claiming at once take different rows, not the same
          // ones in turn (SQLite has one writer at a time anyway).
          .modify(q => (pg ? q.forUpdate().skipLocked() : q))
      ).map((row: { entity_ref: string }) => row.entity_ref);
      if (!refs.length) return [];
      await tx('consumer_index')
        .whereIn('entity_ref', refs)
        .where(free)
        .update({
          claimed_by: token,
          claim_until: new Date(now.getTime() + leaseMs),
        });
      // (By key: there is no index on the token, and a scan of the whole
      // table per claim was most of a refresh's time.)
      const rows = await tx<IndexRow>('consumer_index')
        .whereIn('entity_ref', refs)
        .where('claimed_by', token)
        .orderBy([
          { column: 'repository', order: 'asc' },
          { column: 'entity_ref', order: 'asc' },
        ]);
      return rows.map(toEntry);
    });
  }

  async recordIndexed(
    entityRef: string,
    token: string,
    indexed: IndexedCode,
    now: Date,
  ) {
    return this.db.transaction(async tx => {
      const updated = await tx('consumer_index')
        .where({ entity_ref: key(entityRef), claimed_by: token })
        .update({
          ...indexedColumns(indexed),
          checked_at: now,
          error: null,
          claimed_by: null,
          claim_until: null,
        });
      if (updated !== 1) return false;
      await replaceKeys(tx, key(entityRef), indexed.tableKeys);
      return true;
    });
  }

  async recordUnchanged(entityRefs: string[], token: string, now: Date) {
    let updated = 0;
    for (let i = 0; i < entityRefs.length; i += CHUNK) {
      updated += await this.db('consumer_index')
        .whereIn('entity_ref', entityRefs.slice(i, i + CHUNK).map(key))
        .where('claimed_by', token)
        .update({
          checked_at: now,
          error: null,
          claimed_by: null,
          claim_until: null,
        });
    }
    return updated;
  }

  async recordFailure(
    entityRef: string,
    token: string,
    error: string,
    now: Date,
  ) {
    const updated = await this.db('consumer_index')
      .where({ entity_ref: key(entityRef), claimed_by: token })
      .update({ checked_at: now, error, claimed_by: null, claim_until: null });
    return updated === 1;
  }

  async put(entity: ScannedEntity, indexed: IndexedCode, now: Date) {
    const ref = key(entity.entityRef);
    await this.db.transaction(async tx => {
      const row = {
        entity_ref: ref,
        display_ref: entity.entityRef,
        read_spec: JSON.stringify(entity.readSpec),
        read_key: readKey(entity.readSpec, entity.invalid),
        repository: entity.repository ?? '',
        entity_etag: entity.entityEtag ?? null,
        invalid: entity.invalid ?? null,
        // Seen now: a scan under way when it was added keeps it.
        scanned_at: now,
        ...indexedColumns(indexed),
        checked_at: now,
        error: null,
      };
      await tx('consumer_index')
        .insert(row)
        .onConflict('entity_ref')
        .merge(Object.keys(row).filter(column => column !== 'entity_ref'));
      await replaceKeys(tx, ref, indexed.tableKeys);
    });
  }

  async entry(entityRef: string) {
    const row = await this.db<IndexRow>('consumer_index')
      .where('entity_ref', key(entityRef))
      .first();
    return row ? toEntry(row) : undefined;
  }

  async readers(tableKey: string) {
    const read = this.db('consumer_index_read as r')
      .join('consumer_index as i', 'i.entity_ref', 'r.entity_ref')
      .whereIn('r.table_key', [tableKey, ANY_TABLE])
      .select('i.entity_ref', 'i.display_ref');
    // An entity whose annotations Ripple cannot use is a candidate of every
    // dataset: the analysis reports it (an error patch when it declares the
    // dataset, skipped otherwise) as before the index.
    const invalid = this.db('consumer_index')
      .whereNotNull('invalid')
      .select('entity_ref', 'display_ref');
    const rows: { entity_ref: string; display_ref: string }[] =
      await read.union(invalid);
    return rows
      .sort((a, b) => (a.entity_ref < b.entity_ref ? -1 : 1))
      .map(row => row.display_ref);
  }

  async changedConsumers(migrationId: string) {
    const rows: { consumer_ref: string; discovered_by: string }[] =
      await this.db('migration_consumer as c')
        .leftJoin('patch as p', 'p.id', 'c.current_patch_id')
        // (Both keep entity refs in lower case.)
        .leftJoin('consumer_index as i', 'i.entity_ref', 'c.consumer_ref')
        .where('c.migration_id', migrationId)
        .whereNull('c.removed_at')
        .where(q =>
          q
            .whereNull('p.id')
            .orWhereNull('i.entity_ref')
            .orWhereNull('i.code_hash')
            .orWhereRaw('?? <> ??', ['i.code_hash', 'p.base_hash']),
        )
        .orderBy('c.consumer_ref')
        .select('c.consumer_ref', 'c.discovered_by');
    return rows.map(row => ({
      consumerRef: row.consumer_ref,
      discoveredBy: row.discovered_by,
    }));
  }

  async status(options: {
    engineVersion: string;
    checkedBefore: Date;
  }): Promise<IndexStatus> {
    const { engineVersion } = options;
    const all = () => this.db('consumer_index');
    const [entities, indexed, failing, otherEngine, due, scan] =
      await Promise.all([
        count(all()),
        count(
          all().where(q =>
            q.whereNotNull('checked_at').orWhereNotNull('invalid'),
          ),
        ),
        count(all().whereNotNull('error')),
        count(
          all().whereNull('invalid').whereNot('engine_version', engineVersion),
        ),
        this.pending(options),
        this.scanRow(),
      ]);
    return { entities, indexed, failing, otherEngine, due, ...scan };
  }

  async readiness() {
    const [unindexed, scan] = await Promise.all([
      count(
        this.db('consumer_index').whereNull('checked_at').whereNull('invalid'),
      ),
      this.scanRow(),
    ]);
    return { unindexed, ...(scan.lastScan ? { lastScan: scan.lastScan } : {}) };
  }

  private async scanRow(): Promise<{
    lastScan?: LastScan;
    refreshRequestedAt?: Date;
  }> {
    const scan = await this.db('consumer_index_scan')
      .where({ id: 'catalog' })
      .first();
    const date = (value: Timestamp | null | undefined) =>
      value === null || value === undefined
        ? undefined
        : new Date(timestamp(value));
    const startedAt = date(scan?.started_at);
    const completedAt = date(scan?.completed_at);
    const refreshRequestedAt = date(scan?.refresh_requested_at);
    return {
      ...(refreshRequestedAt ? { refreshRequestedAt } : {}),
      ...(startedAt
        ? {
            lastScan: {
              startedAt,
              ...(completedAt ? { completedAt } : {}),
              ...(typeof scan.entities === 'number'
                ? { entities: scan.entities }
                : {}),
            },
          }
        : {}),
    };
  }

  async requestRefresh(at: Date) {
    await this.db('consumer_index_scan')
      .insert({ id: 'catalog', refresh_requested_at: at })
      .onConflict('id')
      .merge(['refresh_requested_at']);
  }

  async refreshRequestedAt() {
    const row = await this.db('consumer_index_scan')
      .where({ id: 'catalog' })
      .first('refresh_requested_at');
    return row?.refresh_requested_at
      ? new Date(timestamp(row.refresh_requested_at))
      : undefined;
  }

  async pending(options: { checkedBefore: Date; engineVersion: string }) {
    return count(
      this.db('consumer_index')
        .whereNull('invalid')
        .where(q =>
          q
            .whereNotNull('claimed_by')
            .orWhereNull('checked_at')
            .orWhere('checked_at', '<', options.checkedBefore)
            .orWhereNot('engine_version', options.engineVersion),
        ),
    );
  }
}

function indexedColumns(indexed: IndexedCode) {
  return {
    code: indexed.code,
    code_hash: indexed.codeHash,
    code_bytes: indexed.codeBytes,
    summary: JSON.stringify(indexed.summary),
    engine_version: indexed.engineVersion,
    content_etag: indexed.contentEtag ?? null,
  };
}

async function replaceKeys(
  tx: Knex.Transaction,
  entityRef: string,
  tableKeys: string[],
) {
  await tx('consumer_index_read').where('entity_ref', entityRef).delete();
  for (let i = 0; i < tableKeys.length; i += CHUNK) {
    await tx('consumer_index_read').insert(
      tableKeys
        .slice(i, i + CHUNK)
        .map(table_key => ({ entity_ref: entityRef, table_key })),
    );
  }
}
