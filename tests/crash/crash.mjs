// The crash test (docs/backend.md, "Tests"): a real backend process on
// PostgreSQL with a rollout under way, killed with SIGKILL at random moments
// and restarted, the invariants checked after each restart, until the
// rollout completes. Started by run.sh, which puts Node 22 and Backstage's
// TypeScript transform in place (`--require .../nodeTransform.cjs`).
//
//   node crash.mjs --kills N [--seed S] [--consumers C] [--work DIR] [--keep]
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFleet, drawFleet } from './fleet.mjs';
import { Driver, Violation } from './driver.mjs';
import { Checker, CLAIM_TIMEOUT_MS } from './invariants.mjs';
import { tamper } from './tamper.mjs';
import { Api, BackendProcess, sleep } from './process.mjs';
import { backendConfig, freePort, parseArgs, PG, random } from './util.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../..',
);
const pg = require('pg');
// The legal moves, from the package that defines them (TypeScript, loaded
// through the transform run.sh requires).
const { migrationTransitions } = require(path.join(
  ROOT,
  'plugins/ripple-common/src/states.ts',
));

const args = parseArgs(process.argv.slice(2));
const seed = Number(args.seed ?? Math.floor(Math.random() * 2 ** 31));
const kills = Number(args.kills ?? 10);
const consumerCount = Number(args.consumers ?? 8);
// One migration after the other, each on a dataset of its own, so that a
// rollout is under way for every kill: one per 5 kills (a rollout of 8
// consumers took 5 to 8 kills at the default --up-ms; a spare one costs
// nothing, the run stops creating them after the last kill).
const migrations = Number(args.migrations ?? Math.max(1, Math.ceil(kills / 5)));
// After the backend is ready, a kill comes within this many ms; one kill in
// five comes while it starts instead (its migrations, plugins, first runs).
const upWindowMs = Number(args['up-ms'] ?? 6000);
const completionTimeoutMs = Number(args['completion-s'] ?? 240) * 1000;

console.log(
  `crash test: seed ${seed}, ${kills} kills, ${consumerCount} consumers, up to ${migrations} migrations (replay: tests/crash/run.sh --seed ${seed} --kills ${kills} --consumers ${consumerCount} --migrations ${migrations})`,
);

const rng = random(seed);
const started = Date.now();
const work =
  args.work ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-crash-')));
const database = `ripple_crash_${seed}_${process.pid}`;
const log = message =>
  console.log(
    `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`,
  );

const consumers = drawFleet(rng, consumerCount, migrations);
const catalog = await createFleet(work, consumers, migrations);
const port = await freePort();
const baseUrl = `http://127.0.0.1:${port}`;
const configFile = path.join(work, 'app-config.crash.yaml');
await fs.writeFile(configFile, config({ work, port, catalog, database }));
log(
  `fleet in ${work}: ${consumers
    .map(
      c =>
        `${c.name} ${c.in
          .map(
            x =>
              `${x.role}${x.merge ? '+merge' : ''}${
                x.declared ? '' : '(code)'
              }`,
          )
          .join('/')}`,
    )
    .join(', ')}`,
);

const admin = new pg.Client({ ...PG, database: 'postgres' });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
const pool = new pg.Pool({ ...PG, database, max: 2 });
// An idle connection ended by the database's drop is no failure.
pool.on('error', () => {});

const api = new Api(baseUrl);
const backend = new BackendProcess({
  root: ROOT,
  configFile,
  logFile: path.join(work, 'backend.log'),
  baseUrl,
});
const driver = new Driver({ api, consumers, migrations, log });
const checker = new Checker({
  pg: pool,
  api,
  driver,
  consumers,
  transitions: migrationTransitions,
});

// Interrupted (Ctrl-C, a CI timeout): the backend, a process group of its
// own, goes too.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    if (backend.child) process.kill(-backend.child.pid, 'SIGKILL');
    process.exit(130);
  });
}

