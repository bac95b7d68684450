import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { DatabaseMigrationStore } from './DatabaseMigrationStore';
import { DatabaseValidationStore } from './DatabaseValidationStore';
import { applyDatabaseMigrations } from './schema';
import type { ValidationResult } from './ValidationStore';

jest.setTimeout(60_000);

// The validations' queue and claims, on both databases: what survives a
// runner killed in the middle of a validation.
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const datasetRef = 'resource:default/orders';
const consumerRef = 'component:default/report';
const PASSED: ValidationResult = {
  status: 'passed',
  statements: [
    { path: 'q.sql', line: 1, status: 'passed', rows: { before: 2, after: 2 } },
  ],
  durationMs: 12,
  sample: "day >= '2026-12-05'",
  // Past 2^32: a bigint column, read back as a number on both databases.
  bytesProcessed: 5_000_000_000,
};

async function setUp(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  const store = new DatabaseMigrationStore(knex);
  const validations = new DatabaseValidationStore(knex);
  const migration = await store.createMigration({
    datasetRef,
    change: {
      dataset: 'shop.orders',
      changes: [{ kind: 'drop_column', column: 'legacy' }],
    },
    title: 'Drop legacy',
    owner: 'group:default/data-platform',
    createdBy: 'user:default/guest',
  });
  await store.transition({ migrationId: migration.id, to: 'analyzing' });
  await store.putConsumer({
    migrationId: migration.id,
    consumerRef,
    discoveredBy: 'catalog',
  });
  const propose = (diff: string) =>
    store.recordPatch({
      migrationId: migration.id,
      consumerRef,
      diff,
      baseHash: `sha256:${diff}`,
      status: 'rewritten',
      reasons: [],
    });
  const tasks = (claimedBefore = new Date(Date.now() - 60_000)) =>
    validations.listTasks({
      datasetRefs: [datasetRef],
      claimedBefore,
      limit: 10,
    });
  return { knex, store, validations, migration, propose, tasks };
}

