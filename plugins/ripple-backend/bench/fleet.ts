/*
 * The fleet benchmark (docs/backend.md, "Benchmark"): the scale targets of
 * the consumer index, the engine's workers and claims. Not a test:
 *
 *   yarn workspace @ripple/backstage-plugin-ripple-backend bench:fleet \
 *     [repositories=5000] [locationsPerRepository=10] [migrations=20] [readers=50]
 *     [pace=0]
 *
 * 1. Generates `repositories` repositories of `locationsPerRepository` code
 *    locations each (one catalog Component per location: SQL, dbt, Python,
 *    Java, Scala in turn), each reading one of `migrations` tables, and one
 *    dataset per table. The repositories are served by a GitHub of their
 *    own (fleetGitHub.ts: its REST API over HTTP, in another process), read
 *    by Backstage's GithubUrlReader as a portal's would be.
 * 2. One backend (Ripple with the real scheduler, UrlReaderService, engine
 *    and DatabaseService on PostgreSQL) builds its consumer index from
 *    nothing, then analyses one migration per dataset: the first half
 *    alone, the second half while `readers` clients page through
 *    GET /migrations/{id}/consumers at random cursors (fleetReaders.ts):
 *    as fast as they are served, or `pace` pages a second each. Peak RSS
 *    is sampled.
 * 3. A refresh with nothing changed, then one after 1% of the repositories
 *    changed: GitHub's requests (status checks, tarball downloads) and time,
 *    against the full analysis.
 * 4. One replica, then two on one PostgreSQL (separate processes, each
 *    with one engine worker), index and analyse the same fleet: throughput
 *    and each consumer recorded once.
 *
 * PostgreSQL comes from BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
 * (required). The catalog is Backstage's in-memory catalog service holding
 * the generated entities.
 */
import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { rootLoggerServiceFactory } from '@backstage/backend-defaults/rootLogger';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'node:fs';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import knexFactory from 'knex';
import { ripplePlugin } from '../src/plugin';
import {
  FLEET_GITHUB_HOST,
  FLEET_OWNER,
  type GitHubCounts,
  spawnFleetGitHub,
} from './fleetGitHub';
import { type Readers, spawnReaders } from './fleetReaders';
import { api, mib, percentile, sleep, spawnReplicas } from './lib';

const pg = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
const admin = mockCredentials.user.header('user:default/admin');

type Fleet = {
  dir: string;
  entities: Entity[];
  repositories: number;
  perRepository: number;
  migrations: number;
  /** The fleet's GitHub API (fleetGitHub.ts). */
  apiBaseUrl?: string;
};

// ---------------------------------------------------------------- generation

const table = (k: number) => `proj.ds.t${k}`;

const templates: ((t: string, i: number) => Record<string, string>)[] = [
  (t, i) => ({
    'report.sql': `-- Report ${i}\nSELECT id, amount, ts\nFROM \`${t}\`\nWHERE status = 'paid' AND id > ${i};\n`,
  }),
  (t, i) => ({
    'models/stg.sql': `with source as (\n    select * from {{ source('shop', '${t
      .split('.')
      .pop()}') }}\n)\nselect id, cust, amount * ${i} as weighted from source\n`,
    'models/sources.yml': `version: 2\nsources:\n  - name: shop\n    database: proj\n    schema: ds\n    tables:\n      - name: ${t
      .split('.')
      .pop()}\n`,
  }),
  (t, i) => ({
    'job.py': `from google.cloud import bigquery\n\nQUERY = """\nSELECT o.id, o.amount\nFROM \`${t}\` AS o\nWHERE o.cust = ${i}\n"""\n`,
  }),
  (t, i) => ({
    'src/main/java/Job.java': `class Job {\n  static final String SQL = "SELECT id, amount FROM ${t} WHERE cust = ${i}";\n}\n`,
  }),
  (t, i) => ({
    'src/main/scala/Job.scala': `object Job {\n  def sql(since: String) = s"""SELECT id, amount, ts FROM ${t} WHERE ts >= '$since' AND id > ${i}"""\n}\n`,
  }),
];