const figures = {
  kills: 0,
  killedStarting: 0,
  killedRunning: 0,
  checkRounds: 0,
  readyMs: [],
};
let failed;
try {
  backend.spawn();
  await readyAndCheck();
  await catalogStitched();
  for (let k = 1; k <= kills; k++) {
    if (rng.next() < 0.2) {
      // While it starts: its migrations, plugins and first task runs. The
      // previous start's time is the guess of this one's.
      const delay = rng.between(0, figures.readyMs.at(-1) ?? 8000);
      await sleep(Math.max(0, backend.spawnedAt + delay - Date.now()));
      log(`kill ${k}: SIGKILL ${delay} ms after the spawn`);
      figures.killedStarting += 1;
    } else {
      await readyAndCheck();
      const delay = rng.between(0, upWindowMs);
      await driveFor(delay);
      log(`kill ${k}: SIGKILL ${delay} ms after ready (${stage()})`);
      figures.killedRunning += 1;
    }
    await backend.kill();
    figures.kills += 1;
    backend.spawn();
  }
  // No new migration after the kills: the one under way completes.
  driver.stopCreating = true;
  await readyAndCheck();
  const deadline = Date.now() + completionTimeoutMs;
  while (!driver.done) {
    if (Date.now() > deadline)
      throw new Error(
        `the rollout did not complete within ${
          completionTimeoutMs / 1000
        } s after the last restart (${stage()})`,
      );
    await driveFor(1000);
  }
  log('the rollout completed');
  // A claim a kill left behind expires after the claim timeout.
  await sleep(CLAIM_TIMEOUT_MS + 500);
  await checker.run({ final: true });
  figures.checkRounds += 1;
  figures.checks = checker.checks;
  if (!args['no-tamper']) {
    figures.caught = await tamper({ pool, checker, driver, consumers, log });
  }
} catch (error) {
  failed = error;
} finally {
  await backend.kill();
  await pool.end();
  // Kept after a failure, for its rows.
  if (!args.keep && !failed)
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
const ready = figures.readyMs;
console.log(
  [
    `crash test ${failed ? 'FAILED' : 'passed'}: seed ${seed}`,
    `  kills: ${figures.kills} (${figures.killedStarting} while starting, ${figures.killedRunning} while running)`,
    `  starts: ${backend.starts} (restarts ${
      backend.starts - 1
    }); ready after ${Math.min(...ready)}-${Math.max(
      ...ready,
    )} ms (mean ${Math.round(
      ready.reduce((a, b) => a + b, 0) / (ready.length || 1),
    )})`,
    `  invariant checks: ${figures.checks ?? checker.checks} in ${
      figures.checkRounds
    } rounds; violations made on purpose and caught: ${
      figures.caught ?? 'not tried'
    }`,
    `  driver: ${driver.actions.requests} requests (${driver.actions.failedTicks} ticks cut by a kill), ${driver.actions.reviews} reviews, ${driver.actions.merges} merges, ${driver.actions.pauses} pauses, ${driver.actions.signals} health signals; migrations completed ${driver.completed.size} of ${driver.ids.length} created; ${driver.ledger.events.size} events read`,
    `  time: ${seconds} s`,
  ].join('\n'),
);
if (failed) {
  console.error(
    `\n${failed instanceof Violation ? 'violation' : 'error'}: ${
      failed.stack ?? failed
    }`,
  );
  console.error(
    `work folder kept: ${work} (backend.log holds every start), database ${database} kept; replay with --seed ${seed}`,
  );
  process.exit(1);
}
if (!args.keep && !args.work)
  await fs.rm(work, { recursive: true, force: true });

/** Waits for the backend; after a restart, checks the invariants before anything else happens. */
/**
 * Waits for the catalog's first ingestion of the fleet, before the first
 * kill. Backstage's catalog can lose a stitch to a SIGKILL: the entity is
 * processed but has no final entity, and since its processed result then
 * never changes, no stitch is asked for again, and the entity stays out of
 * the catalog for good (seen: a late consumer never found). That is the
 * catalog's, not Ripple's; the fleet's entities do not change after this.
 */
async function catalogStitched() {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { rows } = await pool
      .query(
        `select count(*) filter (where f.final_entity is not null and r.entity_ref like 'component:%') as components,
                count(*) filter (where f.final_entity is null) as unstitched
           from catalog.refresh_state r
           left join catalog.final_entities f on f.entity_id = r.entity_id`,
      )
      .catch(() => ({ rows: [] }));
    const [row] = rows;
    if (
      row &&
      Number(row.components) === consumerCount &&
      !Number(row.unstitched)
    ) {
      log(`the catalog holds the fleet's ${consumerCount} components`);
      return;
    }
    if (Date.now() > deadline)
      throw new Error(`the catalog did not ingest the fleet within 120 s`);
    await sleep(500);
  }
}

async function readyAndCheck() {
  await backend.ready(api);
  figures.readyMs.push(Date.now() - backend.spawnedAt);
  log(
    `backend ready (start ${backend.starts}, ${
      Date.now() - backend.spawnedAt
    } ms after the spawn)`,
  );
  if (backend.starts > 1) {
    await checker.run();
    figures.checkRounds += 1;
  }
}

/**
 * Runs the driver for `ms`, a tick at a time (a tick cut short by a kill is
 * retried later); once every migration is done, the backend still runs
 * for `ms` (its tasks, its catalog).
 */
async function driveFor(ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!driver.done) {
      await Promise.race([
        driver.tick(),
        sleep(Math.max(0, until - Date.now())),
      ]);
    }
    await sleep(Math.min(200, Math.max(0, until - Date.now())));
  }
}

function stage() {
  const ids = [...driver.ledger.events.values()].map(k => JSON.parse(k)[0]);
  return `${ids.length} events so far, the last ${ids.at(-1) ?? 'none'}`;
}

function config({ work, port, catalog, database }) {
  return `${backendConfig({ writer: 'crash.mjs', port, database })}  reading:
    allow:
      - host: localhost
        paths: [${work}/repos]
auth:
  providers:
    guest:
      userEntityRef: user:default/guest
      ownershipEntityRefs: [user:default/guest, group:default/data-platform]
catalog:
  rules:
    - allow: [Component, Resource, Location, User, Group]
  # A kill cuts the catalog's processing too: an entity being processed then
  # waits for the processing interval (100-150 s by default) before it is
  # processed again, and until then the agent cannot find it as a consumer
  # (a run failed so, its last consumer in the catalog 4 minutes late).
  # Every few seconds here, as the tasks below.
  processingInterval: { seconds: 5 }
  locations:
    - type: file
      target: ${catalog}
permission:
  enabled: true
# Runs every second. A run cut by a kill stays locked for its timeout (the
# scheduler cannot tell a dead run from a slow one, and its janitor frees
# expired ones at start and then every minute), and a consumer claimed by a
# delivery in flight for the claim timeout: 30 and 2 minutes by default,
# seconds here, so that a kill costs seconds (docs/rollout.md).
ripple:
  agent:
    intervalSeconds: 1
    refreshMinutes: 0.05
    timeoutMinutes: 0.05
  index:
    scanMinutes: 0.05
    refreshMinutes: 0.05
    intervalSeconds: 1
    leaseMinutes: 0.05
  rollout:
    intervalSeconds: 1
    syncMinutes: 0.05
    timeoutMinutes: 0.05
    claimTimeoutMinutes: 0.1 # CLAIM_TIMEOUT_MS in invariants.mjs
  delivery:
    gitBranch:
      localRoots: [${work}/repos]
      workDir: ${work}/mirrors
`;
}
