import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  createDuckDbWarehouse,
  type RippleWarehouse,
  type WarehouseSteps,
} from '@ripple/backstage-plugin-ripple-node';
import {
  createTestPostgresWarehouse,
  testPostgresUrl,
} from '@ripple/backstage-plugin-ripple-node/testUtils';
import type { Knex } from 'knex';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeDuckDbFile } from '../__testUtils__/warehouseFiles';
import { DatabaseStepStore } from '../database/DatabaseStepStore';
import {
  loadEngine,
  type ChangeSpec,
  type Dialect,
  type Schema,
} from '@ripple/engine';
import { ConfigReader } from '@backstage/config';
import { stepFreeze } from './freezes';
import { StepRunner } from './StepRunner';
import { stepPlanView } from './stepView';
import type { StepName } from './stepPlan';

// Resume after a kill (docs/steps.md, "Resume"): a runner abandoned in the
// middle of a step (its process gone: no more renewals, nothing more
// written) loses its lease, and a second runner finishes the step with no
// row lost or doubled, and no statement run twice.

jest.setTimeout(120_000);

const migrationsDir = path.resolve(__dirname, '../../migrations');
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const ROWS = 2_345;
// Keys 1..ROWS, and three rows without a key (copied last, by themselves).
const SETUP = `CREATE SCHEMA shop;
  CREATE TABLE shop.orders (id INTEGER, amount INTEGER, status VARCHAR, legacy BOOLEAN);
  INSERT INTO shop.orders SELECT i, i % 97, CASE WHEN i % 3 = 0 THEN 'paid' ELSE 'open' END, i % 2 = 0 FROM generate_series(1, ${ROWS}) AS t(i);
  INSERT INTO shop.orders VALUES (NULL, 5, 'lost', NULL), (NULL, 6, 'lost', true), (NULL, NULL, NULL, NULL);`;
const change = {
  dataset: 'shop.orders',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
} as unknown as ChangeSpec;
const schema = {
  tables: {
    'shop.orders': {
      columns: [
        { name: 'id', type: 'INTEGER' },
        { name: 'amount', type: 'INTEGER' },
        { name: 'status', type: 'VARCHAR' },
        { name: 'legacy', type: 'BOOLEAN' },
      ],
    },
  },
} as unknown as Schema;
const LEASE_MS = 1000;

type Connect = () => Promise<RippleWarehouse>;

/** The warehouses the runner is tested on: a DuckDB file, and PostgreSQL. */
const warehouses: [string, string, (dir: string) => Connect][] = [
  [
    'DuckDB',
    'duckdb',
    dir => async () => {
      const file = path.join(dir, `w-${Date.now()}.duckdb`);
      await makeDuckDbFile(file, SETUP);
      return createDuckDbWarehouse({ id: 'example', path: file, steps: true });
    },
  ],
  ...(testPostgresUrl() || process.env.CI === 'true'
    ? ([
        [
          'PostgreSQL',
          'postgres',
          () => () =>
            createTestPostgresWarehouse({
              id: 'example',
              prefix: 'ripple_step_runner',
              setupSql: SETUP,
              steps: true,
            }),
        ],
      ] as [string, string, (dir: string) => Connect][])
    : []),
];

/**
 * The warehouse as a runner killed at its `killAt`-th write sees it: that
 * write commits on the warehouse, and the runner never hears back (and
 * `onKill` aborts it, as a dead process renews nothing).
 */
function dyingAt(
  warehouse: RippleWarehouse,
  killAt: number,
  onKill: () => void,
  /** What happens as the n-th write is made. */
  during: Record<number, () => Promise<unknown>> = {},
): RippleWarehouse {
  let writes = 0;
  const steps: WarehouseSteps = {
    query: (sql, params) => warehouse.steps!.query(sql, params),
    run: async (statements, params) => {
      writes += 1;
      await during[writes]?.();
      const done = await warehouse.steps!.run(statements, params);
      if (writes < killAt) return done;
      onKill();
      return new Promise(() => {});
    },
  };
  return { ...warehouse, steps };
}

async function count(warehouse: RippleWarehouse, sql: string) {
  const { rows } = await warehouse.steps!.query(sql);
  return Number(rows[0][0]);
}

