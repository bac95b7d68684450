// The steps' crash test (docs/steps.md, "Resume"): a real backend process
// on PostgreSQL runs a migration's steps on a PostgreSQL warehouse (a
// database of its own, `steps: run`), and is killed with SIGKILL at random
// moments: while the backfill copies a million rows in batches, and right
// after the switch, the contract and each rollback are asked for. After
// every restart, once no step runs, the warehouse must be exactly what the
// steps' states say: nothing lost or doubled in the copy, the switch and
// the contract done entirely or not at all, and no step done twice.
// Started by steps.sh (Node 22 and Backstage's TypeScript transform).
//
//   node steps.mjs [--kills N] [--seed S] [--rows R] [--keep]
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Api, BackendProcess, sleep } from './process.mjs';
import { Violation } from './driver.mjs';
import {
  backendConfig,
  freePort,
  OWNER_DOCS,
  parseArgs,
  PG,
  random,
} from './util.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../..',
);
const pg = require('pg');

const args = parseArgs(process.argv.slice(2));
const seed = Number(args.seed ?? Math.floor(Math.random() * 2 ** 31));
const kills = Number(args.kills ?? 8);
const rows = Number(args.rows ?? 1_000_000);
const batchRows = Number(args['batch-rows'] ?? 20_000);
const LEASE_MS = 3_000;
const rng = random(seed);
const started = Date.now();
const log = message =>
  console.log(
    `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`,
  );
console.log(
  `steps crash test: seed ${seed}, ${kills} kills, ${rows} rows in batches of ${batchRows} (replay: tests/crash/steps.sh --seed ${seed} --kills ${kills} --rows ${rows})`,
);

// What the driver asks for, in order: every step forward, the switch rolled
// back and run again, the contract, then every step rolled back, which must
// leave the warehouse as it was.
const SCRIPT = [
  ['run', 'expand'],
  ['run', 'backfill'],
  ['run', 'verify'],
  ['run', 'switch'],
  ['rollback', 'switch'],
  ['run', 'switch'],
  ['run', 'contract'],
  ['rollback', 'contract'],
  ['rollback', 'switch'],
  ['rollback', 'verify'],
  ['rollback', 'backfill'],
  ['rollback', 'expand'],
];

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-steps-crash-'));
const database = `ripple_crash_steps_${seed}_${process.pid}`;
const warehouseDb = `ripple_crash_wh_${seed}_${process.pid}`;
const admin = new pg.Client({ ...PG, database: 'postgres' });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
await admin.query(`CREATE DATABASE ${warehouseDb}`);
const warehouse = new pg.Pool({ ...PG, database: warehouseDb, max: 2 });
warehouse.on('error', () => {});

// The dataset: a million orders, some without a key, with duplicates in
// every other column.
await warehouse.query(`CREATE SCHEMA shop;
CREATE TABLE shop.orders (id BIGINT, amount NUMERIC(12, 2), status TEXT, legacy BOOLEAN);
INSERT INTO shop.orders
  SELECT CASE WHEN g % 50000 = 0 THEN NULL ELSE g END, (g % 997) / 4.0,
         CASE WHEN g % 7 = 0 THEN NULL ELSE 'status-' || (g % 5) END, g % 3 = 0
  FROM generate_series(1, ${rows}) AS g;
CREATE INDEX orders_id ON shop.orders (id);
ANALYZE shop.orders;`);
const initial = await warehouseState();
log(`warehouse ${warehouseDb}: shop.orders with ${rows} rows`);

const catalog = path.join(work, 'catalog.yaml');
await fs.writeFile(catalog, catalogYaml());
const port = await freePort();
const baseUrl = `http://127.0.0.1:${port}`;
const configFile = path.join(work, 'app-config.steps.yaml');
await fs.writeFile(configFile, config({ port, catalog, database }));
const api = new Api(baseUrl);
const backend = new BackendProcess({
  root: ROOT,
  configFile,
  logFile: path.join(work, 'backend.log'),
  baseUrl,
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    if (backend.child) process.kill(-backend.child.pid, 'SIGKILL');
    process.exit(130);
  });
}

