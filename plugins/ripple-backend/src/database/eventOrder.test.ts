import { TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseMigrationStore } from './DatabaseMigrationStore';
import { insertEvent } from './rows';
import { applyDatabaseMigrations } from './schema';

jest.setTimeout(60_000);

// Event ids are taken when a transaction inserts, and transactions commit in
// any order: the crash test caught a reader served event 27 that then never
// saw event 12, committed later. The timeline pages by place (seq), given
// to committed events only, so a reader never skips one. (SQLite serialises
// its writers: the race needs PostgreSQL.)
const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

describe('the timeline order', () => {
  it.each(databases.eachSupportedId())(
    'places an event committed late after those already served, on %s',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new DatabaseMigrationStore(knex);
      const migration = await store.createMigration({
        datasetRef: 'resource:default/orders',
        change: { dataset: 'proj.ds.orders', changes: [] },
        title: 'Order',
        owner: 'group:default/data',
        createdBy: 'user:default/guest',
      });
      const [created] = await store.listEvents(migration.id, { limit: 10 });

      // A transaction takes an event id and stays open (a long analysis).
      let release!: () => void;
      const held = new Promise<void>(resolve => (release = resolve));
      let inserted!: () => void;
      const slowInserted = new Promise<void>(resolve => (inserted = resolve));
      const slow = knex.transaction(async trx => {
        await insertEvent(trx, {
          migrationId: migration.id,
          type: 'consumer-added',
          message: 'slow',
          now: new Date(),
        });
        inserted();
        await held;
      });
      await slowInserted;

      // A later event, committed at once: served now, in the next place.
      const fast = await store.addEvent({
        migrationId: migration.id,
        type: 'consumer-added',
        message: 'fast',
      });
      const after = (id: number) =>
        store.listEvents(migration.id, { afterId: id, limit: 10 });
      expect(fast.id).toBe(created.id + 1);
      await expect(after(created.id)).resolves.toEqual([fast]);

      // The slow one, committed later, comes after what was served: a
      // reader paging on from the fast one sees it.
      release();
      await slow;
      const [late, ...none] = await after(fast.id);
      expect(none).toEqual([]);
      expect(late).toMatchObject({ message: 'slow', id: fast.id + 1 });
      expect((await after(created.id)).map(e => e.message)).toEqual([
        'fast',
        'slow',
      ]);
    },
  );
});
