import type { ChangeSpec } from '@ripple/backstage-plugin-ripple-common';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { loadEngine, RippleEngine } from '@ripple/engine';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  applyDatabaseMigrations,
  DatabaseMigrationStore,
} from '../database/DatabaseMigrationStore';
import { localUrlReader } from '../__testUtils__/localUrlReader';
import { Candidate, ConsumerFinder } from './ConsumerFinder';
import { ConsumerSources, UrlReaderConsumerSources } from './ConsumerSources';
import { MigrationAgent } from './MigrationAgent';
import { DatasetReader } from '../dataset/DatasetReader';
import { EnginePool } from '../engine/EnginePool';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const examples = path.resolve(__dirname, '../../../../examples/consumers');
const change: ChangeSpec = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

/** A copy of the example consumers the test may change. */
function copyExamples(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-agent-'));
  fs.cpSync(examples, dir, { recursive: true });
  return dir;
}

/** An entity registered from `<dir>/<name>/catalog-info.yaml`, as the catalog annotates it. */
function component(dir: string, name: string): Entity {
  return {
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
    spec: {},
  };
}

/** The catalog's answer, fixed: declared consumers, then undeclared ones. */
class FixedFinder implements ConsumerFinder {
  constructor(private readonly list: Candidate[]) {}
  async candidates() {
    return this.list;
  }
  async get(ref: string) {
    return this.list
      .map(c => c.entity)
      .find(e => stringifyEntityRef(e) === ref);
  }
  async getMany(refs: string[]) {
    const wanted = new Set(refs.map(r => r.toLocaleLowerCase('en-US')));
    return new Map(
      this.list
        .map(
          c =>
            [
              stringifyEntityRef(c.entity).toLocaleLowerCase('en-US'),
              c.entity,
            ] as const,
        )
        .filter(([ref]) => wanted.has(ref)),
    );
  }
}

function sourcesFor(dir: string): ConsumerSources {
  return new UrlReaderConsumerSources(localUrlReader(dir));
}

// Inline (the engine on the event loop), and on two real worker threads
// with several consumers in flight: the same results.
const engineWorkers = databases
  .eachSupportedId()
  .flatMap(([id]) => [[id, 0] as const, [id, 2] as const]);