function generate(
  repositories: number,
  perRepository: number,
  migrations: number,
): Fleet {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-fleet-'));
  const entities: Entity[] = [];
  for (let k = 0; k < migrations; k++) {
    entities.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: `t${k}`,
        namespace: 'default',
        annotations: {
          'ripple.io/table': table(k),
          'ripple.io/schema':
            '{id: INT64, cust: INT64, amount: NUMERIC, status: STRING, ts: TIMESTAMP}',
        },
      },
      spec: { type: 'dataset', owner: 'group:default/data-platform' },
    });
  }
  for (let r = 0; r < repositories; r++) {
    for (let l = 0; l < perRepository; l++) {
      const i = r * perRepository + l;
      const location = path.join(dir, `repo-${r}`, `loc-${l}`);
      const files = templates[i % templates.length](table(i % migrations), i);
      for (const [file, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(location, file)), {
          recursive: true,
        });
        fs.writeFileSync(path.join(location, file), text);
      }
      entities.push({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: `repo-${r}-loc-${l}`,
          namespace: 'default',
          etag: '1',
          annotations: {
            'backstage.io/source-location': `url:https://${FLEET_GITHUB_HOST}/${FLEET_OWNER}/repo-${r}/tree/main/loc-${l}/`,
          },
        },
        spec: { type: 'data-pipeline', owner: 'group:default/data-platform' },
        relations: [],
      });
    }
  }
  return { dir, entities, repositories, perRepository, migrations };
}

/** Changes the first file of `count` repositories' every location. */
function change(fleet: Fleet, count: number) {
  for (let r = 0; r < count; r++) {
    for (let l = 0; l < fleet.perRepository; l++) {
      const location = path.join(fleet.dir, `repo-${r}`, `loc-${l}`);
      const [file] = walk(location);
      fs.appendFileSync(file, '\n-- changed\n');
    }
  }
}

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap(d =>
      d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)],
    )
    .filter(f => !f.endsWith('.yml'))
    .sort();
}

// ---------------------------------------------------------------- a backend

/** A step done, as it happens (the figures come at the end). */
function progress(message: string) {
  process.stderr.write(`[${new Date().toISOString()}] ${message}\n`);
}

async function startBackend(
  fleet: Fleet,
  prefix: string,
  options: { workers?: number; logs?: boolean } = {},
) {
  const backend = await startTestBackend({
    features: [
      ripplePlugin,
      schedulerServiceFactory,
      databaseServiceFactory,
      catalogServiceMock.factory({ entities: fleet.entities }),
      ...(options.logs ? [rootLoggerServiceFactory] : []),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            database: { client: 'pg', connection: pg, prefix },
          },
          integrations: {
            github: [{ host: FLEET_GITHUB_HOST, apiBaseUrl: fleet.apiBaseUrl }],
          },
          ripple: {
            agent: { intervalSeconds: 1, refreshMinutes: 600 },
            // The bench asks for refreshes itself.
            index: {
              intervalSeconds: 1,
              scanMinutes: 600,
              refreshMinutes: 600,
            },
            ...(options.workers !== undefined
              ? { engine: { workers: options.workers } }
              : {}),
          },
        },
      }),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  return { backend, url: `http://127.0.0.1:${port}/api/ripple` };
}

async function until<T>(fn: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    await sleep(250);
  }
}

/** Waits until the index is ready with nothing due; the seconds it took. */
async function indexSettled(url: string, since: number): Promise<number> {
  await until(async () => {
    const status = await api(`${url}/index`);
    const started = Date.parse(status.lastScan?.startedAt ?? '');
    const completed = Date.parse(status.lastScan?.completedAt ?? '');
    return status.ready &&
      status.due === 0 &&
      started >= Math.floor(since / 1000) * 1000 &&
      completed >= started
      ? status
      : undefined;
  });
  return (Date.now() - since) / 1000;
}

async function analyse(urls: string[], k: number): Promise<string> {
  const url = urls[k % urls.length];
  const { id } = await api(`${url}/migrations`, 'POST', {
    datasetRef: `resource:default/t${k}`,
    title: `Fleet: rename amount in t${k}`,
    change: {
      dataset: table(k),
      dialect: 'bigquery',
      changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
    },
  });
  await api(`${url}/migrations/${id}/analyze`, 'POST');
  return id;
}

