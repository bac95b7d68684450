/*
 * The 10,000-consumer benchmark (docs/backend.md, "Benchmark"). Not a test:
 *
 *   yarn workspace @ripple/backstage-plugin-ripple-backend bench [consumers] [readers]
 *
 * 1. Generates `consumers` consumer repositories (SQL, dbt, Python, Java,
 *    Scala; half declare `dependsOn` the dataset, half are found in their
 *    code) plus a tenth as many components that read another table, and a
 *    dataset with an inline schema.
 * 2. One backend (Ripple, the real scheduler, UrlReaderService, engine and
 *    DatabaseService) analyses one migration over them while `readers`
 *    clients page through GET /migrations/{id}/consumers, each page at a
 *    random cursor of those seen (RIPPLE_BENCH_PAGING=offset: at a random
 *    offset): analysis throughput, API latency p50/p99, peak memory.
 * 3. Two backend processes on one PostgreSQL analyse another migration:
 *    each consumer must be recorded and patched exactly once.
 *
 * RIPPLE_BENCH_ENGINE_WORKERS sets `ripple.engine.workers` (default: the
 * plugin's, the number of cores; 0 runs the engine on the event loop).
 *
 * PostgreSQL comes from BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
 * (as for the tests); without it step 2 runs on SQLite and step 3 is skipped.
 * The catalog is Backstage's in-memory catalog service holding the generated
 * entities: the catalog's own ingestion of 11,000 entities is not what is
 * measured here.
 */
import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { rootLoggerServiceFactory } from '@backstage/backend-defaults/rootLogger';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import fs from 'node:fs';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import knexFactory from 'knex';
import { ripplePlugin } from '../src/plugin';
import { localFileUrlReaderFactory } from '../src/reading';
import { api, mib, percentile, sleep, spawnReplicas } from './lib';

const pg = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
const workers = process.env.RIPPLE_BENCH_ENGINE_WORKERS;
const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

type Manifest = { dir: string; entities: Entity[] };

// ---------------------------------------------------------------- generation

const templates: [string, (i: number) => Record<string, string>][] = [
  [
    'sql',
    i => ({
      'sql/report.sql': `-- Report ${i}\nSELECT id, amount, ts\nFROM \`proj.ds.orders\`\nWHERE status = 'paid' AND id > ${i};\n`,
    }),
  ],
  [
    'dbt',
    i => ({
      'models/stg_orders.sql': `with source as (\n    select * from {{ source('shop', 'orders') }}\n)\nselect id, cust, amount * ${i} as weighted from source\n`,
      'models/sources.yml':
        'version: 2\nsources:\n  - name: shop\n    database: proj\n    schema: ds\n    tables:\n      - name: orders\n',
    }),
  ],
  [
    'python',
    i => ({
      'job.py': `from google.cloud import bigquery\n\nQUERY = """\nSELECT o.id, o.amount\nFROM \`proj.ds.orders\` AS o\nWHERE o.cust = ${i}\n"""\n\n\ndef run():\n    return bigquery.Client().query(QUERY).result()\n`,
    }),
  ],
  [
    'java',
    i => ({
      'src/main/java/Job.java': `class Job {\n  static final String SQL = "SELECT id, amount FROM proj.ds.orders WHERE cust = ${i}";\n}\n`,
    }),
  ],
  [
    'scala',
    i => ({
      'src/main/scala/Job.scala': `object Job {\n  def sql(since: String) = s"""SELECT id, amount, ts FROM proj.ds.orders WHERE ts >= '$since' AND id > ${i}"""\n}\n`,
    }),
  ],
];

