import { TestDatabases } from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DatabaseLineageStore } from './DatabaseLineageStore';
import type { LineageRunEvent } from './LineageStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const migrationsDir = path.resolve(__dirname, '../../migrations');

const job = { namespace: 'dbt', name: 'warehouse.main.shop.revenue' };
const orders = {
  namespace: 'duckdb:///w.duckdb',
  name: 'warehouse.main.orders',
};

function event(
  runId: string,
  eventType: LineageRunEvent['eventType'],
  at: number,
  extra: Partial<LineageRunEvent> = {},
): LineageRunEvent {
  return {
    runId,
    eventType,
    eventTime: new Date(at),
    job,
    inputs: [orders],
    outputs: [],
    ...extra,
  };
}

describe.each(databases.eachSupportedId())(
  'DatabaseLineageStore on %s',
  databaseId => {
    async function store() {
      const knex = await databases.init(databaseId);
      await knex.migrate.latest({ directory: migrationsDir });
      return { knex, store: new DatabaseLineageStore(knex) };
    }

    it('merges racing events of one run into one row, the finished state winning', async () => {
      const { knex, store: lineage } = await store();
      const runId = randomUUID();
      const t = Date.parse('2026-12-01T10:00:00Z');
      // Every event of the run at once, in no order: one row, COMPLETE.
      await Promise.all([
        lineage.recordEvent(
          event(runId, 'COMPLETE', t + 60_000, { outputRows: 7 }),
        ),
        lineage.recordEvent(event(runId, 'START', t)),
        lineage.recordEvent(event(runId, 'RUNNING', t + 30_000)),
        lineage.recordEvent(event(runId, 'START', t)),
      ]);
      const [run] = await lineage.listRuns([job]);
      expect(run).toMatchObject({
        runId,
        job,
        state: 'COMPLETE',
        startedAt: new Date(t),
        endedAt: new Date(t + 60_000),
        outputRows: 7,
      });
      expect(await knex('openlineage_run')).toHaveLength(1);
      expect(await knex('openlineage_job_dataset')).toHaveLength(1);
      expect(await lineage.lastComplete([job], new Date(t + 60_000))).toBe(
        undefined,
      );
      expect((await lineage.lastComplete([job]))?.runId).toBe(runId);
    });

    it('finds the readers of a table by its last name part, and prunes what was not seen', async () => {
      const { knex, store: lineage } = await store();
      await lineage.recordEvent(event(randomUUID(), 'COMPLETE', Date.now()));
      await lineage.recordEvent({
        ...event(randomUUID(), 'COMPLETE', Date.now()),
        job: { namespace: 'spark', name: 'archive' },
        inputs: [
          {
            namespace: orders.namespace,
            name: 'warehouse.main.orders_archive',
          },
        ],
      });
      const readers = await lineage.listJobDatasets({
        lastPart: 'ORDERS',
        direction: 'input',
      });
      // The prefilter is loose (`_` is a LIKE wildcard); naming.ts decides.
      expect(readers.map(r => r.dataset.name)).toContain(
        'warehouse.main.orders',
      );
      expect((await lineage.inputsOf([job])).map(r => r.dataset)).toEqual([
        orders,
      ]);

      // Everything was just seen: nothing to prune before an hour ago.
      expect(await lineage.prune(new Date(Date.now() - 3600_000))).toEqual({
        runs: 0,
        jobDatasets: 0,
      });
      expect(await lineage.prune(new Date(Date.now() + 1000))).toEqual({
        runs: 2,
        jobDatasets: 2,
      });
      expect(await knex('openlineage_run')).toHaveLength(0);
    });
  },
);