async function proposed(url: string, ids: string[]) {
  await until(async () => {
    const states = await Promise.all(
      ids.map(async id => (await api(`${url}/migrations/${id}`)).state),
    );
    return states.every(s => s === 'proposed') ? true : undefined;
  });
}

// ---------------------------------------------------------------- step 2, 3

/** GitHub's requests between two counts. */
const countsSince = (
  after: GitHubCounts,
  before: GitHubCounts,
): GitHubCounts => ({
  status: after.status - before.status,
  tarball: after.tarball - before.tarball,
});

async function oneBackend(
  fleet: Fleet,
  readers: Readers,
  github: { counts(): Promise<GitHubCounts> },
) {
  const memory = { rss: 0 };
  const sampler = setInterval(() => {
    memory.rss = Math.max(memory.rss, process.memoryUsage().rss);
  }, 100);
  const since = Date.now();
  const prefix = `ripple_fleet_${Date.now()}_`;
  const { backend, url } = await startBackend(fleet, prefix, {
    logs: !!process.env.RIPPLE_BENCH_LOGS,
  });
  const knex = knexFactory({
    client: 'pg',
    connection: `${pg}/${prefix}ripple`,
  });
  const patchCount = async () =>
    Number((await knex('patch').count({ n: '*' }))[0].n);
  const indexSeconds = await indexSettled(url, since);
  const indexRequests = await github.counts();
  progress(`index built: ${indexSeconds.toFixed(1)} s`);

  // The first half of the migrations alone.
  const half = Math.floor(fleet.migrations / 2);
  let t = performance.now();
  const first = await Promise.all(
    Array.from({ length: half }, (_, k) => analyse([url], k)),
  );
  await proposed(url, first);
  const aloneSeconds = (performance.now() - t) / 1000;
  const aloneConsumers = await countConsumers(url, first);
  progress(
    `analysis alone: ${aloneConsumers} consumers in ${aloneSeconds.toFixed(
      1,
    )} s`,
  );

  // The second half under the readers.
  t = performance.now();
  const second = await Promise.all(
    Array.from({ length: fleet.migrations - half }, (_, k) =>
      analyse([url], half + k),
    ),
  );
  const readersProcess = spawnReaders(url, [...first, ...second], readers);
  await proposed(url, second);
  const latencies = await readersProcess.stop();
  progress(`analysis under the readers: ${latencies.length} pages read`);
  const underSeconds = (performance.now() - t) / 1000;
  const underConsumers = await countConsumers(url, second);
  const analysisSeconds = aloneSeconds + underSeconds;

  // A refresh with nothing changed, then one after 1% of the repositories.
  let before = await github.counts();
  let refreshStart = Date.now();
  await api(`${url}/index/refresh`, 'POST', undefined, admin);
  const unchangedSeconds = await indexSettled(url, refreshStart);
  const unchanged = countsSince(await github.counts(), before);
  progress(`refresh, nothing changed: ${unchangedSeconds.toFixed(1)} s`);

  // The patches' refresh task first runs a minute after the start
  // (initialDelay): past it, only the bench's trigger below runs it, and
  // what the bench times is that run's.
  await sleep(Math.max(0, since + 65_000 - Date.now()));
  const patchesBefore = await patchCount();
  const changed = Math.max(1, Math.round(fleet.repositories / 100));
  change(fleet, changed);
  before = await github.counts();
  refreshStart = Date.now();
  await api(`${url}/index/refresh`, 'POST', undefined, admin);
  const changedIndexSeconds = await indexSettled(url, refreshStart);
  const changedScm = countsSince(await github.counts(), before);
  // The patches' refresh: the stale patches replaced from the index.
  t = performance.now();
  const triggered = await fetch(
    `${url}/.backstage/scheduler/v1/tasks/ripple-refresh/trigger`,
    { method: 'POST', headers: { Authorization: admin } },
  );
  if (!triggered.ok) {
    throw new Error(
      `Could not trigger ripple-refresh: ${
        triggered.status
      } ${await triggered.text()}`,
    );
  }
  const expectedNew = changed * fleet.perRepository;
  await until(async () =>
    (await patchCount()) >= patchesBefore + expectedNew ? true : undefined,
  );
  const patchRefreshSeconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  await knex.destroy();
  await backend.stop();

  latencies.sort((a, b) => a - b);
  return {
    indexSeconds,
    indexRequests,
    aloneSeconds,
    aloneConsumers,
    underSeconds,
    underConsumers,
    analysisSeconds,
    requests: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    peakRss: memory.rss,
    unchangedSeconds,
    unchanged,
    changed,
    changedIndexSeconds,
    changedScm,
    patchRefreshSeconds,
  };
}