const figures = { kills: 0, killedIn: {}, checks: 0, requests: 0, actions: 0 };
let migrationId;
let position = 0;
// The last action sent whose answer a kill may have cut: its effect may be
// on the warehouse while its step's state is not yet recorded.
let unanswered;
let failed;
try {
  backend.spawn();
  await backend.ready(api);
  migrationId = await createMigration();
  for (let k = 1; k <= kills; k++) {
    await backend.ready(api);
    if (backend.starts > 1) await check();
    // Short after a switch, a contract or a rollback is asked for, so that
    // kills land in them; longer through the backfill.
    const delay = rng.between(
      0,
      SCRIPT[position]?.[1] === 'backfill' ? 4000 : 1500,
    );
    const stage = await driveFor(delay);
    log(`kill ${k}: SIGKILL ${delay} ms after ready (${stage})`);
    figures.killedIn[stage] = (figures.killedIn[stage] ?? 0) + 1;
    await backend.kill();
    figures.kills += 1;
    backend.spawn();
  }
  await backend.ready(api);
  await check();
  const deadline = Date.now() + 300_000;
  while (position < SCRIPT.length) {
    if (Date.now() > deadline)
      throw new Error(
        `the script did not end within 300 s (at ${SCRIPT[position]})`,
      );
    await driveFor(1000);
  }
  await check();
  const final = await warehouseState();
  if (JSON.stringify(final) !== JSON.stringify(initial)) {
    throw new Violation(
      `every step rolled back, the warehouse is not as it was:\nbefore ${JSON.stringify(
        initial,
      )}\nafter  ${JSON.stringify(final)}`,
    );
  }
  await checkEvents();
  log('every step ran and was rolled back; the warehouse is as it was');
} catch (error) {
  failed = error;
} finally {
  await backend.kill();
  await warehouse.end();
  if (!args.keep && !failed) {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS ${warehouseDb} WITH (FORCE)`);
  }
  await admin.end();
}

console.log(
  [
    `steps crash test ${failed ? 'FAILED' : 'passed'}: seed ${seed}`,
    `  kills: ${figures.kills} (${Object.entries(figures.killedIn)
      .map(([stage, n]) => `${n} ${stage}`)
      .join(', ')})`,
    `  starts: ${backend.starts}; invariant checks: ${figures.checks}; actions: ${figures.actions} (${figures.requests} requests)`,
    `  time: ${((Date.now() - started) / 1000).toFixed(1)} s`,
  ].join('\n'),
);
if (failed) {
  console.error(
    `\n${failed instanceof Violation ? 'violation' : 'error'}: ${
      failed.stack ?? failed
    }`,
  );
  console.error(
    `work folder kept: ${work} (backend.log), databases ${database} and ${warehouseDb} kept; replay with --seed ${seed}`,
  );
  process.exit(1);
}
await fs.rm(work, { recursive: true, force: true });

// ------------------------------------------------------------------ driver

async function call(method, url, body) {
  figures.requests += 1;
  const res = await api[method](url, body);
  if (res.status >= 500)
    throw new Violation(
      `${method.toUpperCase()} ${url} answered ${res.status}: ${res.text}`,
    );
  return res;
}

async function createMigration() {
  // The catalog ingests the dataset a few seconds after the start.
  let res;
  for (let i = 0; i < 120; i++) {
    res = await call('post', '/api/ripple/migrations', {
      datasetRef: 'resource:default/shop-orders',
      change: {
        dataset: 'shop.orders',
        dialect: 'postgres',
        changes: [
          { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
          { kind: 'drop_column', column: 'legacy' },
        ],
      },
      title: 'Rename amount, drop legacy (steps crash test)',
    });
    if (res.status !== 400 || !/no entity/.test(res.text)) break;
    await sleep(500);
  }
  if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
  const id = res.body.id;
  // The agent analyses it (no consumer reads shop.orders); the plan is made
  // once, before the first kill.
  for (let i = 0; ; i++) {
    const plan = await call('post', `/api/ripple/migrations/${id}/steps`, {
      key: 'id',
      batchRows,
    });
    if (plan.status === 201) break;
    if (i > 100) throw new Error(`step plan: ${plan.status} ${plan.text}`);
    await sleep(300);
  }
  log(`migration ${id} with its step plan`);
  return id;
}

/** Drives the script for `ms`; returns what was under way at the end. */
async function driveFor(ms) {
  const until = Date.now() + ms;
  let stage = 'idle';
  while (Date.now() < until) {
    stage = await Promise.race([
      tick(),
      sleep(Math.max(0, until - Date.now())).then(() => stage),
    ]);
    await sleep(Math.min(150, Math.max(0, until - Date.now())));
  }
  return stage;
}

/** One look at the plan, and the script's next action unless a step runs. */
async function tick() {
  if (position >= SCRIPT.length) return 'done';
  const res = await call('get', `/api/ripple/migrations/${migrationId}/steps`);
  if (res.status !== 200)
    throw new Violation(`steps: ${res.status} ${res.text}`);
  const [action, name] = SCRIPT[position];
  const step = res.body.steps.find(s => s.name === name);
  if (step.state === 'failed')
    throw new Violation(`step ${name} failed: ${step.error}`);
  const reached =
    action === 'run' ? step.state === 'done' : step.state === 'rolled-back';
  if (reached) {
    unanswered = undefined;
    position += 1;
    log(`${action} ${name}: done`);
    return 'between steps';
  }
  const running = res.body.steps.find(s => s.state === 'running');
  if (running) {
    return running.name === 'backfill'
      ? 'during the backfill'
      : `during the ${running.name}`;
  }
  unanswered = [action, name];
  figures.actions += 1;
  const sent = await call(
    'post',
    `/api/ripple/migrations/${migrationId}/steps/${name}/${action}`,
    action === 'rollback' ? { note: 'crash test' } : {},
  );
  // 409: the step changed meanwhile (a resumed runner finished it).
  if (sent.status !== 200 && sent.status !== 409)
    throw new Violation(`${action} ${name}: ${sent.status} ${sent.text}`);
  return `right after ${action} ${name}`;
}

// -------------------------------------------------------------- invariants

/**
 * After a restart: no key is ever copied twice, even mid-backfill; when no
 * step runs, the warehouse is exactly what the steps' states say.
 */
async function check() {
  const view = (
    await call('get', `/api/ripple/migrations/${migrationId}/steps`)
  ).body;
  const w = await objects();
  if (w.has('orders__ripple_v2')) {
    const doubled = await warehouse.query(
      'SELECT count(*) AS n FROM (SELECT id FROM shop.orders__ripple_v2 WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1) d',
    );
    if (Number(doubled.rows[0].n) !== 0)
      throw new Violation(
        `${doubled.rows[0].n} keys copied twice into the new table`,
      );
  }
  figures.checks += 1;
  if (view.steps.some(s => s.state === 'running')) return;
  const state = Object.fromEntries(view.steps.map(s => [s.name, s.state]));
  const done = name => state[name] === 'done';
  const expected = {
    v2: done('expand') && !done('contract'),
    ordersIsView: done('switch') && !done('contract'),
    oldMoved: done('switch'),
  };
  const actual = {
    v2: w.has('orders__ripple_v2'),
    ordersIsView: w.get('orders') === 'VIEW',
    oldMoved: w.has('orders__ripple_old'),
  };
  const mismatch = Object.keys(expected).filter(k => expected[k] !== actual[k]);
  if (mismatch.length) {
    // A rollback commits on the warehouse before its step is recorded
    // rolled back: a kill between the two leaves the step done, and the
    // driver asks again, which records it (the rollback finds nothing in
    // place and runs nothing).
    const [action, name] = unanswered ?? [];
    const explained = action === 'rollback' && done(name);
    if (!explained) {
      throw new Violation(
        `the warehouse does not match the steps' states ${JSON.stringify(
          state,
        )}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(
          actual,
        )}`,
      );
    }
  }
  if (done('backfill') && w.has('orders__ripple_v2')) {
    const old = w.has('orders__ripple_old')
      ? 'shop.orders__ripple_old'
      : 'shop.orders';
    const diff = await warehouse.query(
      `SELECT (SELECT count(*) FROM (SELECT id, amount, status, legacy FROM ${old} EXCEPT ALL SELECT id, amount_usd, status, legacy FROM shop.orders__ripple_v2) a)
            + (SELECT count(*) FROM (SELECT id, amount_usd, status, legacy FROM shop.orders__ripple_v2 EXCEPT ALL SELECT id, amount, status, legacy FROM ${old}) b) AS n`,
    );
    if (Number(diff.rows[0].n) !== 0) {
      throw new Violation(
        `the backfill is done but ${diff.rows[0].n} rows differ between the old table and the new one (lost or doubled)`,
      );
    }
  }
  if (
    w.has('orders__ripple_v2') &&
    (state.backfill === 'pending' || state.backfill === 'rolled-back')
  ) {
    const n = await warehouse.query(
      'SELECT count(*) AS n FROM shop.orders__ripple_v2',
    );
    if (Number(n.rows[0].n) !== 0)
      throw new Violation(
        `the backfill is ${state.backfill} but the new table holds ${n.rows[0].n} rows`,
      );
  }
  figures.checks += 1;
}

/** No step done twice: between two `step-done` of a step, it was rolled back. */
async function checkEvents() {
  const res = await call(
    'get',
    `/api/ripple/migrations/${migrationId}/events?limit=500`,
  );
  const last = new Map();
  for (const event of res.body.items) {
    const name = event.data?.step;
    if (!name || !String(event.type).startsWith('step-')) continue;
    if (event.type === 'step-done' && last.get(name) === 'step-done') {
      throw new Violation(
        `step ${name} was recorded done twice in a row (events ${JSON.stringify(
          res.body.items.filter(e => e.data?.step === name).map(e => e.type),
        )})`,
      );
    }
    if (event.type === 'step-done' || event.type === 'step-rolled-back')
      last.set(name, event.type);
  }
  figures.checks += 1;
}

/** The tables and views of the schema shop, by name. */
async function objects() {
  const res = await warehouse.query(
    `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'shop'`,
  );
  return new Map(res.rows.map(r => [r.table_name, r.table_type]));
}

/** What the whole warehouse holds: its objects, columns and the old table's rows. */
async function warehouseState() {
  const columns = await warehouse.query(
    `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'shop' ORDER BY table_name, ordinal_position`,
  );
  const sum = await warehouse.query(
    `SELECT count(*) AS n, sum(hashtextextended(CAST((id, amount, status, legacy) AS text), 0)) AS h FROM shop.orders`,
  );
  return {
    objects: [...(await objects())].sort(),
    columns: columns.rows,
    rows: sum.rows[0],
  };
}

// ------------------------------------------------------------------ set-up

function catalogYaml() {
  return `${OWNER_DOCS}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: shop-orders
  annotations:
    ripple.io/table: shop.orders
    ripple.io/dialect: postgres
    ripple.io/warehouse: wh
    ripple.io/schema: |
      - { name: id, type: BIGINT }
      - { name: amount, type: 'NUMERIC(12, 2)' }
      - { name: status, type: TEXT }
      - { name: legacy, type: BOOLEAN }
spec:
  type: dataset
  owner: group:default/data-platform
`;
}

function config({ port, catalog, database }) {
  return `${backendConfig({ writer: 'steps.mjs', port, database })}auth:
  providers:
    guest:
      userEntityRef: user:default/guest
      ownershipEntityRefs: [user:default/guest, group:default/data-platform]
catalog:
  rules:
    - allow: [Resource, Location, User, Group]
  processingInterval: { seconds: 5 }
  locations:
    - type: file
      target: ${catalog}
permission:
  enabled: true
ripple:
  agent:
    intervalSeconds: 1
    timeoutMinutes: 0.05
  warehouses:
    wh:
      type: postgres
      steps: run
      connection:
        host: ${PG.host}
        port: ${PG.port}
        user: ${PG.user}
        password: ${PG.password}
        database: ${warehouseDb}
  # Every second, a lease of ${LEASE_MS / 1000} s: a kill costs seconds; no
  # consumer, so the contract waits for nothing.
  steps:
    intervalSeconds: 1
    leaseMinutes: ${LEASE_MS / 60_000}
    timeoutMinutes: 0.5
    retentionHours: 0
`;
}
