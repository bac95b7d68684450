// The backfill's throughput against one INSERT ... SELECT, and the
// verification's time (issue 20's figures): on DuckDB and PostgreSQL, a
// table of RIPPLE_BENCH_ROWS rows (10 million by default) copied through
// the step plan of a column rename, once as the plan's single statement
// and once by the runner in checkpointed batches of RIPPLE_BENCH_BATCH rows
// (by default the engine's for the dialect), the plugin's database on
// SQLite. A benchmark, skipped in the test command: RIPPLE_BENCH=1 runs it
// (docs/steps.md, "Figures").
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  createDuckDbWarehouse,
  type RippleWarehouse,
} from '@ripple/backstage-plugin-ripple-node';
import {
  createTestPostgresWarehouse,
  testPostgresUrl,
} from '@ripple/backstage-plugin-ripple-node/testUtils';
import {
  loadEngine,
  type ChangeSpec,
  type Dialect,
  type Schema,
} from '@ripple/engine';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeDuckDbFile } from '../__testUtils__/warehouseFiles';
import { DatabaseStepStore } from '../database/DatabaseStepStore';
import type { StepRecord } from '../database/StepStore';
import { StepRunner } from './StepRunner';
import { planStep } from './stepPlan';

const ROWS = Number(process.env.RIPPLE_BENCH_ROWS ?? 10_000_000);
// The engine's default for the dialect unless given.
const BATCH = process.env.RIPPLE_BENCH_BATCH
  ? Number(process.env.RIPPLE_BENCH_BATCH)
  : undefined;
const bench = process.env.RIPPLE_BENCH ? describe : describe.skip;
const migrationsDir = path.resolve(__dirname, '../../migrations');

const change = {
  dataset: 'shop.orders',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
} as unknown as ChangeSpec;
const schema = {
  tables: {
    'shop.orders': {
      columns: [
        { name: 'id', type: 'BIGINT' },
        { name: 'amount', type: 'INTEGER' },
        { name: 'status', type: 'VARCHAR' },
        { name: 'legacy', type: 'BOOLEAN' },
      ],
    },
  },
} as unknown as Schema;

// The table a warehouse would hold: its key is the primary key (the
// batches' `next` reads keys in order).
const setup = (series: string) => `CREATE SCHEMA shop;
  CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, amount INTEGER, status VARCHAR, legacy BOOLEAN);
  INSERT INTO shop.orders SELECT i, (i % 997)::INTEGER, CASE WHEN i % 3 = 0 THEN 'paid' ELSE 'open' END, i % 2 = 0 FROM ${series};`;

const ROUNDS = Number(process.env.RIPPLE_BENCH_ROUNDS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await work();
  return (Date.now() - started) / 1000;
}

bench(`the backfill of ${ROWS} rows`, () => {
  jest.setTimeout(60 * 60_000);
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-backfill-bench-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  const connections: [string, string, () => Promise<RippleWarehouse>][] = [
    [
      'DuckDB',
      'duckdb',
      async () => {
        const file = path.join(dir, 'bench.duckdb');
        await makeDuckDbFile(file, setup(`range(1, ${ROWS + 1}) AS t(i)`));
        return createDuckDbWarehouse({ id: 'bench', path: file, steps: true });
      },
    ],
    ...(testPostgresUrl()
      ? ([
          [
            'PostgreSQL',
            'postgres',
            () =>
              createTestPostgresWarehouse({
                id: 'bench',
                prefix: 'ripple_backfill_bench',
                setupSql: `${setup(
                  `generate_series(1, ${ROWS}) AS t(i)`,
                )} ANALYZE shop.orders;`,
                steps: true,
              }),
          ],
        ] as [string, string, () => Promise<RippleWarehouse>][])
      : []),
  ];

  it.each(connections)('on %s', async (name, dialect, connect) => {
    const warehouse = await connect();
    try {
      const knex = await databases.init('SQLITE_3');
      await knex.migrate.latest({ directory: migrationsDir });
      const engine = await loadEngine();
      const plan = engine.stepPlan(change, {
        dialect: dialect as Dialect,
        schema,
        ...(BATCH ? { batch_rows: BATCH } : {}),
      });
      const steps = warehouse.steps!;
      const expand = planStep(plan, 'expand');
      const backfill = planStep(plan, 'backfill');

      const migrationId = '00000000-0000-0000-0000-00000000bec0';
      const now = new Date();
      await knex('migration').insert({
        id: migrationId,
        dataset_ref: 'resource:default/shop-orders',
        change: JSON.stringify(change),
        title: 'bench',
        owner: 'group:default/data-platform',
        state: 'proposed',
        created_by: 'user:default/guest',
        created_at: now,
        updated_at: now,
      });
      const store = new DatabaseStepStore(knex);
      const runner = new StepRunner({
        steps: store,
        warehouses: { get: async () => warehouse },
        logger: mockServices.logger.mock(),
        leaseMs: 120_000,
      });
      const runStep = async (step: 'expand' | 'backfill' | 'verify') => {
        await store.start({
          migrationId,
          name: step,
          from: ['pending'],
          actor: 'user:default/guest',
        });
        return seconds(() => runner.runOnce());
      };

      // Side by side, ROUNDS times (the machine is shared and noisy): one
      // INSERT ... SELECT, the plan's statement as a person runs it; then
      // the runner, each batch a copy then its checkpoint in the plugin's
      // database. The medians are compared.
      const singles: number[] = [];
      const runs: number[] = [];
      const verifies: number[] = [];
      let done: StepRecord | undefined;
      for (let round = 0; round < ROUNDS; round++) {
        await steps.run(expand.statements);
        singles.push(await seconds(() => steps.run(backfill.statements)));
        await steps.run(expand.rollback);

        await knex('migration_step').where({ migration_id: migrationId }).del();
        await knex('migration_step_plan')
          .where({ migration_id: migrationId })
          .del();
        await store.createPlan({
          migrationId,
          plan,
          warehouse: 'bench',
          mode: 'run',
          actor: 'user:default/guest',
        });
        await runStep('expand');
        runs.push(await runStep('backfill'));
        verifies.push(await runStep('verify'));
        const record = await store.getPlan(migrationId);
        done = record!.steps.find(s => s.name === 'backfill')!;
        expect(done.state).toBe('done');
        expect(done.rowsDone).toBe(ROWS);
        expect(record!.steps.find(s => s.name === 'verify')!.state).toBe(
          'done',
        );
        await steps.run(expand.rollback);
      }
      const single = median(singles);
      const batched = median(runs);
      const verify = median(verifies);

      // eslint-disable-next-line no-console
      console.log(
        `${name}: ${ROWS} rows; one INSERT ... SELECT ${single.toFixed(
          2,
        )} s; the runner's ${done!.batches} batches of ${
          plan.batch_rows
        } ${batched.toFixed(2)} s (${Math.round(ROWS / batched)} rows/s, ${(
          batched / single
        ).toFixed(2)}x); verify ${verify.toFixed(
          2,
        )} s (medians of ${ROUNDS} rounds; ratios ${runs
          .map((r, i) => (r / singles[i]).toFixed(2))
          .join(', ')})`,
      );
    } finally {
      await warehouse.close();
    }
  });
});