async function countConsumers(url: string, ids: string[]) {
  let total = 0;
  for (const id of ids) {
    total += (await api(`${url}/migrations/${id}/consumers?limit=1`))
      .totalCount;
  }
  return total;
}

// ---------------------------------------------------------------- step 4

async function replicas(fleetFile: string, fleet: Fleet, count: number) {
  const prefix = `ripple_fleet_replicas_${Date.now()}_`;
  const since = Date.now();
  const spawned = spawnReplicas(__filename, count, [fleetFile, prefix]);
  const urls = await spawned.urls;
  await indexSettled(urls[0], since);
  const indexSeconds = (Date.now() - since) / 1000;
  const ids = await Promise.all(
    Array.from({ length: fleet.migrations }, (_, k) => analyse(urls, k)),
  );
  await proposed(urls[0], ids);
  const seconds = (Date.now() - since) / 1000;

  const knex = knexFactory({
    client: 'pg',
    connection: `${pg}/${prefix}ripple`,
  });
  const twice = await knex.raw(
    `select count(*) as n from (select migration_id, consumer_ref from migration_event where type = 'consumer-added' group by migration_id, consumer_ref having count(*) > 1) t`,
  );
  const patchesTwice = await knex.raw(
    `select count(*) as n from (select c.id from migration_consumer c join patch p on p.consumer_id = c.id group by c.id having count(p.id) > 1) t`,
  );
  const consumers = await knex('migration_consumer').count({ n: '*' });
  const indexed = await knex('consumer_index').count({ n: '*' });
  await knex.destroy();
  spawned.stop();
  return {
    count,
    indexSeconds,
    seconds,
    consumers: Number(consumers[0].n),
    indexed: Number(indexed[0].n),
    recordedTwice: Number(twice.rows[0].n),
    patchedTwice: Number(patchesTwice.rows[0].n),
  };
}

async function replica(fleetFile: string, prefix: string) {
  const fleet: Fleet = JSON.parse(fs.readFileSync(fleetFile, 'utf8'));
  // Each replica's engine workers sized to one core.
  const { url } = await startBackend(fleet, prefix, { workers: 1 });
  process.stdout.write(`READY ${url}\n`);
}

// ---------------------------------------------------------------- main

