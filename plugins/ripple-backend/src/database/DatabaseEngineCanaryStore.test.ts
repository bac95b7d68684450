import { TestDatabases } from '@backstage/backend-test-utils';
import type { ChangeSpec } from '@ripple/backstage-plugin-ripple-common';
import { DatabaseEngineCanaryStore } from './DatabaseEngineCanaryStore';
import { DatabaseMigrationStore } from './DatabaseMigrationStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const change: ChangeSpec = {
  dataset: 'proj.ds.orders',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const JAFFLE = 'component:default/jaffle-dbt';
const EXPORT = 'component:default/orders-export';

describe.each(databases.eachSupportedId())(
  'DatabaseEngineCanaryStore on %s',
  databaseId => {
    /** A proposed migration with two consumers whose patches engine 0.1.0 made, one approved. */
    async function setUp() {
      const knex = await databases.init(databaseId);
      const store = await DatabaseMigrationStore.create({
        database: { getClient: async () => knex },
      });
      const canaries = new DatabaseEngineCanaryStore(knex);
      const migration = await store.createMigration({
        datasetRef: 'resource:default/orders',
        change,
        title: 'Rename amount',
        owner: 'group:default/data-platform',
        createdBy: 'user:default/guest',
      });
      await store.transition({ migrationId: migration.id, to: 'analyzing' });
      const patches = [];
      for (const consumerRef of [JAFFLE, EXPORT]) {
        await store.putConsumer({
          migrationId: migration.id,
          consumerRef,
          discoveredBy: 'catalog',
        });
        patches.push(
          await store.recordPatch({
            migrationId: migration.id,
            consumerRef,
            diff: `--- a/${consumerRef}\n+++ b/${consumerRef}\n-amount\n+amount_usd AS amount\n`,
            baseHash: 'sha256:aaa',
            status: 'rewritten',
            reasons: [],
            engineVersion: '0.1.0',
          }),
        );
      }
      await store.transition({ migrationId: migration.id, to: 'proposed' });
      await store.recordReview({
        migrationId: migration.id,
        consumerRef: EXPORT,
        patchId: patches[1].id,
        decision: 'approve',
        reviewer: 'user:default/guest',
      });
      return { knex, store, canaries, migration, patches };
    }

    it('keeps an unchanged patch and its approval when another engine version proposes it again, recording that version', async () => {
      const { store, migration, patches } = await setUp();
      const again = await store.recordPatch({
        migrationId: migration.id,
        consumerRef: EXPORT,
        diff: patches[1].diff,
        baseHash: 'sha256:aaa',
        status: 'rewritten',
        reasons: [],
        engineVersion: '0.2.0',
      });
      expect(again).toMatchObject({
        id: patches[1].id,
        version: 1,
        engineVersion: '0.2.0',
      });
      const consumer = await store.getConsumer(migration.id, EXPORT);
      expect(consumer?.decision?.decision).toBe('approve');
    });

    it('lists the open patches another version made, oldest migration first, and none once the migration is cancelled', async () => {
      const { store, canaries, migration } = await setUp();
      expect(
        (await canaries.outdatedPatches('0.2.0')).map(o => [
          o.migrationId,
          o.patch.consumerRef,
          o.patch.engineVersion,
        ]),
      ).toEqual([
        [migration.id, JAFFLE, '0.1.0'],
        [migration.id, EXPORT, '0.1.0'],
      ]);
      expect(await canaries.countOutdatedPatches('0.1.0')).toBe(0);
      expect(
        await canaries.outdatedPatches('0.2.0', { migrationIds: ['other'] }),
      ).toEqual([]);
      await store.transition({ migrationId: migration.id, to: 'cancelled' });
      expect(await canaries.countOutdatedPatches('0.2.0')).toBe(0);
    });

    it('leaves out a patch delivered already: it is in the consumer’s code', async () => {
      const { knex, canaries, migration, patches } = await setUp();
      const now = new Date();
      await knex('rollout').insert({
        migration_id: migration.id,
        plan: '{}',
        created_at: now,
        updated_at: now,
      });
      await knex('rollout_consumer').insert({
        migration_id: migration.id,
        consumer_ref: EXPORT,
        wave_index: 0,
        position: 0,
        delivery_status: 'delivered',
        delivered_patch_id: patches[1].id,
        updated_at: now,
      });
      expect(
        (await canaries.outdatedPatches('0.2.0')).map(o => o.patch.consumerRef),
      ).toEqual([JAFFLE]);
    });

    it('starts one canary per version, records each sampled consumer once, and lets one decision through', async () => {
      const { canaries, migration, patches } = await setUp();
      const started = await canaries.startCanary('0.2.0', ['0.1.0']);
      // A second start (another replica, a run again after a restart) finds it.
      expect(await canaries.startCanary('0.2.0', ['other'])).toEqual(started);
      expect(started).toMatchObject({
        engineVersion: '0.2.0',
        previousVersions: ['0.1.0'],
        state: 'sampling',
      });
      const sample = {
        migrationId: migration.id,
        consumerRef: JAFFLE,
        patchId: patches[0].id,
        outcome: 'changed' as const,
        proposal: {
          diff: '+amount_usd AS "amount"\n',
          status: 'rewritten' as const,
          reasons: [],
          baseHash: 'sha256:aaa',
        },
      };
      await canaries.recordSample('0.2.0', sample);
      await canaries.recordSample('0.2.0', {
        ...sample,
        outcome: 'unchanged',
      });
      expect([...(await canaries.sampledKeys('0.2.0'))]).toEqual([
        `${migration.id} ${JAFFLE}`,
      ]);
      await expect(
        canaries.decide({
          engineVersion: '0.2.0',
          state: 'accepted',
          decidedBy: 'user:default/admin',
        }),
      ).rejects.toThrow(/still sampling/);

      await canaries.finishSampling('0.2.0');
      const canary = await canaries.getCanary('0.2.0');
      expect(canary).toMatchObject({
        state: 'awaiting_decision',
        counts: {
          unchanged: 0,
          changed: 1,
          newly_rewritten: 0,
          newly_for_a_person: 0,
        },
        consumers: [
          {
            migrationTitle: 'Rename amount',
            consumerRef: JAFFLE,
            outcome: 'changed',
            current: { id: patches[0].id, engineVersion: '0.1.0' },
            proposed: { diff: '+amount_usd AS "amount"\n' },
          },
        ],
      });
      expect(canary?.sampledAt).toBeDefined();

      const decisions = await Promise.allSettled([
        canaries.decide({
          engineVersion: '0.2.0',
          state: 'accepted',
          decidedBy: 'user:default/admin',
          comment: 'fine',
        }),
        canaries.decide({
          engineVersion: '0.2.0',
          state: 'refused',
          decidedBy: 'user:default/other',
        }),
      ]);
      expect(decisions.map(d => d.status).sort()).toEqual([
        'fulfilled',
        'rejected',
      ]);
      const decided = await canaries.getCanarySummary('0.2.0');
      expect(['accepted', 'refused']).toContain(decided?.state);
      expect(decided?.decidedAt).toBeDefined();
    });
  },
);
