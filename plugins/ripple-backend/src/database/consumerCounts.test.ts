import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  PatchReason,
  PatchReasonKind,
} from '@ripple/backstage-plugin-ripple-common';
import fs from 'node:fs';
import path from 'node:path';
import {
  countedConsumers,
  keptConsumerCounts,
  recountConsumers,
} from './consumerCounts';
import { DatabaseMigrationStore } from './DatabaseMigrationStore';
import { applyDatabaseMigrations } from './schema';

// The consumer list's kept counts (migration_consumer_count) against a
// recount of the rows, after a series of writes that move consumers in
// and out of their facets, on SQLite and PostgreSQL.

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const reasons = (...kinds: PatchReasonKind[]): PatchReason[] =>
  kinds.map(kind => ({ kind, message: kind } as PatchReason));

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    // The high bits: the low ones of this generator repeat in short cycles.
    return Math.floor((s / 2 ** 31) * n);
  };
}

const KINDS: PatchReasonKind[] = [
  'dropped_column_used',
  'retyped_column_used',
  'ambiguous_name',
  'engine_failed',
];

describe('the consumer counts', () => {
  it.each(databases.eachSupportedId())(
    'equal a recount after adds, removals, re-adds, new patches and both at once on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new DatabaseMigrationStore(knex);
      const migrations = await Promise.all(
        [1, 2].map(i =>
          store.createMigration({
            datasetRef: `resource:default/orders-${i}`,
            change: { dataset: 'shop.orders', changes: [] },
            title: `Migration ${i}`,
            owner: 'group:default/data-platform',
            createdBy: 'user:default/guest',
          }),
        ),
      );
      const next = random(databaseId.length);
      const refs = Array.from(
        { length: 12 },
        (_, i) => `component:default/consumer-${i}`,
      );
      let version = 0;
      // Six rounds of 25 writes, each followed by the comparison.
      for (let round = 0; round < 6; round++) {
        for (let step = 0; step < 25; step++) {
          const migrationId = migrations[next(2)].id;
          const consumerRef = refs[next(refs.length)];
          const consumer = await store.getConsumer(migrationId, consumerRef);
          switch (next(5)) {
            case 2:
              // The agent's write: the consumer (new, known or removed
              // before) and a new patch in one transaction, or no patch.
              version++;
              await store.putConsumerWithPatch({
                migrationId,
                consumerRef,
                discoveredBy: 'code',
                ...(next(4) === 0
                  ? {}
                  : {
                      patch: {
                        diff: `diff ${version}`,
                        baseHash: `h${version}`,
                        status: 'needs_edit',
                        reasons: reasons(...KINDS.filter(() => next(3) === 0)),
                      },
                    }),
              });
              break;
            case 0:
              await store.putConsumer({
                migrationId,
                consumerRef,
                discoveredBy: 'code',
              });
              break;
            case 1:
              await store.removeConsumer({
                migrationId,
                consumerRef,
                reason: 'gone',
              });
              break;
            default:
              if (!consumer) break;
              // A new patch, whose reasons may share kinds with the last.
              version++;
              await store.recordPatch({
                migrationId,
                consumerRef,
                diff: `diff ${version}`,
                baseHash: `h${version}`,
                status: 'needs_edit',
                reasons: reasons(
                  ...KINDS.filter(() => next(3) === 0),
                  ...(next(4) === 0 ? [KINDS[0], KINDS[0]] : []),
                ),
              });
          }
        }
        for (const m of migrations) {
          expect(await keptConsumerCounts(knex, m.id)).toEqual(
            await recountConsumers(knex, m.id),
          );
        }
      }
      // Something was counted: the series is not empty.
      const kept = await keptConsumerCounts(knex, migrations[0].id);
      expect(kept.all).toBeGreaterThan(0);
      expect(Object.keys(kept).length).toBeGreaterThan(1);

      // Removed and added again: counted out, then in with its patch.
      const [first] = refs;
      await store.putConsumer({
        migrationId: migrations[0].id,
        consumerRef: first,
        discoveredBy: 'code',
      });
      await store.recordPatch({
        migrationId: migrations[0].id,
        consumerRef: first,
        diff: 'last',
        baseHash: 'last',
        status: 'needs_edit',
        reasons: reasons('unresolved_name'),
      });
      const facet = 'reason:unresolved_name';
      const counted = () => countedConsumers(knex, migrations[0].id, facet);
      const withIt = await counted();
      expect(withIt).toBeGreaterThan(0);
      await store.removeConsumer({
        migrationId: migrations[0].id,
        consumerRef: first,
        reason: 'gone',
      });
      expect(await counted()).toBe(withIt - 1);
      await store.putConsumer({
        migrationId: migrations[0].id,
        consumerRef: first,
        discoveredBy: 'code',
      });
      expect(await counted()).toBe(withIt);
      expect(await keptConsumerCounts(knex, migrations[0].id)).toEqual(
        await recountConsumers(knex, migrations[0].id),
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'are backfilled from the existing rows by the migration that creates them on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const dir = path.resolve(__dirname, '../../migrations');
      const files = fs
        .readdirSync(dir)
        .filter(f => f.endsWith('.js'))
        .sort();
      const paging = files.indexOf('20270105_list_paging.js');
      expect(paging).toBeGreaterThan(0);
      for (let i = 0; i < paging; i++) {
        await knex.migrate.up({ directory: dir });
      }
      // Rows as the store wrote them before the counts existed.
      const store = new DatabaseMigrationStore(knex);
      const now = new Date();
      const migrationId = '00000000-0000-0000-0000-0000000000c1';
      await knex('migration').insert({
        id: migrationId,
        dataset_ref: 'resource:default/orders',
        change: '{}',
        title: 't',
        owner: 'group:default/data-platform',
        state: 'proposed',
        created_by: 'user:default/guest',
        created_at: now,
        updated_at: now,
      });
      for (let i = 0; i < 6; i++) {
        const [consumer] = await knex('migration_consumer')
          .insert({
            migration_id: migrationId,
            consumer_ref: `component:default/c-${i}`,
            discovered_by: 'code',
            created_at: now,
            updated_at: now,
            ...(i === 5 ? { removed_at: now } : {}),
          })
          .returning('id');
        const [patch] = await knex('patch')
          .insert({
            consumer_id: consumer.id,
            version: 1,
            diff: '',
            base_hash: 'h',
            status: 'needs_edit',
            reasons: '[]',
            created_at: now,
          })
          .returning('id');
        if (i % 3) {
          await knex('patch_reason_kind').insert(
            KINDS.slice(0, i % 3).map(kind => ({ patch_id: patch.id, kind })),
          );
        }
        await knex('migration_consumer')
          .where({ id: consumer.id })
          .update({ current_patch_id: patch.id });
      }
      await knex.migrate.up({ directory: dir });
      expect(await keptConsumerCounts(knex, migrationId)).toEqual({
        all: 5,
        'reason:dropped_column_used': 3,
        'reason:retyped_column_used': 1,
      });
      expect(await keptConsumerCounts(knex, migrationId)).toEqual(
        await recountConsumers(knex, migrationId),
      );
      // The store then keeps them: one more consumer.
      await store.putConsumer({
        migrationId,
        consumerRef: 'component:default/c-6',
        discoveredBy: 'code',
      });
      expect(await countedConsumers(knex, migrationId, 'all')).toBe(6);
      await knex.migrate.down({ directory: dir });
      expect(await knex.schema.hasTable('migration_consumer_count')).toBe(
        false,
      );
    },
  );
});