async function main() {
  if (process.argv[2] === 'replica') {
    await replica(process.argv[3], process.argv[4]);
    return;
  }
  if (!pg) {
    throw new Error(
      'The fleet benchmark needs PostgreSQL: BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING',
    );
  }
  const [repositories, perRepository, migrations, count, pace] = [
    Number(process.argv[2] ?? 5000),
    Number(process.argv[3] ?? 10),
    Number(process.argv[4] ?? 20),
    Number(process.argv[5] ?? 50),
    Number(process.argv[6] ?? 0),
  ];
  const readers: Readers = { count, pace };
  const t = performance.now();
  const fleet = generate(repositories, perRepository, migrations);
  const github = spawnFleetGitHub(fleet.dir);
  fleet.apiBaseUrl = await github.apiBaseUrl;
  const locations = repositories * perRepository;
  console.log(
    `Generated ${locations} code locations in ${repositories} repositories, reading ${migrations} tables, in ${(
      (performance.now() - t) /
      1000
    ).toFixed(1)} s (${fleet.dir})`,
  );

  const only = process.env.RIPPLE_BENCH_STEPS?.split(',') ?? [
    'one',
    'replicas',
  ];
  if (only.includes('one')) {
    const one = await oneBackend(fleet, readers, github);
    const first = one.indexSeconds + one.analysisSeconds;
    console.log(`\n## One backend, PostgreSQL 15`);
    console.log(
      `index built from nothing: ${one.indexSeconds.toFixed(1)} s, GitHub ${
        one.indexRequests.status
      } status requests and ${one.indexRequests.tarball} tarballs (${(
        locations / one.indexSeconds
      ).toFixed(0)} locations/s)`,
    );
    console.log(
      `analysis alone (${Math.floor(migrations / 2)} migrations): ${
        one.aloneConsumers
      } consumers in ${one.aloneSeconds.toFixed(1)} s, ${(
        one.aloneConsumers / one.aloneSeconds
      ).toFixed(0)} consumers/s`,
    );
    console.log(
      `analysis under ${readers.count} readers${
        readers.pace ? ` at ${readers.pace} pages/s each` : ''
      } (${migrations - Math.floor(migrations / 2)} migrations): ${
        one.underConsumers
      } consumers in ${one.underSeconds.toFixed(1)} s, ${(
        one.underConsumers / one.underSeconds
      ).toFixed(0)} consumers/s (ratio to alone ${(
        one.underConsumers /
        one.underSeconds /
        (one.aloneConsumers / one.aloneSeconds)
      ).toFixed(2)})`,
    );
    console.log(
      `GET /migrations/{id}/consumers (limit 50, at random cursors) during it: ${
        one.requests
      } requests, p50 ${one.p50.toFixed(1)} ms, p99 ${one.p99.toFixed(1)} ms`,
    );
    console.log(
      `first full analysis (index + every migration): ${first.toFixed(1)} s`,
    );
    console.log(`peak RSS of the process: ${mib(one.peakRss)}`);
    console.log(
      `refresh, nothing changed: ${one.unchangedSeconds.toFixed(1)} s, GitHub ${
        one.unchanged.status
      } status requests and ${
        one.unchanged.tarball
      } tarballs for ${locations} locations in ${repositories} repositories`,
    );
    console.log(
      `refresh after ${one.changed} repositories changed (${
        one.changed * perRepository
      } locations): index ${one.changedIndexSeconds.toFixed(1)} s (GitHub ${
        one.changedScm.status
      } status requests, ${
        one.changedScm.tarball
      } tarballs), stale patches replaced in ${one.patchRefreshSeconds.toFixed(
        1,
      )} s; together ${(
        ((one.changedIndexSeconds + one.patchRefreshSeconds) / first) *
        100
      ).toFixed(1)}% of the first full analysis`,
    );
  }
  if (only.includes('replicas')) {
    const fleetFile = path.join(fleet.dir, 'fleet.json');
    fs.writeFileSync(fleetFile, JSON.stringify(fleet));
    const single = await replicas(fleetFile, fleet, 1);
    const double = await replicas(fleetFile, fleet, 2);
    console.log(`\n## Replicas on one PostgreSQL, one engine worker each`);
    for (const run of [single, double]) {
      console.log(
        `${run.count} replica(s): index ${run.indexSeconds.toFixed(
          1,
        )} s, index and ${migrations} analyses ${run.seconds.toFixed(1)} s (${(
          run.consumers / run.seconds
        ).toFixed(0)} consumers/s); ${run.consumers} consumers, ${
          run.indexed
        } locations indexed; consumers recorded twice: ${
          run.recordedTwice
        }, patched twice: ${run.patchedTwice}`,
      );
    }
    console.log(
      `two replicas / one: ${(single.seconds / double.seconds).toFixed(2)}×`,
    );
  }
  github.stop();
  fs.rmSync(fleet.dir, { recursive: true, force: true });
}

main().then(
  () => {
    // (A replica serves until it is stopped.)
    if (process.argv[2] !== 'replica') process.exit(0);
  },
  error => {
    console.error(error);
    process.exit(1);
  },
);
