import { TestDatabases } from '@backstage/backend-test-utils';
import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import {
  call,
  type LineageBackend,
  postEvent,
  rollOut,
  runEvent,
  startLineageBackend,
  until,
  writeLineageCatalog,
} from '../__testUtils__/lineageRollout';
import { as } from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const WAREHOUSE = 'duckdb:///tmp/warehouse.duckdb';
const ORDERS = { namespace: WAREHOUSE, name: 'warehouse.main.orders' };
const change = {
  dataset: 'main.orders',
  dialect: 'duckdb',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const CODE = 'SELECT o.id, o.amount\nFROM main.orders AS o\n';
const ref = (name: string) => `component:default/${name}`;
const REVENUE_JOB = { namespace: 'dbt', name: 'jaffle.revenue' };
const REPORT_JOB = { namespace: 'airflow', name: 'daily_report.load' };

describe.each(databases.eachSupportedId())('OpenLineage on %s', databaseId => {
  let root: string;
  let backend: LineageBackend;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-lineage-'));
    const { catalogFile } = await writeLineageCatalog(
      root,
      { name: 'ol-orders', table: 'main.orders', dialect: 'duckdb' },
      [
        {
          name: 'revenue',
          annotations: { 'openlineage.io/job': 'dbt/jaffle.revenue' },
          delivered: true,
        },
        // Mapped by its name: the job daily_report.load reads the dataset.
        { name: 'daily-report', delivered: true },
        // A bad value: logged, naming the entity and the annotation.
        { name: 'broken', annotations: { 'openlineage.io/job': 'nonsense' } },
      ],
      CODE,
    );
    backend = await startLineageBackend({
      databases,
      databaseId,
      root,
      catalogFile,
      entities: [
        'resource/default/ol-orders',
        'component/default/revenue',
        'component/default/daily-report',
        'component/default/broken',
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('refuses events without a service token, and bad events with a 400 naming the field', async () => {
    const good = runEvent({ eventType: 'START', job: REVENUE_JOB });
    const anonymous = await request(backend.server)
      .post('/api/ripple/api/v1/lineage')
      .send(good);
    expect(anonymous.status).toBe(401);
    // A person's session is not an emitter.
    const user = await request(backend.server)
      .post('/api/ripple/api/v1/lineage')
      .set(as('guest'))
      .send(good);
    expect(user.status).toBe(403);

    const bad = async (event: object, field: RegExp) => {
      const res = await postEvent(backend, event);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(field);
    };
    await bad(
      { ...good, run: { runId: 'not-a-uuid' } },
      /request\/body\/run\/runId must match format "uuid"/,
    );
    await bad(
      { ...good, eventType: 'FINISHED' },
      /request\/body\/eventType must be equal to one of the allowed values/,
    );
    await bad(
      { ...good, eventTime: 'yesterday' },
      /request\/body\/eventTime must match format "date-time"/,
    );
    await bad(
      { ...good, job: { namespace: 'dbt' } },
      /request\/body\/job must have required property 'name'/,
    );
    await bad(
      { ...good, outputs: [{ namespace: WAREHOUSE }] },
      /request\/body\/outputs\/0 must have required property 'name'/,
    );
    // A DatasetEvent (static lineage) has no run: refused.
    const { run, job, eventType, ...base } = good;
    await bad(
      { ...base, dataset: { ...ORDERS, facets: {} } },
      /request\/body must have required property 'run'/,
    );
  });

  it('keeps one row per run, whatever the order of its events and however often they come', async () => {
    const runId = randomUUID();
    const start = new Date(Date.now() - 120_000);
    const end = new Date(start.getTime() + 90_000);
    const row = async () =>
      backend.knex('openlineage_run').where('run_id', runId).first();

    // The COMPLETE arrives first; the START after it does not undo it.
    const complete = runEvent({
      runId,
      eventType: 'COMPLETE',
      job: REVENUE_JOB,
      eventTime: end,
      inputs: [ORDERS],
      rowCount: 42,
    });
    const first = await postEvent(backend, complete);
    expect(first.status).toBe(200);
    expectValidResponse(first);
    expect(first.body).toEqual({ runId, state: 'COMPLETE' });
    const late = await postEvent(
      backend,
      runEvent({
        runId,
        eventType: 'START',
        job: REVENUE_JOB,
        eventTime: start,
      }),
    );
    expect(late.body).toEqual({ runId, state: 'COMPLETE' });
    const stored = await row();
    expect(stored).toMatchObject({
      job_namespace: 'dbt',
      job_name: 'jaffle.revenue',
      state: 'COMPLETE',
    });
    expect(Number(stored.output_rows)).toBe(42);
    expect(new Date(stored.started_at).getTime()).toBe(start.getTime());
    expect(new Date(stored.ended_at).getTime()).toBe(end.getTime());

    // The same events again change nothing, not even the row's time.
    await postEvent(backend, complete);
    await postEvent(
      backend,
      runEvent({
        runId,
        eventType: 'START',
        job: REVENUE_JOB,
        eventTime: start,
      }),
    );
    expect(await row()).toEqual(stored);
    expect(
      await backend.knex('openlineage_run').where('run_id', runId),
    ).toHaveLength(1);

    // A failed run keeps its error message; a RUNNING after it changes nothing.
    const failed = randomUUID();
    await postEvent(
      backend,
      runEvent({
        runId: failed,
        eventType: 'FAIL',
        job: REVENUE_JOB,
        error: 'Binder Error: column "amount" not found',
      }),
    );
    await postEvent(
      backend,
      runEvent({ runId: failed, eventType: 'RUNNING', job: REVENUE_JOB }),
    );
    expect(
      await backend.knex('openlineage_run').where('run_id', failed).first(),
    ).toMatchObject({
      state: 'FAIL',
      error_message: 'Binder Error: column "amount" not found',
    });
    // The job's input is recorded once.
    expect(
      await backend
        .knex('openlineage_job_dataset')
        .where({ job_name: 'jaffle.revenue', direction: 'input' }),
    ).toHaveLength(1);
    await backend.knex('openlineage_run').delete();
  });

  it('maps runs to consumers by annotation and by name, finds unowned jobs, and pauses the rollout on a failed run', async () => {
    // Before the migration: a successful run of revenue, its baseline.
    const before = Date.now() - 10 * 60_000;
    const baselineRun = randomUUID();
    await postEvent(
      backend,
      runEvent({
        runId: baselineRun,
        eventType: 'START',
        job: REVENUE_JOB,
        eventTime: new Date(before - 60_000),
        inputs: [ORDERS],
      }),
    );
    await postEvent(
      backend,
      runEvent({
        runId: baselineRun,
        eventType: 'COMPLETE',
        job: REVENUE_JOB,
        eventTime: new Date(before),
        inputs: [ORDERS],
        rowCount: 1000,
      }),
    );
    // A job no entity maps to reads the dataset; another reads another table.
    for (const [job, input] of [
      [{ namespace: 'spark', name: 'mystery_etl' }, ORDERS],
      [
        { namespace: 'airflow', name: 'archive' },
        { namespace: WAREHOUSE, name: 'warehouse.main.orders_archive' },
      ],
    ]) {
      const res = await postEvent(
        backend,
        runEvent({ eventType: 'COMPLETE', job, inputs: [input] }),
      );
      expect(res.status).toBe(200);
    }

    const id = await rollOut(backend, {
      datasetRef: 'resource:default/ol-orders',
      change,
      code: CODE,
      consumerRefs: [ref('revenue'), ref('daily-report')],
      delivered: [ref('revenue'), ref('daily-report')],
    });

    // daily-report's job reads the dataset: mapped by its name, and healthy.
    const reportRun = randomUUID();
    await postEvent(
      backend,
      runEvent({
        runId: reportRun,
        eventType: 'START',
        job: REPORT_JOB,
        inputs: [ORDERS],
      }),
    );
    await postEvent(
      backend,
      runEvent({
        runId: reportRun,
        eventType: 'COMPLETE',
        job: REPORT_JOB,
        inputs: [ORDERS],
        rowCount: 10,
      }),
    );
    const consumers = async () =>
      Object.fromEntries(
        (
          await call(backend, 'get', `/migrations/${id}/consumers`)
        ).body.items.map((c: { consumerRef: string }) => [c.consumerRef, c]),
      );
    await until('daily-report healthy', async () =>
      (await consumers())[ref('daily-report')].health === 'healthy'
        ? true
        : false,
    );

    const lineage = await call(backend, 'get', `/migrations/${id}/lineage`);
    expect(lineage.status).toBe(200);
    expectValidResponse(lineage);
    expect(
      lineage.body.items.map(
        (j: { namespace: string; name: string; consumerRef?: string }) => [
          `${j.namespace}/${j.name}`,
          j.consumerRef,
        ],
      ),
    ).toEqual([
      ['spark/mystery_etl', undefined],
      ['airflow/daily_report.load', ref('daily-report')],
      ['dbt/jaffle.revenue', ref('revenue')],
    ]);
    const migration = await call(backend, 'get', `/migrations/${id}`);
    expectValidResponse(migration);
    expect(migration.body.progress).toMatchObject({ delivered: 2, unowned: 1 });

    // revenue's run fails after its delivery: a breach that pauses the rollout.
    await postEvent(
      backend,
      runEvent({
        eventType: 'FAIL',
        job: REVENUE_JOB,
        inputs: [ORDERS],
        error: 'Binder Error: Referenced column "amount" not found',
      }),
    );
    await until(
      'the rollout paused',
      async () =>
        (await call(backend, 'get', `/migrations/${id}`)).body.state ===
        'paused',
    );
    const events: MigrationEvent[] = (
      await call(backend, 'get', `/migrations/${id}/events?limit=500`)
    ).body.items;
    const breach = events.find(e => e.type === 'health-breach');
    expect(breach).toMatchObject({
      consumerRef: ref('revenue'),
      message: `Health gate breached by ${ref(
        'revenue',
      )} (openlineage): errorRate 1 is above 0.05; failedRuns 1 is above 0`,
      data: { source: 'openlineage' },
    });
    expect((await consumers())[ref('revenue')]).toMatchObject({
      health: 'unhealthy',
    });
    // The baseline before the delivery was recorded, not judged.
    const signals = await backend
      .knex('health_signal')
      .where({ migration_id: id, consumer_ref: ref('revenue') })
      .orderBy('observed_at');
    expect(Number(signals[0].row_count)).toBe(1000);
    expect(Number(signals[0].duration_seconds)).toBe(60);
  });
});
