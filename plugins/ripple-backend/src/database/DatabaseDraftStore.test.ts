import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import type { ChangeSpec } from '@ripple/backstage-plugin-ripple-common';
import { DatabaseDraftStore } from './DatabaseDraftStore';
import { DatabaseMigrationStore } from './DatabaseMigrationStore';
import { applyDatabaseMigrations } from './schema';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const orders = 'resource:default/orders';

async function stores(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  const migrations = new DatabaseMigrationStore(knex);
  return { knex, migrations, drafts: new DatabaseDraftStore(knex, migrations) };
}

const change: ChangeSpec = {
  dataset: 'proj.ds.orders',
  changes: [{ kind: 'drop_column', column: 'status' }],
};

function content(message: string) {
  return {
    title: 'Schema change to proj.ds.orders',
    owner: 'group:default/data-platform',
    change,
    suggestions: [],
    undecided: [],
    impactSummary: {
      total: 1,
      breaking: 1,
      partiallyBreaking: 0,
      unaffected: 0,
      unknown: 0,
    },
    notification: {
      recipients: ['group:default/data-platform'],
      title: 't',
      description: message,
      link: 'l',
    },
    message,
    schemaBefore: [],
    decisions: {},
  };
}

describe.each(databases.eachSupportedId())(
  'DatabaseDraftStore on %s',
  databaseId => {
    it('writes the schema and its draft together, once: a run on a stale schema writes neither', async () => {
      const { knex, drafts } = await stores(databaseId);
      const first = await drafts.recordSchema({
        datasetRef: orders,
        columns: [{ name: 'id' }, { name: 'status' }],
        hash: 'h1',
      });
      expect(first).toEqual({ recorded: true });
      // A second first sighting (another replica) keeps the first.
      expect(
        await drafts.recordSchema({
          datasetRef: orders,
          columns: [],
          hash: 'hx',
        }),
      ).toEqual({ recorded: false });

      const written = await drafts.recordSchema({
        datasetRef: orders,
        previousHash: 'h1',
        columns: [{ name: 'id' }],
        hash: 'h2',
        draft: content('one'),
      });
      expect(written.migration).toMatchObject({
        state: 'draft',
        origin: 'schema-change',
        createdBy: 'plugin:default/ripple',
      });
      // The same change again (a restart that read the schema before the
      // commit): nothing written, no second draft.
      expect(
        await drafts.recordSchema({
          datasetRef: orders,
          previousHash: 'h1',
          columns: [{ name: 'id' }],
          hash: 'h2',
          draft: content('two'),
        }),
      ).toEqual({ recorded: false });
      expect(Number((await knex('migration').count({ n: '*' }))[0].n)).toBe(1);
      expect((await drafts.listSchemaSnapshots()).get(orders)?.hash).toBe('h2');
      expect(await drafts.listPendingNotifications()).toEqual([
        {
          migrationId: written.migration!.id,
          notification: content('one').notification,
        },
      ]);
    });

    it('rolls the schema back when the draft cannot be written', async () => {
      const { drafts, migrations } = await stores(databaseId);
      await drafts.recordSchema({
        datasetRef: orders,
        columns: [],
        hash: 'h1',
      });
      const { migration } = await drafts.recordSchema({
        datasetRef: orders,
        previousHash: 'h1',
        columns: [],
        hash: 'h2',
        draft: content('one'),
      });
      // Started meanwhile: the update of the open draft fails, and the
      // schema stays as it was for the next run to diff again.
      await migrations.transition({
        migrationId: migration!.id,
        to: 'analyzing',
        actor: 'user:default/guest',
      });
      await expect(
        drafts.recordSchema({
          datasetRef: orders,
          previousHash: 'h2',
          columns: [],
          hash: 'h3',
          draft: { ...content('two'), migrationId: migration!.id },
        }),
      ).rejects.toThrow(`Migration ${migration!.id} is no longer a draft`);
      expect((await drafts.listSchemaSnapshots()).get(orders)?.hash).toBe('h2');
      expect(await drafts.openDraft(orders)).toBeUndefined();
    });

    it('gives a notification to one taker only', async () => {
      const { drafts } = await stores(databaseId);
      await drafts.recordSchema({
        datasetRef: orders,
        columns: [],
        hash: 'h1',
      });
      const { migration } = await drafts.recordSchema({
        datasetRef: orders,
        previousHash: 'h1',
        columns: [],
        hash: 'h2',
        draft: content('one'),
      });
      const { notification } = content('one');
      const taken = await Promise.all([
        drafts.takeNotification(migration!.id, notification),
        drafts.takeNotification(migration!.id, notification),
      ]);
      expect(taken.sort()).toEqual([false, true]);
      expect(await drafts.listPendingNotifications()).toEqual([]);
    });
  },
);