function generate(consumers: number): Manifest {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-bench-'));
  const entities: Entity[] = [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'orders',
        namespace: 'default',
        annotations: {
          'ripple.io/table': 'proj.ds.orders',
          'ripple.io/schema':
            '{id: INT64, cust: INT64, amount: NUMERIC, status: STRING, ts: TIMESTAMP}',
        },
      },
      spec: { type: 'dataset', owner: 'group:default/data-platform' },
    },
  ];
  const others = Math.ceil(consumers / 10);
  for (let i = 0; i < consumers + others; i++) {
    const name = `${i < consumers ? 'consumer' : 'other'}-${String(i).padStart(
      5,
      '0',
    )}`;
    const [, template] = templates[i % templates.length];
    for (const [file, text] of Object.entries(template(i))) {
      const target = path.join(dir, name, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      // The others read another table.
      fs.writeFileSync(
        target,
        i < consumers ? text : text.replace(/orders/g, 'refunds'),
      );
    }
    const declared = i < consumers && i % 2 === 0;
    entities.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        namespace: 'default',
        annotations: {
          'backstage.io/managed-by-location': `file:${path.join(
            dir,
            name,
            'catalog-info.yaml',
          )}`,
        },
      },
      spec: {
        type: 'data-pipeline',
        owner: 'group:default/data-platform',
        ...(declared ? { dependsOn: ['resource:default/orders'] } : {}),
      },
      relations: declared
        ? [{ type: 'dependsOn', targetRef: 'resource:default/orders' }]
        : [],
    });
  }
  return { dir, entities };
}

// ---------------------------------------------------------------- a backend

async function startBackend(
  manifest: Manifest,
  database: object,
  logs: boolean,
) {
  const backend = await startTestBackend({
    features: [
      ripplePlugin,
      localFileUrlReaderFactory,
      schedulerServiceFactory,
      databaseServiceFactory,
      catalogServiceMock.factory({ entities: manifest.entities }),
      ...(logs ? [rootLoggerServiceFactory] : []),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            database,
            reading: { allow: [{ host: 'localhost', paths: [manifest.dir] }] },
          },
          ripple: {
            agent: { intervalSeconds: 1 },
            ...(workers ? { engine: { workers: Number(workers) } } : {}),
          },
        },
      }),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  return { backend, url: `http://127.0.0.1:${port}/api/ripple` };
}

async function startMigration(url: string, title: string): Promise<string> {
  const { id } = await api(`${url}/migrations`, 'POST', {
    datasetRef: 'resource:default/orders',
    title,
    change,
  });
  await api(`${url}/migrations/${id}/analyze`, 'POST');
  return id;
}

// ---------------------------------------------------------------- step 2