describe.each(engineWorkers)(
  'MigrationAgent on %s with %i engine workers',
  (databaseId, workers) => {
    let engine: RippleEngine;
    let pool: EnginePool;
    beforeAll(async () => {
      engine = await loadEngine();
      pool = await EnginePool.create({ engine, workers });
    });
    afterAll(() => pool.destroy());

    async function setup(
      options: {
        dir?: string;
        candidates?: (dir: string) => Candidate[];
        sources?: (dir: string) => ConsumerSources;
        now?: () => Date;
        onProposed?: () => void;
      } = {},
    ) {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new DatabaseMigrationStore(knex);
      const dir = options.dir ?? copyExamples();
      const candidates = options.candidates?.(dir) ?? [
        { entity: component(dir, 'finance-reports'), declared: true },
        { entity: component(dir, 'fraud-scoring'), declared: true },
        { entity: component(dir, 'orders-export'), declared: true },
      ];
      const makeAgent = (sources = options.sources?.(dir) ?? sourcesFor(dir)) =>
        new MigrationAgent({
          store,
          engine,
          pool,
          logger: mockServices.logger.mock(),
          finder: new FixedFinder(candidates),
          sources,
          datasets: new DatasetReader(localUrlReader(dir)),
          retry: { initialSeconds: 30, maxSeconds: 600 },
          now: options.now,
          onProposed: options.onProposed,
        });
      const migration = await store.createMigration({
        datasetRef: 'resource:default/orders',
        change,
        title: 'Rename amount',
        owner: 'group:default/data-platform',
        createdBy: 'user:default/guest',
      });
      await store.transition({ migrationId: migration.id, to: 'analyzing' });
      return { store, dir, agent: makeAgent(), makeAgent, migration };
    }

    it('stops when the scheduler aborts the run, keeps what it recorded, and finishes at the next run', async () => {
      const controller = new AbortController();
      const { store, makeAgent, migration } = await setup({
        // Aborted while the second consumer's code is read.
        sources: dir => {
          const real = sourcesFor(dir);
          let reads = 0;
          return {
            read: async entity => {
              reads += 1;
              if (reads === 2) controller.abort();
              return real.read(entity);
            },
          };
        },
      });

      await makeAgent().runOnce(controller.signal);

      await expect(store.getMigration(migration.id)).resolves.toMatchObject({
        state: 'analyzing',
      });
      const cut = await store.listConsumers(migration.id, {
        limit: 10,
        offset: 0,
      });
      expect(cut.totalCount).toBeGreaterThan(0);
      expect(cut.totalCount).toBeLessThan(3);

      // An aborted signal starts nothing.
      await makeAgent().runOnce(AbortSignal.abort());
      await expect(store.getMigration(migration.id)).resolves.toMatchObject({
        state: 'analyzing',
      });

      await makeAgent().runOnce(new AbortController().signal);
      await expect(store.getMigration(migration.id)).resolves.toMatchObject({
        state: 'proposed',
      });
      const whole = await store.listConsumers(migration.id, {
        limit: 10,
        offset: 0,
      });
      expect(whole.totalCount).toBe(3);
    });

    it('analyses a migration: every consumer gets its impact and a verified patch', async () => {
      const { store, agent, migration } = await setup();

      await agent.runOnce();

      await expect(store.getMigration(migration.id)).resolves.toMatchObject({
        state: 'proposed',
      });
      const { items } = await store.listConsumers(migration.id, {
        limit: 10,
        offset: 0,
      });
      expect(
        items.map(c => [
          c.consumerRef,
          c.discoveredBy,
          c.patch?.status,
          c.impact?.files.map(f => f.path),
        ]),
      ).toEqual([
        [
          'component:default/finance-reports',
          'catalog',
          'rewritten',
          ['sql/monthly_close.sql'],
        ],
        [
          'component:default/fraud-scoring',
          'catalog',
          'rewritten',
          ['src/main/scala/com/example/FraudScoring.scala'],
        ],
        [
          'component:default/orders-export',
          'catalog',
          'rewritten',
          ['export_orders.py'],
        ],
      ]);
      const patch = await store.getCurrentPatch(
        migration.id,
        'component:default/fraud-scoring',
      );
      expect(patch?.diff).toContain(
        '+         |SELECT id, cust, amount_usd AS amount, ts\n',
      );
      const events = await store.listEvents(migration.id, { limit: 50 });
      expect(events.at(-1)).toMatchObject({
        type: 'state-changed',
        message:
          'Analysis done: 3 consumers, 3 patches, 0 of them needing a person',
        data: { from: 'analyzing', to: 'proposed' },
      });
      // Nothing left to do.
      await expect(store.listDueAnalyses(new Date(), 10)).resolves.toEqual([]);
    });

    it('analyses every other consumer when one has an unknown dialect: an error patch for a declared one, a skipped event for an undeclared one', async () => {
      const klingon = (entity: Entity): Entity => ({
        ...entity,
        metadata: {
          ...entity.metadata,
          annotations: {
            ...entity.metadata.annotations,
            'ripple.io/dialect': 'klingon',
          },
        },
      });
      const { store, agent, migration } = await setup({
        candidates: dir => [
          {
            entity: klingon(component(dir, 'finance-reports')),
            declared: true,
          },
          { entity: component(dir, 'orders-export'), declared: true },
          { entity: klingon(component(dir, 'fraud-scoring')), declared: false },
        ],
      });

      await agent.runOnce();

      // Done in one run, not failed and retried forever.
      const done = await store.getMigration(migration.id);
      expect(done).toMatchObject({ state: 'proposed' });
      expect(done?.analysis).toBeUndefined();
      const { items } = await store.listConsumers(migration.id, {
        limit: 10,
        offset: 0,
      });
      expect(items.map(c => [c.consumerRef, c.patch?.status])).toEqual([
        ['component:default/finance-reports', 'error'],
        ['component:default/orders-export', 'rewritten'],
      ]);
      const patch = await store.getCurrentPatch(
        migration.id,
        'component:default/finance-reports',
      );
      expect(patch?.reasons[0].message).toMatch(
        /^component:default\/finance-reports: annotation ripple\.io\/dialect: .*klingon/,
      );
      expect(patch?.reasons[0]).toMatchObject({
        kind: 'unusable_annotation',
        severity: 'error',
      });
      const events = await store.listEvents(migration.id, { limit: 100 });
      expect(events.find(e => e.type === 'consumer-skipped')).toMatchObject({
        consumerRef: 'component:default/fraud-scoring',
        message: expect.stringMatching(
          /^Skipped component:default\/fraud-scoring while looking for readers of resource:default\/orders: component:default\/fraud-scoring: annotation ripple\.io\/dialect: /,
        ),
      });
    });

    it('finds consumers whose code reads the dataset though they declare nothing', async () => {
      const { store, agent, migration } = await setup({
        candidates: dir => [
          { entity: component(dir, 'orders-export'), declared: true },
          // Reads proj.ds.orders without saying so.
          { entity: component(dir, 'fraud-scoring'), declared: false },
          // Reads it through dbt's source('shop', 'orders'), which its
          // sources.yml maps to proj.ds.orders.
          { entity: component(dir, 'jaffle-dbt'), declared: false },
        ],
      });

      await agent.runOnce();

      const { items } = await store.listConsumers(migration.id, {
        limit: 10,
        offset: 0,
      });
      expect(items.map(c => [c.consumerRef, c.discoveredBy])).toEqual([
        ['component:default/fraud-scoring', 'code'],
        ['component:default/jaffle-dbt', 'code'],
        ['component:default/orders-export', 'catalog'],
      ]);
    });

    it('records a declared consumer without code, with no patch', async () => {
      const { store, agent, migration } = await setup({
        candidates: dir => [
          { entity: component(dir, 'orders-export'), declared: true },
          {
            entity: {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Resource',
              metadata: { name: 'daily-revenue', namespace: 'default' },
              spec: {},
            },
            declared: true,
          },
        ],
      });

      await agent.runOnce();

      const consumer = await store.getConsumer(
        migration.id,
        'resource:default/daily-revenue',
      );
      expect(consumer).toMatchObject({ discoveredBy: 'catalog' });
      expect(consumer?.patch).toBeUndefined();
      await expect(store.getMigration(migration.id)).resolves.toMatchObject({
        state: 'proposed',
      });
    });

    it('retries a failed analysis with backoff, and loses nothing across a restart', async () => {
      let now = new Date('2026-11-21T10:00:00.000Z');
      let failing = true;
      const { store, dir, migration, makeAgent } = await setup({
        now: () => now,
      });
      // The first agent cannot read fraud-scoring (its second consumer), as if
      // the backend went down in the middle of the analysis.
      const real = sourcesFor(dir);
      const flaky: ConsumerSources = {
        read: async entity => {
          if (failing && entity.metadata.name === 'fraud-scoring') {
            throw new Error('connection reset');
          }
          return real.read(entity);
        },
      };
      await makeAgent(flaky).runOnce();

      const failed = await store.getMigration(migration.id);
      expect(failed).toMatchObject({
        state: 'analyzing',
        analysis: {
          attempts: 1,
          error:
            'Could not read the code of component:default/fraud-scoring: connection reset',
          retryAt: '2026-11-21T10:00:30.000Z',
        },
      });
      // What was done before the failure stays done.
      await expect(
        store.getConsumer(migration.id, 'component:default/finance-reports'),
      ).resolves.toMatchObject({ patch: { version: 1 } });

      // Not retried before its time; the backoff doubles.
      now = new Date('2026-11-21T10:00:10.000Z');
      await makeAgent(flaky).runOnce();
      expect((await store.getMigration(migration.id))?.analysis?.attempts).toBe(
        1,
      );
      now = new Date('2026-11-21T10:00:30.000Z');
      await makeAgent(flaky).runOnce();
      expect((await store.getMigration(migration.id))?.analysis).toMatchObject({
        attempts: 2,
        retryAt: '2026-11-21T10:01:30.000Z',
      });

      // A new agent (a restarted backend) finishes the analysis; the patches
      // recorded before are kept, not duplicated.
      failing = false;
      now = new Date('2026-11-21T10:01:30.000Z');
      await makeAgent(flaky).runOnce();
      const done = await store.getMigration(migration.id);
      expect(done?.state).toBe('proposed');
      expect(done?.analysis).toBeUndefined();
      const { items } = await store.listConsumers(migration.id, {
        limit: 10,
        offset: 0,
      });
      expect(items.map(c => c.patch?.version)).toEqual([1, 1, 1]);
      const events = await store.listEvents(migration.id, { limit: 50 });
      expect(events.filter(e => e.type === 'analysis-failed')).toHaveLength(2);
      expect(events.filter(e => e.type === 'patch-proposed')).toHaveLength(3);
    });

    it('does not retry a migration cancelled while its analysis failed', async () => {
      const { store, migration, makeAgent } = await setup();
      const cancelling: ConsumerSources = {
        read: async () => {
          await store.transition({
            migrationId: migration.id,
            to: 'cancelled',
          });
          throw new Error('gone');
        },
      };
      await makeAgent(cancelling).runOnce();
      const cancelled = await store.getMigration(migration.id);
      expect(cancelled).toMatchObject({ state: 'cancelled' });
      expect(cancelled?.analysis).toBeUndefined();
    });

    it('marks a patch stale when its code changes, and proposes a new version', async () => {
      const onProposed = jest.fn();
      const { store, dir, agent, migration } = await setup({ onProposed });
      await agent.runOnce();
      // Once per run that recorded patches: the validation task is woken.
      expect(onProposed).toHaveBeenCalledTimes(1);
      const before = await store.getCurrentPatch(
        migration.id,
        'component:default/orders-export',
      );
      await store.recordReview({
        migrationId: migration.id,
        consumerRef: 'component:default/orders-export',
        patchId: before!.id,
        decision: 'approve',
        reviewer: 'user:default/guest',
      });

      // Unchanged code: nothing happens.
      await agent.refreshPatches();
      expect(onProposed).toHaveBeenCalledTimes(1);
      await expect(
        store.getCurrentPatch(migration.id, 'component:default/orders-export'),
      ).resolves.toEqual(before);

      const file = path.join(dir, 'orders-export/export_orders.py');
      fs.writeFileSync(
        file,
        fs
          .readFileSync(file, 'utf8')
          .replace('  c.email\n', '  c.email,\n  o.amount * 100 AS cents\n'),
      );
      await agent.refreshPatches();
      expect(onProposed).toHaveBeenCalledTimes(2);

      const after = await store.getCurrentPatch(
        migration.id,
        'component:default/orders-export',
      );
      expect(after).toMatchObject({
        version: 2,
        stale: false,
        // The version of the engine that made it.
        engineVersion: engine.version(),
      });
      expect(after?.baseHash).not.toBe(before?.baseHash);
      expect(after?.diff).toContain('+  o.amount_usd * 100 AS cents\n');
      // The approval was of the old code: the new version waits for a review.
      const consumer = await store.getConsumer(
        migration.id,
        'component:default/orders-export',
      );
      expect(consumer?.decision).toBeUndefined();
      expect(consumer?.impact?.files[0].references).toBe(3);
      const events = await store.listEvents(migration.id, { limit: 50 });
      expect(
        events.filter(e => e.type === 'patch-stale').map(e => e.data),
      ).toEqual([{ patchId: before!.id, reason: 'code' }]);
    });

    it('proposes the patch of a consumer recorded without one (a crash between the two writes) at the next refresh', async () => {
      const { store, agent, migration } = await setup();
      // What a refresh that found a new consumer leaves when the backend
      // dies between recording the consumer and its patch (the crash test
      // found it: the consumer then never got a patch).
      await store.transition({ migrationId: migration.id, to: 'proposed' });
      await store.putConsumer({
        migrationId: migration.id,
        consumerRef: 'component:default/orders-export',
        discoveredBy: 'catalog',
      });

      await agent.refreshPatches();

      const patch = await store.getCurrentPatch(
        migration.id,
        'component:default/orders-export',
      );
      expect(patch).toMatchObject({ version: 1, status: 'rewritten' });
      expect(patch?.diff).toContain('amount_usd');
      const events = await store.listEvents(migration.id, { limit: 50 });
      const of = (type: string) =>
        events.filter(
          e =>
            e.type === type &&
            e.consumerRef === 'component:default/orders-export',
        );
      expect(of('consumer-added')).toHaveLength(1);
      expect(of('patch-proposed').map(e => e.data)).toEqual([
        { patchId: patch!.id, version: 1, status: 'rewritten' },
      ]);

      // Proposed once: the next refresh finds it unchanged.
      await agent.refreshPatches();
      await expect(
        store.getCurrentPatch(migration.id, 'component:default/orders-export'),
      ).resolves.toEqual(patch);
    });

    it('removes a consumer whose code stops reading the dataset, on a refresh and on a re-analysis, and takes it back when it reads it again', async () => {
      const { store, dir, agent, migration } = await setup({
        candidates: d => [
          { entity: component(d, 'orders-export'), declared: true },
          { entity: component(d, 'fraud-scoring'), declared: false },
        ],
      });
      await agent.runOnce();
      const fraud = 'component:default/fraud-scoring';
      const refs = async () =>
        (
          await store.listConsumers(migration.id, { limit: 10, offset: 0 })
        ).items.map(c => c.consumerRef);
      expect(await refs()).toEqual([fraud, 'component:default/orders-export']);
      expect(
        (await store.catalogSummary()).find(e => e.entityRef === fraud)
          ?.readsDatasets,
      ).toEqual(['resource:default/orders']);

      const file = path.join(
        dir,
        'fraud-scoring/src/main/scala/com/example/FraudScoring.scala',
      );
      const original = fs.readFileSync(file, 'utf8');
      const elsewhere = original.replace('proj.ds.orders', 'proj.ds.refunds');
      fs.writeFileSync(file, elsewhere);
      await agent.refreshPatches();
      expect(await refs()).toEqual(['component:default/orders-export']);
      await expect(
        store.getConsumer(migration.id, fraud),
      ).resolves.toBeUndefined();
      const removed = (
        await store.listEvents(migration.id, { limit: 100 })
      ).filter(e => e.type === 'consumer-removed');
      expect(removed).toEqual([
        expect.objectContaining({
          consumerRef: fraud,
          message: `${fraud} is no longer a consumer: its code no longer reads the dataset`,
        }),
      ]);
      // The lineage the catalog module shows goes with it.
      expect(
        (await store.catalogSummary()).find(e => e.entityRef === fraud),
      ).toBeUndefined();

      // Reading it again: a re-analysis takes it back.
      fs.writeFileSync(file, original);
      await store.transition({ migrationId: migration.id, to: 'analyzing' });
      await agent.runOnce();
      expect(await refs()).toEqual([fraud, 'component:default/orders-export']);
      const events = await store.listEvents(migration.id, { limit: 100 });
      expect(
        events.filter(e => e.type === 'consumer-added').at(-1),
      ).toMatchObject({
        consumerRef: fraud,
        message: `${fraud} reads the dataset again`,
      });

      // A re-analysis that does not find it removes it too.
      fs.writeFileSync(file, elsewhere);
      await store.transition({ migrationId: migration.id, to: 'analyzing' });
      await agent.runOnce();
      expect(await refs()).toEqual(['component:default/orders-export']);
      expect(
        (await store.listEvents(migration.id, { limit: 100 }))
          .filter(e => e.type === 'consumer-removed')
          .at(-1)?.message,
      ).toBe(
        `${fraud} is no longer a consumer: the analysis no longer finds it reading the dataset`,
      );
    });

    it('reads unchanged code once: later reads are answered "not modified" through the etag', async () => {
      const dir = copyExamples();
      const reader = localUrlReader(dir);
      const answers: string[] = [];
      const counting = Object.assign(Object.create(reader), {
        readTree: async (
          url: string,
          options?: Parameters<typeof reader.readTree>[1],
        ) => {
          try {
            const tree = await reader.readTree(url, options);
            answers.push('read');
            return tree;
          } catch (error) {
            answers.push((error as Error).name);
            throw error;
          }
        },
      });
      const sources = new UrlReaderConsumerSources(counting);
      const entity = component(dir, 'jaffle-dbt');
      const first = await sources.read(entity);
      const second = await sources.read(entity);
      expect(second).toEqual(first);
      expect(first?.dbtSources).toEqual([
        { name: 'shop.orders', table: 'proj.ds.orders' },
        { name: 'shop.customers', table: 'proj.ds.customers' },
      ]);
      fs.appendFileSync(
        path.join(dir, 'jaffle-dbt/models/stg_orders.sql'),
        '\n-- changed\n',
      );
      const third = await sources.read(entity);
      expect(third?.files[1].text).toContain('-- changed');
      expect(answers).toEqual(['read', 'NotModifiedError', 'read']);
    });
  },
);