describe.each(databases.eachSupportedId())('step runner on %s', databaseId => {
  let knex: Knex;
  let dir: string;
  beforeAll(async () => {
    knex = await databases.init(databaseId);
    await knex.migrate.latest({ directory: migrationsDir });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-step-runner-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  describe.each(warehouses)('on %s', (_name, dialect, connectIn) => {
    let warehouse: RippleWarehouse;
    let store: DatabaseStepStore;
    const migrationId = `00000000-0000-0000-0000-0000000000${
      dialect === 'duckdb' ? '01' : '02'
    }`;
    beforeAll(async () => {
      warehouse = await connectIn(dir)();
      store = new DatabaseStepStore(knex);
      const now = new Date();
      await knex('migration').insert({
        id: migrationId,
        dataset_ref: 'resource:default/shop-orders',
        change: JSON.stringify(change),
        title: 'amount to amount_usd',
        owner: 'group:default/data-platform',
        state: 'proposed',
        created_by: 'user:default/guest',
        created_at: now,
        updated_at: now,
      });
      await store.createPlan({
        migrationId,
        plan: (await loadEngine()).stepPlan(change, {
          dialect: dialect as Dialect,
          schema,
          batch_rows: 100,
        }),
        warehouse: 'example',
        mode: 'run',
        actor: 'user:default/guest',
      });
    });
    afterAll(() => warehouse?.close());

    const runner = (
      on: RippleWarehouse,
      owner: string,
      wait?: () => string | undefined,
    ) =>
      new StepRunner({
        steps: store,
        warehouses: { get: async () => on },
        logger: mockServices.logger.mock(),
        leaseMs: LEASE_MS,
        owner,
        wait,
      });
    const start = (name: StepName) =>
      store.start({
        migrationId,
        name,
        from: ['pending', 'rolled-back', 'failed'],
        actor: 'user:default/guest',
      });
    const step = async (name: StepName) =>
      (await store.getPlan(migrationId))!.steps.find(s => s.name === name)!;
    const leaseRunsOut = () =>
      new Promise(resolve => setTimeout(resolve, LEASE_MS * 2));

    it('runs nothing during a freeze (ripple.rollout.freezes), and says so', async () => {
      await start('expand');
      const config = new ConfigReader({
        ripple: {
          rollout: {
            freezes: [
              {
                from: '2026-12-24',
                to: '2026-12-26',
                reason: 'the holidays',
              },
            ],
          },
        },
      });
      const at = (day: string) => stepFreeze(config, () => new Date(day));
      const frozen = at('2026-12-25T10:00:00Z');
      await runner(warehouse, 'a', frozen).runOnce();
      const held = (await store.getPlan(migrationId))!;
      expect(held.steps[0].state).toBe('running');
      expect(
        stepPlanView(held, undefined, { frozen: frozen() }).steps[0].waitingFor,
      ).toBe(
        'waiting for the window at 2026-12-27T00:00:00.000Z (frozen until 2026-12-27T00:00:00.000Z: the holidays)',
      );
      // (The kill switch's test below runs it.)
      expect(at('2026-12-27T10:00:00Z')()).toBeUndefined();
    });

    it('runs nothing while the kill switch stops the migration', async () => {
      await start('expand');
      await knex('migration')
        .where({ id: migrationId })
        .update({ stopped_at: new Date(), stopped_by: 'user:default/guest' });
      await runner(warehouse, 'a').runOnce();
      expect((await step('expand')).state).toBe('running');
      await knex('migration')
        .where({ id: migrationId })
        .update({ stopped_at: null, stopped_by: null });
      await runner(warehouse, 'a').runOnce();
      expect((await step('expand')).state).toBe('done');
    });

    it("fails a step with the warehouse's error, and changes nothing", async () => {
      // The contract before the switch: the dataset's name is still a
      // table, and dropping it as a view fails on the warehouse.
      await start('contract');
      await runner(warehouse, 'a').runOnce();
      const failed = await step('contract');
      expect(failed.state).toBe('failed');
      expect(failed.error).toMatch(/orders/);
      expect(
        await count(warehouse, 'SELECT count(*) FROM shop.orders__ripple_v2'),
      ).toBe(0);
      const [event] = await knex('migration_event').where({
        migration_id: migrationId,
        type: 'step-failed',
      });
      expect(JSON.parse(event.data)).toEqual({
        step: 'contract',
        error: failed.error,
      });
    });

    it('resumes a backfill stopped by the kill switch, then killed after a batch committed, before its checkpoint: nothing lost, nothing doubled', async () => {
      await start('backfill');
      const stopped = (at: Date | null) =>
        knex('migration')
          .where({ id: migrationId })
          .update({ stopped_at: at, stopped_by: at && 'user:default/guest' });
      // The kill switch, while the 3rd batch is being copied: the runner
      // stops at that batch's checkpoint.
      await runner(
        dyingAt(warehouse, Infinity, () => {}, {
          3: () => stopped(new Date()),
        }),
        'stopped',
      ).runOnce();
      expect((await step('backfill')).checkpoint).toMatchObject({
        batches: 2,
        rowsDone: 200,
      });
      await stopped(null);
      await leaseRunsOut();

      const killed = new AbortController();
      // Resumed at the 3rd batch, the 7th commits on the warehouse and its
      // runner dies before the checkpoint. (Never awaited: a dead runner
      // never returns.)
      void runner(
        dyingAt(warehouse, 5, () => killed.abort()),
        'dead',
      ).runOnce(killed.signal);
      while (!killed.signal.aborted) {
        await new Promise(resolve => setTimeout(resolve, 20));
      }
      const stalled = await step('backfill');
      expect(stalled.state).toBe('running');
      expect(stalled.checkpoint).toMatchObject({ batches: 6, rowsDone: 600 });
      // The dead runner's lease is still good: no one takes it over yet.
      await runner(warehouse, 'early').runOnce();
      expect((await step('backfill')).checkpoint).toMatchObject({ batches: 6 });

      await leaseRunsOut();
      await runner(warehouse, 'second').runOnce();
      const done = await step('backfill');
      expect(done.state).toBe('done');
      expect(done).toMatchObject({
        rowsTotal: ROWS + 3,
        rowsDone: ROWS + 3,
        // 24 batches of keys (the 7th once more), and the keyless rows.
        batches: 25,
      });
      expect(done.rate).toBeGreaterThan(0);
      const copied = 'shop.orders__ripple_v2';
      expect(await count(warehouse, `SELECT count(*) FROM ${copied}`)).toBe(
        ROWS + 3,
      );
      expect(
        await count(
          warehouse,
          `SELECT count(*) - count(DISTINCT id) FROM ${copied} WHERE id IS NOT NULL`,
        ),
      ).toBe(0);
      expect(
        await count(
          warehouse,
          `SELECT count(*) FROM ${copied} WHERE id IS NULL`,
        ),
      ).toBe(3);

      // And the engine's own checks agree: the copy matches.
      await start('verify');
      await runner(warehouse, 'second').runOnce();
      const verify = await step('verify');
      expect(verify.state).toBe('done');
      expect(verify.result?.checks).toHaveLength(5);
      expect(verify.result?.checks.every(c => c.passed)).toBe(true);
    });

    it('resumes a switch killed after it committed without running it twice', async () => {
      const before = await warehouse.steps!.query(
        'SELECT id, amount, status FROM shop.orders ORDER BY id, amount',
      );
      await start('switch');
      const killed = new AbortController();
      void runner(
        dyingAt(warehouse, 1, () => killed.abort()),
        'dead',
      ).runOnce(killed.signal);
      while (!killed.signal.aborted) {
        await new Promise(resolve => setTimeout(resolve, 20));
      }
      expect((await step('switch')).state).toBe('running');
      await leaseRunsOut();
      // Run twice, the rename would fail: the table is gone from its name.
      await runner(warehouse, 'second').runOnce();
      const done = await step('switch');
      expect(done.state).toBe('done');
      expect(done.error).toBeUndefined();
      // A consumer not yet patched reads the same rows through the view...
      const after = await warehouse.steps!.query(
        'SELECT id, amount, status FROM shop.orders ORDER BY id, amount',
      );
      expect(after.rows).toEqual(before.rows);
      // ...and a patched one reads the new name.
      expect(
        await count(
          warehouse,
          'SELECT count(*) FROM shop.orders WHERE amount_usd = amount',
        ),
      ).toBe(ROWS + 2);
      const events = await knex('migration_event')
        .where({ migration_id: migrationId, type: 'step-done' })
        .orderBy('id');
      expect(events.map(e => JSON.parse(e.data).step)).toEqual([
        'expand',
        'backfill',
        'verify',
        'switch',
      ]);
      expect(JSON.parse(events[3].data)).toMatchObject({ resumed: true });
    });
  });
});