async function analysisUnderReaders(
  manifest: Manifest,
  consumers: number,
  readers: number,
) {
  const database = pg
    ? { client: 'pg', connection: pg, prefix: `ripple_bench_${Date.now()}_` }
    : {
        client: 'better-sqlite3',
        connection: {
          directory: fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-bench-db-')),
        },
      };
  const { backend, url } = await startBackend(manifest, database, false);
  const memory = { rss: 0, heap: 0 };
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    memory.rss = Math.max(memory.rss, rss);
    memory.heap = Math.max(memory.heap, heapUsed);
  };
  sample();
  const before = { ...memory };
  const sampler = setInterval(sample, 100);

  // Alone first, then again (a second migration, the same work) under readers.
  const waitProposed = async (id: string) => {
    for (;;) {
      const migration = await api(`${url}/migrations/${id}`);
      if (migration.state === 'proposed') return migration;
      await sleep(200);
    }
  };
  let started = performance.now();
  await waitProposed(await startMigration(url, 'Bench: alone'));
  const alone = (performance.now() - started) / 1000;

  started = performance.now();
  const id = await startMigration(url, 'Bench: rename amount');
  let done = false;
  let total = 0;
  const latencies: number[] = [];
  // Cursor readers start each page at a cursor picked at random among those
  // the pages gave so far (every depth the list had, the first page for
  // the empty pick); offset readers at a random offset, as clients paged
  // before cursors (RIPPLE_BENCH_PAGING=offset).
  const byOffset = process.env.RIPPLE_BENCH_PAGING === 'offset';
  const cursors: string[] = [];
  const reader = async () => {
    while (!done) {
      const pick = Math.floor(Math.random() * (cursors.length + 1));
      let at = pick < cursors.length ? `cursor=${cursors[pick]}` : '';
      if (byOffset) {
        at = `offset=${
          total > 50 ? Math.floor(Math.random() * (total - 50)) : 0
        }`;
      }
      const t = performance.now();
      const page = await api(
        `${url}/migrations/${id}/consumers?limit=50${at ? `&${at}` : ''}`,
      );
      latencies.push(performance.now() - t);
      total = page.totalCount;
      if (page.nextCursor && !byOffset) cursors.push(page.nextCursor);
    }
  };
  const clients = Array.from({ length: readers }, reader);
  // The readers run for at most `window` seconds: under them the analysis
  // slows down so much that waiting for its end would take too long.
  const window = Number(process.env.RIPPLE_BENCH_READERS_SECONDS ?? 60);
  let recordedInWindow = 0;
  let windowSeconds = 0;
  const windowEnd = new Promise<void>(resolve =>
    setTimeout(resolve, window * 1000),
  ).then(async () => {
    if (!done) {
      done = true;
      await Promise.all(clients);
      recordedInWindow = (
        await api(`${url}/migrations/${id}/consumers?limit=1`)
      ).totalCount;
      windowSeconds = (performance.now() - started) / 1000;
    }
  });
  const migration = await waitProposed(id);
  const seconds = (performance.now() - started) / 1000;
  if (!done) {
    done = true;
    await Promise.all(clients);
    recordedInWindow = consumers;
    windowSeconds = seconds;
  } else {
    await windowEnd;
  }
  clearInterval(sampler);
  // The same readers again with the agent idle (the migration analysed):
  // what a page costs without the engine's work on the event loop.
  const underAgent = latencies.splice(0);
  done = false;
  const idleClients = Array.from({ length: readers }, reader);
  await sleep(
    Number(process.env.RIPPLE_BENCH_IDLE_READERS_SECONDS ?? 10) * 1000,
  );
  done = true;
  await Promise.all(idleClients);
  const idle = latencies.splice(0).sort((a, b) => a - b);
  latencies.push(...underAgent);
  const { totalCount } = await api(`${url}/migrations/${id}/consumers?limit=1`);
  await backend.stop();

  latencies.sort((a, b) => a - b);
  return {
    database: pg ? 'PostgreSQL 15' : 'SQLite',
    consumers: totalCount,
    expected: consumers,
    alone,
    seconds,
    windowSeconds,
    recordedInWindow,
    throughput: recordedInWindow / windowSeconds,
    message: migration.analysis?.error ?? '',
    requests: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    idle: {
      requests: idle.length,
      p50: percentile(idle, 50),
      p99: percentile(idle, 99),
    },
    memoryBefore: before,
    memoryPeak: memory,
  };
}

// ---------------------------------------------------------------- step 3

async function twoReplicas(manifestFile: string, consumers: number) {
  const prefix = `ripple_bench_replicas_${Date.now()}_`;
  const replicas = spawnReplicas(__filename, 2, [manifestFile, prefix]);
  const { children } = replicas;
  const urls = await replicas.urls;
  const started = performance.now();
  const id = await startMigration(urls[0], 'Bench: two replicas');
  for (;;) {
    const states = await Promise.all(
      urls.map(async url => (await api(`${url}/migrations/${id}`)).state),
    );
    if (states.every(s => s === 'proposed')) break;
    await sleep(500);
  }
  const seconds = (performance.now() - started) / 1000;

  const knex = knexFactory({
    client: 'pg',
    connection: `${pg}/${prefix}ripple`,
  });
  const perConsumer = async (sql: string) =>
    (await knex.raw(sql, [id])).rows as { n: string; consumers: string }[];
  const added = await perConsumer(
    `select n, count(*) as consumers from (select consumer_ref, count(*) as n from migration_event where migration_id = ? and type = 'consumer-added' group by consumer_ref) t group by n`,
  );
  const patched = await perConsumer(
    `select n, count(*) as consumers from (select c.id, count(p.id) as n from migration_consumer c join patch p on p.consumer_id = c.id where c.migration_id = ? group by c.id) t group by n`,
  );
  const proposedEvents = await perConsumer(
    `select n, count(*) as consumers from (select consumer_ref, count(*) as n from migration_event where migration_id = ? and type = 'patch-proposed' group by consumer_ref) t group by n`,
  );
  await knex.destroy();
  const analysedBy = children.map(
    c =>
      (c.output().match(/Analysed migration \S+: \d+ consumers/g) ?? []).length,
  );
  replicas.stop();
  return { consumers, seconds, added, patched, proposedEvents, analysedBy };
}

