import { TestDatabases } from '@backstage/backend-test-utils';
import { testPostgresUrl } from '@ripple/backstage-plugin-ripple-node/testUtils';
import type {
  Consumer,
  StepPlanView,
} from '../schema/openapi/generated/models';
import fs from 'node:fs/promises';
import { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import {
  as,
  type AuditRecord,
  startRippleTestBackend,
  users,
} from '../__testUtils__/testBackend';
import { makeDuckDbFile, writeFolders } from '../__testUtils__/warehouseFiles';
import { DuckDBInstance } from '@duckdb/node-api';

// Issue 20: a migration's steps on its dataset's warehouse, through the
// routes of a real backend: a DuckDB file and a PostgreSQL database where
// Ripple runs the steps, and a DuckDB file whose steps are handed over.

jest.setTimeout(240_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const shopOrders = 'resource:default/shop-orders';
const pgOrders = 'resource:default/pg-orders';
const handedOrders = 'resource:default/handed-orders';
const report = 'component:default/orders-report';

const SHOP = `CREATE SCHEMA shop;
  CREATE TABLE shop.orders (id INTEGER, amount INTEGER, status VARCHAR, legacy BOOLEAN);
  INSERT INTO shop.orders SELECT i, i % 13, CASE WHEN i % 2 = 0 THEN 'paid' ELSE 'open' END, i % 3 = 0 FROM generate_series(1, 250) AS t(i);`;
const COLUMNS = `[{name: id, type: INTEGER}, {name: amount, type: INTEGER}, {name: status, type: VARCHAR}, {name: legacy, type: BOOLEAN}]`;

function dataset(name: string, warehouse: string, dialect: string): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: ${name}
  annotations:
    ripple.io/table: shop.orders
    ripple.io/dialect: ${dialect}
    ripple.io/schema: "${COLUMNS}"
    ripple.io/warehouse: ${warehouse}
spec:
  type: dataset
  owner: group:default/data-platform
`;
}

const FOLDERS: Record<string, Record<string, string>> = {
  'shop-orders': {
    'catalog-info.yaml': dataset('shop-orders', 'duck', 'duckdb'),
  },
  'pg-orders': { 'catalog-info.yaml': dataset('pg-orders', 'pg', 'postgres') },
  'handed-orders': {
    'catalog-info.yaml': dataset('handed-orders', 'handed', 'duckdb'),
  },
  'orders-report': {
    'catalog-info.yaml': `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: orders-report
spec:
  type: data-pipeline
  lifecycle: production
  owner: group:default/data-platform
  dependsOn: [${shopOrders}]
`,
    'report.sql':
      'SELECT status, sum(amount) AS total FROM shop.orders GROUP BY status;\n',
  },
};

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 200));
  }
}

/** Whether the catalog has processed the entity (its relations are there). */
async function inCatalog(server: Server, ref: string): Promise<boolean> {
  const [kind, name] = ref.replace(':default/', '/').split('/');
  const res = await request(server)
    .get(`/api/catalog/entities/by-name/${kind}/default/${name}`)
    .set(as('guest'));
  return res.status === 200 && res.body.relations?.length > 0;
}

/** What a DuckDB file holds: its tables and views, and a table's rows. */
async function readDuckDb(file: string, sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(file, {
    access_mode: 'READ_ONLY',
  });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowsJson();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const TABLES =
  "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'shop' ORDER BY table_name";

describe.each(databases.eachSupportedId())('steps on %s', databaseId => {
  let server: Server;
  let stop: () => Promise<void>;
  let auditEvents: AuditRecord[];
  let root: string;
  let duckFile: string;
  let pg: Client;
  let pgDatabase: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-steps-'));
    duckFile = path.join(root, 'duck.duckdb');
    await makeDuckDbFile(duckFile, SHOP);
    await makeDuckDbFile(path.join(root, 'handed.duckdb'), SHOP);
    const url = testPostgresUrl();
    if (!url) throw new Error('the steps test needs the PostgreSQL server');
    pgDatabase = `ripple_steps_${databaseId.toLowerCase()}_${process.pid}`;
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pgDatabase}`);
    await admin.query(`CREATE DATABASE ${pgDatabase}`);
    await admin.end();
    const target = new URL(url);
    target.pathname = `/${pgDatabase}`;
    pg = new Client({ connectionString: target.href });
    await pg.connect();
    await pg.query(SHOP);

    const locations = await writeFolders(root, FOLDERS);
    ({ server, stop, auditEvents } = await startRippleTestBackend({
      databases,
      databaseId,
      locations,
      readable: [root],
      agent: { intervalSeconds: 1 },
      steps: { intervalSeconds: 1 },
      rollout: { intervalSeconds: 1 },
      config: {
        ripple: {
          agent: { searchCode: false },
          steps: { retentionHours: 0 },
          warehouses: {
            duck: { type: 'duckdb', path: duckFile, steps: 'run' },
            handed: {
              type: 'duckdb',
              path: path.join(root, 'handed.duckdb'),
            },
            pg: {
              type: 'postgres',
              steps: 'run',
              connection: {
                host: target.hostname,
                port: Number(target.port || 5432),
                user: decodeURIComponent(target.username),
                password: decodeURIComponent(target.password),
                database: pgDatabase,
              },
            },
          },
        },
      },
    }));
    const backend = server;
    for (const ref of [shopOrders, pgOrders, handedOrders, report]) {
      await until(() => inCatalog(backend, ref));
    }
    for (const ref of [shopOrders, pgOrders, handedOrders]) {
      ids[ref] = await analysed(ref);
    }
  });

  afterAll(async () => {
    await stop?.();
    await pg?.end();
    const admin = new Client({ connectionString: testPostgresUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pgDatabase}`);
    await admin.end();
    await fs.rm(root, { recursive: true, force: true });
  });

  async function call(
    method: 'get' | 'post',
    url: string,
    body?: object,
    user: keyof typeof users = 'guest',
  ): Promise<request.Response> {
    let test = request(server)[method](`/api/ripple${url}`).set(as(user));
    if (body) test = test.send(body);
    const res = await test;
    expectValidResponse(res);
    return res;
  }

  async function analysed(datasetRef: string): Promise<string> {
    const created = await call('post', '/migrations', {
      datasetRef,
      change: {
        dataset: 'shop.orders',
        changes: [
          { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        ],
      },
      title: `Rename amount of ${datasetRef}`,
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await call('post', `/migrations/${id}/analyze`);
    await until(async () => {
      const res = await call('get', `/migrations/${id}`);
      return res.body.state === 'proposed';
    });
    return id;
  }

  const consumer = async (id: string): Promise<Consumer> =>
    (await call('get', `/migrations/${id}/consumers`)).body.items[0];
  const plan = async (id: string): Promise<StepPlanView> =>
    (await call('get', `/migrations/${id}/steps`)).body;
  const stepOf = async (id: string, name: string) =>
    (await plan(id)).steps.find(s => s.name === name)!;

  /** Runs a step and waits for the runner to finish it. */
  async function run(id: string, name: string, expected = 'done') {
    const res = await call('post', `/migrations/${id}/steps/${name}/run`);
    expect(res.status).toBe(200);
    await until(async () => (await stepOf(id, name)).state !== 'running');
    const step = await stepOf(id, name);
    // Ripple ran it: no person is named as having done it.
    expect({
      name,
      state: step.state,
      error: step.error,
      doneBy: step.doneBy,
    }).toEqual({ name, state: expected, error: step.error, doneBy: undefined });
    return step;
  }

  it('refuses bad bodies, unknown steps and non-owners, and shows the engine refusal', async () => {
    const id = ids[shopOrders];
    expect((await call('get', `/migrations/${id}/steps`)).status).toBe(404);
    expect((await call('get', `/migrations/${id}`)).body.hasStepPlan).toBe(
      undefined,
    );
    const zero = await call('post', `/migrations/${id}/steps`, {
      batchRows: 0,
    });
    expect(zero.status).toBe(400);
    expect(zero.body.error.message).toMatch(/batchRows/);
    const unknown = await call('post', `/migrations/${id}/steps`, {
      batch: 10,
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/batch/);
    const key = await call('post', `/migrations/${id}/steps`, { key: 'nope' });
    expect(key.status).toBe(400);
    expect(key.body.error.message).toMatch(/key: nope is not a column/);
    const denied = await call('post', `/migrations/${id}/steps`, {}, 'analyst');
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(/ripple\.step\.run/);
    const badStep = await call('post', `/migrations/${id}/steps/shrink/run`);
    expect(badStep.status).toBe(400);
  });

  it('makes the plan and shows every statement before anything runs', async () => {
    const id = ids[shopOrders];
    const created = await call('post', `/migrations/${id}/steps`, {
      batchRows: 40,
    });
    expect(created.status).toBe(201);
    const view: StepPlanView = created.body;
    expect(view).toMatchObject({
      mode: 'run',
      warehouse: 'duck',
      dialect: 'duckdb',
      layout: 'versioned',
      newTable: 'shop.orders__ripple_v2',
      oldTable: 'shop.orders__ripple_old',
      key: 'id',
      batchRows: 40,
      next: 'expand',
      createdBy: users.guest.ref,
    });
    expect(view.steps.map(s => [s.name, s.state])).toEqual([
      ['expand', 'pending'],
      ['backfill', 'pending'],
      ['verify', 'pending'],
      ['switch', 'pending'],
      ['contract', 'pending'],
    ]);
    expect(view.steps[0].statements[0]).toMatch(
      /^CREATE TABLE shop\.orders__ripple_v2/,
    );
    expect(view.steps[1].waitingFor).toBe('waiting for the step expand');
    expect(view.script).toMatch(/-- expand\nCREATE TABLE/);
    expect(view.script).toMatch(/-- switch: rollback\n-- {3}DROP VIEW/);
    // Nothing ran: the warehouse has only the dataset's table.
    expect(await readDuckDb(duckFile, TABLES)).toEqual([
      ['orders', 'BASE TABLE'],
    ]);
    // The migration says it has a plan, so pages ask for it.
    expect((await call('get', `/migrations/${id}`)).body.hasStepPlan).toBe(
      true,
    );
    const again = await call('post', `/migrations/${id}/steps`, {});
    expect(again.status).toBe(409);
    const audit = auditEvents.find(
      e => e.eventId === 'step-plan' && e.outcome === 'success',
    );
    expect(audit?.meta).toMatchObject({ migrationId: id, batchRows: 40 });
  });

  it('runs each step in order, with progress, and keeps deliveries waiting for the switch', async () => {
    const id = ids[shopOrders];
    const early = await call('post', `/migrations/${id}/steps/backfill/run`);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/expand is/);
    const handed = await call('post', `/migrations/${id}/steps/expand/done`);
    expect(handed.status).toBe(409);

    await run(id, 'expand');
    const backfill = await run(id, 'backfill');
    expect(backfill.progress).toMatchObject({
      rowsDone: 250,
      rowsTotal: 250,
      // 250 keys in batches of 40, then the (no) keyless rows.
      batches: 8,
    });
    const verify = await run(id, 'verify');
    expect(verify.verification?.passed).toBe(true);
    expect(verify.verification?.checks).toHaveLength(5);

    // A rollout started before the switch delivers nothing, approved or not.
    const started = await call('post', `/migrations/${id}/rollout/start`, {});
    expect(started.status).toBe(200);
    const patchId = (await consumer(id)).patch!.id;
    const approved = await call(
      'post',
      `/migrations/${id}/consumers/${encodeURIComponent(report)}/review`,
      { decision: 'approve', patchId },
    );
    expect(approved.status).toBe(201);
    // A few runs of the rollout (every second) go by.
    await new Promise(r => setTimeout(r, 3000));
    expect((await consumer(id)).delivery?.status).toBe('pending');
    const waiting = (await call('get', `/migrations/${id}/rollout`)).body;
    expect(waiting.waiting).toEqual([
      { consumerRef: report, reason: 'waiting for the step switch' },
    ]);

    await run(id, 'switch');
    await until(
      async () => (await consumer(id)).delivery?.status === 'delivered',
    );
    const after = (await call('get', `/migrations/${id}/rollout`)).body;
    expect(after.waiting ?? []).toEqual([]);
    expect(await readDuckDb(duckFile, TABLES)).toEqual([
      ['orders', 'VIEW'],
      ['orders__ripple_old', 'BASE TABLE'],
      ['orders__ripple_v2', 'BASE TABLE'],
    ]);
    // Unpatched readers keep their rows; patched ones read the new name.
    expect(
      await readDuckDb(
        duckFile,
        'SELECT sum(amount), sum(amount_usd) FROM shop.orders',
      ),
    ).toEqual([[expect.anything(), expect.anything()]]);

    // The contract waits for the consumer to be merged and healthy.
    const contract = await stepOf(id, 'contract');
    expect(contract.waitingFor).toBe('waiting for 1 consumer(s) to be merged');
    const refused = await call('post', `/migrations/${id}/steps/contract/run`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/merged/);

    const events = (await call('get', `/migrations/${id}/events`)).body;
    const kinds = (events.items ?? events).map((e: { type: string }) => e.type);
    expect(kinds.filter((k: string) => k === 'step-started')).toHaveLength(4);
    expect(kinds.filter((k: string) => k === 'step-done')).toHaveLength(4);
  });

  it('rolls each step back, from the last, to the warehouse as it was', async () => {
    const id = ids[shopOrders];
    const early = await call('post', `/migrations/${id}/steps/expand/rollback`);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/Roll back switch first/);
    // The switch goes first: the consumer's delivery, which reads the new
    // name, is rolled back with the rollout's rollback.
    const switched = await call(
      'post',
      `/migrations/${id}/steps/switch/rollback`,
    );
    expect(switched.status).toBe(200);
    expect((await consumer(id)).delivery?.status).toBe('reverted');
    expect((await call('get', `/migrations/${id}/rollout`)).body.state).toBe(
      'rolled_back',
    );
    for (const name of ['verify', 'backfill', 'expand']) {
      const res = await call(
        'post',
        `/migrations/${id}/steps/${name}/rollback`,
        {
          note: 'trying again tomorrow',
        },
      );
      expect(res.status).toBe(200);
      expect(
        res.body.steps.find((s: { name: string }) => s.name === name).state,
      ).toBe('rolled-back');
    }
    expect(await readDuckDb(duckFile, TABLES)).toEqual([
      ['orders', 'BASE TABLE'],
    ]);
    expect(
      await readDuckDb(
        duckFile,
        'SELECT count(*), sum(amount) FROM shop.orders',
      ),
    ).toEqual([['250', expect.anything()]]);
    // Rolled back, a step runs again.
    await run(id, 'expand');
  });

  it('pauses the plan on a failed verification with the rows that differ, and retries', async () => {
    const id = ids[pgOrders];
    expect(
      (await call('post', `/migrations/${id}/steps`, { batchRows: 100 }))
        .status,
    ).toBe(201);
    await run(id, 'expand');
    await run(id, 'backfill');
    // The copy drifts from the dataset.
    await pg.query(
      'UPDATE shop.orders__ripple_v2 SET amount_usd = 999 WHERE id = 7',
    );
    const verify = await run(id, 'verify', 'failed');
    expect(verify.error).toMatch(/1 of 5 checks failed/);
    expect(verify.verification?.passed).toBe(false);
    expect(verify.verification?.differences?.columns[0]).toBe('side');
    expect(verify.verification?.differences?.rows).toEqual(
      expect.arrayContaining([
        ['old', 7, 7, 'open', false],
        ['new', 7, 999, 'open', false],
      ]),
    );
    const paused = await call('post', `/migrations/${id}/steps/switch/run`);
    expect(paused.status).toBe(409);
    expect(
      (await call('post', `/migrations/${id}/steps/verify/run`)).status,
    ).toBe(409);

    await pg.query(
      'UPDATE shop.orders__ripple_v2 SET amount_usd = amount_usd - 999 + 7 WHERE id = 7',
    );
    expect(
      (await call('post', `/migrations/${id}/steps/verify/retry`)).status,
    ).toBe(200);
    await until(async () => (await stepOf(id, 'verify')).state === 'done');
    expect((await stepOf(id, 'verify')).attempt).toBe(2);
    await run(id, 'switch');
    const tables = async () =>
      (
        await pg.query(
          "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'shop' ORDER BY table_name",
        )
      ).rows;
    expect(await tables()).toEqual([
      { table_name: 'orders', table_type: 'VIEW' },
      { table_name: 'orders__ripple_old', table_type: 'BASE TABLE' },
      { table_name: 'orders__ripple_v2', table_type: 'BASE TABLE' },
    ]);
    // Rolled back on PostgreSQL too: the dataset's table is back under
    // its name, and runs forward again.
    expect(
      (await call('post', `/migrations/${id}/steps/switch/rollback`)).status,
    ).toBe(200);
    expect(await tables()).toEqual([
      { table_name: 'orders', table_type: 'BASE TABLE' },
      { table_name: 'orders__ripple_v2', table_type: 'BASE TABLE' },
    ]);
    await run(id, 'switch');

    // No consumer, so no rollout to wait for: the contract may run (after
    // the retention time, none here); its approval only after it.
    expect(
      (await call('post', `/migrations/${id}/steps/contract/approve`)).status,
    ).toBe(409);
    await run(id, 'contract');
    const approved = await call(
      'post',
      `/migrations/${id}/steps/contract/approve`,
      {
        note: 'backups checked',
      },
    );
    expect(approved.status).toBe(200);
    const contract = approved.body.steps.find(
      (s: { name: string }) => s.name === 'contract',
    );
    expect(contract.approvedBy).toBe(users.guest.ref);
    const { rows } = await pg.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'shop' ORDER BY table_name",
    );
    expect(rows).toEqual([{ table_name: 'orders' }]);
    const { rows: renamed } = await pg.query(
      'SELECT count(*)::int AS n FROM shop.orders WHERE amount_usd IS NOT NULL',
    );
    expect(renamed).toEqual([{ n: 250 }]);
  });

  it('hands the steps over: a person marks each done, and Ripple runs nothing', async () => {
    const id = ids[handedOrders];
    const created = await call('post', `/migrations/${id}/steps`);
    expect(created.body.mode).toBe('hand-over');
    const refused = await call('post', `/migrations/${id}/steps/expand/run`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/handed over/);
    const denied = await call(
      'post',
      `/migrations/${id}/steps/expand/done`,
      {},
      'analyst',
    );
    expect(denied.status).toBe(403);
    const done = await call('post', `/migrations/${id}/steps/expand/done`, {
      note: 'ran it in the console',
    });
    expect(done.status).toBe(200);
    expect(done.body.steps[0]).toMatchObject({
      state: 'done',
      doneBy: users.guest.ref,
    });
    expect(done.body.next).toBe('backfill');
    expect(
      (await call('post', `/migrations/${id}/steps/verify/done`)).status,
    ).toBe(409);
    // Ripple wrote nothing on the warehouse.
    expect(await readDuckDb(path.join(root, 'handed.duckdb'), TABLES)).toEqual([
      ['orders', 'BASE TABLE'],
    ]);
    const events = (await call('get', `/migrations/${id}/events`)).body;
    const marked = (events.items ?? events).find(
      (e: { type: string }) => e.type === 'step-marked-done',
    );
    expect(marked).toMatchObject({
      actor: users.guest.ref,
      data: { step: 'expand', note: 'ran it in the console' },
    });
    expect(
      auditEvents.some(
        e => e.eventId === 'step-done' && e.outcome === 'success',
      ),
    ).toBe(true);
  });
});