describe.each(databases.eachSupportedId())(
  'validation store on %s',
  databaseId => {
    it('validates each patch version once, with its event', async () => {
      const { store, validations, migration, propose, tasks } = await setUp(
        databaseId,
      );
      const patch = await propose('a');
      const [task] = await tasks();
      expect(task).toMatchObject({ consumerRef, patchId: patch.id });
      expect(task.validationId).toBeUndefined();
      expect(await validations.listDatasets()).toEqual([datasetRef]);

      const claim = (await validations.claim(task, 'wh', new Date(0)))!;
      const updatedAt = async () =>
        Date.parse((await store.getMigration(migration.id))!.updatedAt);
      const before = await updatedAt();
      // Times are kept to the millisecond: the next is later.
      await new Promise(r => setTimeout(r, 5));
      // The first run is inserted once: a second runner gets nothing.
      expect(await validations.claim(task, 'wh', new Date(0))).toBeUndefined();
      expect(await tasks()).toEqual([]);
      const recorded = await validations.finish(claim, PASSED);
      expect(recorded).toMatchObject({
        status: 'passed',
        warehouse: 'wh',
        patchId: patch.id,
        durationMs: 12,
        sample: "day >= '2026-12-05'",
        bytesProcessed: 5_000_000_000,
      });
      // The migration moved: its pages load its consumers again.
      expect(await updatedAt()).toBeGreaterThan(before);
      expect(await tasks()).toEqual([]);
      expect(
        (await store.listEvents(migration.id, { limit: 50 })).filter(
          e => e.type === 'validation-recorded',
        ),
      ).toHaveLength(1);

      // A new version is validated again; the latest is its own.
      const next = await propose('b');
      expect((await validations.latest(migration.id, [consumerRef])).size).toBe(
        0,
      );
      expect((await tasks()).map(t => t.patchId)).toEqual([next.id]);
      // No edit: nothing to validate.
      await propose('');
      expect(await tasks()).toEqual([]);
    });

    it('runs again a validation whose runner died, once its claim timed out; the dead claim cannot finish it', async () => {
      const { validations, migration, propose, tasks } = await setUp(
        databaseId,
      );
      await propose('a');
      const [task] = await tasks();
      const dead = (await validations.claim(task, 'wh', new Date(0)))!;
      // Within the claim's time nobody takes it.
      expect(await tasks(new Date(Date.now() - 60_000))).toEqual([]);
      // After it, it is a task again, with its validation.
      const [again] = await tasks(new Date(Date.now() + 1000));
      expect(again.validationId).toBe(dead.validationId);
      const alive = (await validations.claim(
        again,
        'wh',
        new Date(Date.now() + 1000),
      ))!;
      expect(await validations.finish(dead, PASSED)).toBeUndefined();
      expect(await validations.finish(alive, PASSED)).toMatchObject({
        id: dead.validationId,
        status: 'passed',
      });
      const latest = await validations.latest(migration.id, [consumerRef]);
      expect(latest.get(consumerRef)?.status).toBe('passed');
    });

    it('asks for a validation again: pending, one at a time, then a task', async () => {
      const { validations, migration, propose, tasks } = await setUp(
        databaseId,
      );
      const patch = await propose('a');
      const claim = (await validations.claim(
        (
          await tasks()
        )[0],
        'wh',
        new Date(0),
      ))!;
      await validations.finish(claim, PASSED);
      const ask = () =>
        validations.request({
          migrationId: migration.id,
          consumerRef,
          patchId: patch.id,
          warehouse: 'wh',
          requestedBy: 'user:default/guest',
        });
      const asked = await ask();
      expect(asked).toMatchObject({ status: 'pending', patchId: patch.id });
      expect((await ask()).id).toBe(asked.id);
      expect(
        (await validations.latest(migration.id, [consumerRef])).get(consumerRef)
          ?.status,
      ).toBe('pending');
      expect((await tasks()).map(t => t.validationId)).toEqual([asked.id]);
      await expect(
        validations.request({
          migrationId: migration.id,
          consumerRef,
          patchId: patch.id + 100,
          warehouse: 'wh',
          requestedBy: 'user:default/guest',
        }),
      ).rejects.toThrow(/no longer the current patch/);
    });

    it("summarises each consumer's latest validation without reading its statements", async () => {
      const { knex, validations, migration, propose, tasks } = await setUp(
        databaseId,
      );
      const patch = await propose('a');
      const claim = (await validations.claim(
        (
          await tasks()
        )[0],
        'wh',
        new Date(0),
      ))!;
      const pending = await validations.summaries(migration.id, [consumerRef]);
      expect(pending.get(consumerRef)).toMatchObject({
        status: 'running',
        statementCounts: { passed: 0, failed: 0, skipped: 0, error: 0 },
      });
      const failed: ValidationResult = {
        status: 'failed',
        statements: [
          ...PASSED.statements,
          {
            path: 'q.sql',
            line: 3,
            status: 'failed',
            rows: { before: 2, after: 1 },
            differences: [{ key: [1], before: [1, 'a'], after: [] }],
          },
          { path: 'q.sql', line: 5, status: 'skipped', reason: 'writes' },
          { path: 'q.sql', line: 7, status: 'failed' },
        ],
        durationMs: 30,
      };
      const recorded = (await validations.finish(claim, failed))!;
      const counts = { passed: 1, failed: 2, skipped: 1, error: 0 };
      expect(recorded.statementCounts).toEqual(counts);

      const queries: string[] = [];
      const listen = (query: { sql: string }) => queries.push(query.sql);
      knex.on('query', listen);
      const summaries = await validations.summaries(migration.id, [
        consumerRef,
        'component:default/nobody',
      ]);
      knex.off('query', listen);
      const { statements, ...summary } = recorded;
      expect([...summaries.entries()]).toEqual([[consumerRef, summary]]);
      expect(summary).toMatchObject({
        patchId: patch.id,
        status: 'failed',
        statementCounts: counts,
        durationMs: 30,
      });
      expect(queries.length).toBeGreaterThan(0);
      // Neither the statements' column nor every column (`v.*`).
      for (const sql of queries) {
        expect(sql).not.toMatch(/[."`\s]statements\b/);
        expect(sql).not.toMatch(/\.\*/);
      }
      // The whole validation is the latest's, with the same counts.
      expect(
        (await validations.latest(migration.id, [consumerRef])).get(
          consumerRef,
        ),
      ).toEqual(recorded);
    });
  },
);