async function replica(manifestFile: string, prefix: string) {
  const manifest: Manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  const { url } = await startBackend(
    manifest,
    { client: 'pg', connection: pg, prefix },
    true,
  );
  process.stdout.write(`READY ${url}\n`);
}

// ---------------------------------------------------------------- main

async function main() {
  if (process.argv[2] === 'replica') {
    await replica(process.argv[3], process.argv[4]);
    return;
  }
  const consumers = Number(process.argv[2] ?? 10000);
  const readers = Number(process.argv[3] ?? 16);
  let t = performance.now();
  const manifest = generate(consumers);
  console.log(
    `Generated ${consumers} consumers and ${
      manifest.entities.length - consumers - 1
    } other components in ${((performance.now() - t) / 1000).toFixed(1)} s (${
      manifest.dir
    })`,
  );

  t = performance.now();
  const step2 = await analysisUnderReaders(manifest, consumers, readers);
  console.log(
    `\n## One backend (${
      step2.database
    }), ${readers} concurrent readers, engine workers: ${
      workers ?? `default (${os.availableParallelism()})`
    }`,
  );
  console.log(`consumers recorded: ${step2.consumers} of ${step2.expected}`);
  console.log(
    `analysis alone: ${step2.alone.toFixed(
      1,
    )} s from POST analyze to proposed, ${(
      step2.consumers / step2.alone
    ).toFixed(1)} consumers/s (candidates read: ${
      manifest.entities.length - 1
    })`,
  );
  console.log(
    `analysis under the readers: ${
      step2.recordedInWindow
    } consumers recorded in the ${step2.windowSeconds.toFixed(
      1,
    )} s the readers ran, ${step2.throughput.toFixed(
      1,
    )} consumers/s (whole analysis, readers stopped after the window: ${step2.seconds.toFixed(
      1,
    )} s)`,
  );
  console.log(
    `GET /migrations/{id}/consumers (limit 50, by ${
      process.env.RIPPLE_BENCH_PAGING === 'offset' ? 'offset' : 'cursor'
    }) during the analysis: ${step2.requests} requests, p50 ${step2.p50.toFixed(
      1,
    )} ms, p99 ${step2.p99.toFixed(1)} ms`,
  );
  console.log(
    `the same readers with the agent idle: ${
      step2.idle.requests
    } requests, p50 ${step2.idle.p50.toFixed(
      1,
    )} ms, p99 ${step2.idle.p99.toFixed(1)} ms`,
  );
  console.log(
    `memory of the process: before ${mib(step2.memoryBefore.rss)} RSS / ${mib(
      step2.memoryBefore.heap,
    )} heap; peak ${mib(step2.memoryPeak.rss)} RSS / ${mib(
      step2.memoryPeak.heap,
    )} heap`,
  );

  if (process.env.RIPPLE_BENCH_REPLICAS === '0') return;
  if (!pg) {
    console.log(
      '\nNo PostgreSQL (BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING): two replicas skipped',
    );
    return;
  }
  const manifestFile = path.join(manifest.dir, 'manifest.json');
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  const step3 = await twoReplicas(manifestFile, consumers);
  console.log('\n## Two backend processes on one PostgreSQL');
  console.log(`analysis: ${step3.seconds.toFixed(1)} s`);
  console.log(
    `runs of the analysis per process: ${step3.analysedBy.join(', ')}`,
  );
  const show = (rows: { n: string; consumers: string }[]) =>
    rows.map(r => `${r.consumers} consumers × ${r.n}`).join(', ');
  console.log(`consumer-added events per consumer: ${show(step3.added)}`);
  console.log(`patch rows per consumer: ${show(step3.patched)}`);
  console.log(
    `patch-proposed events per consumer: ${show(step3.proposedEvents)}`,
  );
  fs.rmSync(manifest.dir, { recursive: true, force: true });
}

main().then(
  () => {
    if (process.argv[2] !== 'replica') process.exit(0);
  },
  error => {
    console.error(error);
    process.exit(1);
  },
);
