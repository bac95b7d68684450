import { TestDatabases } from '@backstage/backend-test-utils';
import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  call,
  LINEAGE_TOKEN,
  type LineageBackend,
  rollOut,
  startLineageBackend,
  until,
  writeLineageCatalog,
} from '../__testUtils__/lineageRollout';

jest.setTimeout(300_000);

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../../..');
/** What scripts/setup.sh installs: dbt, dbt-duckdb and dbt-ol (tests/dbt/requirements.txt). */
const DBT_BIN = path.join(ROOT, '.tools/dbt/bin');
const PROJECT = path.join(ROOT, 'examples/lineage');
const installed = fs.existsSync(path.join(DBT_BIN, 'dbt-ol'));

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const change = {
  dataset: 'main.orders',
  dialect: 'duckdb',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const CODE = 'SELECT o.customer_id, o.amount\nFROM main.orders AS o\n';
const ref = (name: string) => `component:default/${name}`;
/** The job dbt-ol names a model: `<database>.<schema>.<project>.<model>`, in the namespace `dbt`. */
const REVENUE_JOB = 'warehouse.main.shop_lineage.revenue';

// Real dbt on DuckDB, run through OpenLineage's dbt integration, posting
// its events to a running backend. Outside CI a machine without
// .tools/dbt (scripts/setup.sh) skips it; in CI its absence fails.
if (!installed && process.env.CI === 'true') {
  it(`has dbt-ol in ${DBT_BIN} (scripts/setup.sh installs it from tests/dbt/requirements.txt)`, () => {
    expect(fs.existsSync(path.join(DBT_BIN, 'dbt-ol'))).toBe(true);
  });
}

(installed ? describe : describe.skip)(
  'OpenLineage from a real dbt-ol run',
  () => {
    let root: string;
    let backend: LineageBackend;
    let project: string;
    const started = Date.now();

    /** Runs dbt (or dbt-ol) in the copy of the example project. */
    const dbt = async (command: 'dbt' | 'dbt-ol', ...args: string[]) => {
      const port = (backend.server.address() as AddressInfo).port;
      try {
        const { stdout } = await exec(
          path.join(DBT_BIN, command),
          [...args, '--profiles-dir', root],
          {
            cwd: project,
            env: {
              ...process.env,
              // dbt-ol runs `dbt` from the PATH.
              PATH: `${DBT_BIN}:${process.env.PATH}`,
              DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
              DO_NOT_TRACK: '1',
              DBT_USE_COLORS: 'false',
              // OpenLineage's HTTP transport, as docs/health.md says to set
              // it: the transport joins its endpoint (`api/v1/lineage`) to
              // the URL as a relative link, so without the trailing slash it
              // would post to /api/api/v1/lineage.
              OPENLINEAGE_URL: `http://127.0.0.1:${port}/api/ripple/`,
              OPENLINEAGE_API_KEY: LINEAGE_TOKEN,
              OPENLINEAGE_CONFIG: path.join(root, 'no-openlineage.yml'),
            },
          },
        );
        return { code: 0, output: stdout };
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        return { code: e.code ?? -1, output: `${e.stdout}${e.stderr}` };
      }
    };

    beforeAll(async () => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-dbt-ol-'));
      project = path.join(root, 'project');
      fs.cpSync(PROJECT, project, {
        recursive: true,
        filter: from => !/[/\\](target|logs|dbt_packages)$/.test(from),
      });
      fs.writeFileSync(
        path.join(root, 'profiles.yml'),
        `ripple:\n  target: test\n  outputs:\n    test:\n      type: duckdb\n      path: ${JSON.stringify(
          path.join(root, 'warehouse.duckdb'),
        )}\n      threads: 1\n`,
      );
      const { catalogFile } = await writeLineageCatalog(
        root,
        { name: 'shop-orders', table: 'main.orders', dialect: 'duckdb' },
        [
          // By annotation: the job dbt-ol names the model revenue.
          {
            name: 'shop-revenue',
            annotations: { 'openlineage.io/job': `dbt/${REVENUE_JOB}` },
            delivered: true,
          },
          // By name: the job of the model revenue_patched reads orders.
          { name: 'revenue-patched', delivered: true },
        ],
        CODE,
      );
      backend = await startLineageBackend({
        databases,
        databaseId: 'SQLITE_3',
        root,
        catalogFile,
        entities: [
          'resource/default/shop-orders',
          'component/default/shop-revenue',
          'component/default/revenue-patched',
        ],
      });
      // The warehouse's orders table (a seed; its own events are not needed).
      const seed = await dbt('dbt', 'seed');
      if (seed.code !== 0) throw new Error(`dbt seed failed: ${seed.output}`);
    });

    afterAll(async () => {
      await backend?.stop();
      fs.rmSync(root, { recursive: true, force: true });
      // The cost of this test in the README's test command (docs/health.md).
      // eslint-disable-next-line no-console
      console.log(
        `OpenLineage dbt-ol test: ${((Date.now() - started) / 1000).toFixed(
          1,
        )} s`,
      );
    });

    it('stores the real runs; a passing run is healthy, a failing model pauses the rollout', async () => {
      // Both models once before the migration: their runs are the baseline.
      // revenue_patched reads amount_usd, which orders does not have yet.
      const baseline = await dbt('dbt-ol', 'run', '--select', 'revenue');
      expect(baseline.code).toBe(0);
      const runs = await backend.knex('openlineage_run').orderBy('created_at');
      expect(runs.map(r => [r.job_namespace, r.job_name, r.state])).toEqual(
        expect.arrayContaining([
          ['dbt', 'dbt-run-shop_lineage', 'COMPLETE'],
          ['dbt', REVENUE_JOB, 'COMPLETE'],
        ]),
      );
      const model = runs.find(r => r.job_name === REVENUE_JOB);
      expect(new Date(model.ended_at) >= new Date(model.started_at)).toBe(true);
      // Its input is the dataset, as dbt-ol names a DuckDB table.
      expect(
        await backend
          .knex('openlineage_job_dataset')
          .where({ job_name: REVENUE_JOB, direction: 'input' })
          .select('dataset_namespace', 'dataset_name'),
      ).toEqual([
        {
          dataset_namespace: `duckdb://${path.join(root, 'warehouse.duckdb')}`,
          dataset_name: 'warehouse.main.orders',
        },
      ]);

      const id = await rollOut(backend, {
        datasetRef: 'resource:default/shop-orders',
        change,
        code: CODE,
        consumerRefs: [ref('shop-revenue'), ref('revenue-patched')],
        delivered: [ref('shop-revenue'), ref('revenue-patched')],
      });
      const consumers = async () =>
        Object.fromEntries(
          (
            await call(backend, 'get', `/migrations/${id}/consumers`)
          ).body.items.map((c: { consumerRef: string }) => [c.consumerRef, c]),
        );

      // Delivered is not running: each waits for its merge, then (dbt's
      // runs being known through OpenLineage) for its first successful run
      // after it. The owners apply the downloads and say so.
      const gate = async () =>
        String(
          (await call(backend, 'get', `/migrations/${id}/rollout`)).body
            .gateReason ?? '',
        );
      await until('the wave waiting for merges', async () =>
        (await gate()).startsWith('waiting for merges'),
      );
      for (const consumerRef of [ref('shop-revenue'), ref('revenue-patched')]) {
        expect(
          (
            await call(
              backend,
              'post',
              `/migrations/${id}/consumers/${encodeURIComponent(
                consumerRef,
              )}/merged`,
            )
          ).status,
        ).toBe(200);
      }
      // shop-revenue's job has a successful run on record (the baseline):
      // OpenLineage knows its runs, so it runs the patch only from its first
      // successful run after the merge. revenue-patched never ran: it runs
      // the patch from its merge.
      await until(
        'the wave waiting for the first run of shop-revenue',
        async () =>
          /^waiting for the first successful run after the merge of component:default\/shop-revenue$/.test(
            await gate(),
          ),
      );

      // A passing run after the merge: healthy signals from openlineage,
      // and shop-revenue runs the patch from it: the wave's soak starts
      // (600 minutes from that run).
      const runAt = Date.now();
      expect((await dbt('dbt-ol', 'run', '--select', 'revenue')).code).toBe(0);
      await until('the soak started', async () => {
        const rollout = (
          await call(backend, 'get', `/migrations/${id}/rollout`)
        ).body;
        return !rollout.gateReason && rollout.soakEndsAt !== undefined;
      });
      const soakEndsAt = Date.parse(
        (await call(backend, 'get', `/migrations/${id}/rollout`)).body
          .soakEndsAt,
      );
      expect(soakEndsAt - runAt).toBeGreaterThanOrEqual(600 * 60_000 - 1000);
      expect(soakEndsAt - Date.now()).toBeLessThanOrEqual(600 * 60_000);
      await until(
        'shop-revenue judged',
        async () =>
          (await consumers())[ref('shop-revenue')].health !== 'unknown',
      );
      expect((await consumers())[ref('shop-revenue')]).toMatchObject({
        health: 'healthy',
      });
      const [signal] = await backend
        .knex('health_signal')
        .where({ migration_id: id, consumer_ref: ref('shop-revenue') })
        .orderBy('observed_at', 'desc');
      expect(signal).toMatchObject({ source: 'openlineage', failed_runs: 0 });
      expect(Number(signal.error_rate)).toBe(0);
      expect(Number(signal.duration_seconds)).toBeGreaterThanOrEqual(0);
      expect((await call(backend, 'get', `/migrations/${id}`)).body.state).toBe(
        'rolling_out',
      );

      // The model patched for the renamed column, run before the table is
      // migrated: DuckDB refuses amount_usd, dbt-ol sends a FAIL.
      const failing = await dbt('dbt-ol', 'run', '--select', 'revenue_patched');
      expect(failing.code).not.toBe(0);
      expect(failing.output).toMatch(/amount_usd/);
      await until(
        'the rollout paused',
        async () =>
          (await call(backend, 'get', `/migrations/${id}`)).body.state ===
          'paused',
      );
      const events: MigrationEvent[] = (
        await call(backend, 'get', `/migrations/${id}/events?limit=500`)
      ).body.items;
      expect(events.find(e => e.type === 'health-breach')).toMatchObject({
        consumerRef: ref('revenue-patched'),
        message: expect.stringContaining('(openlineage): errorRate 1 is above'),
        data: { source: 'openlineage' },
      });
      expect((await consumers())[ref('shop-revenue')].health).toBe('healthy');
    });
  },
);
