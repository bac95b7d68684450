import type { UrlReaderService } from '@backstage/backend-plugin-api';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { loadEngine, type RippleEngine } from '@ripple/engine';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyDatabaseMigrations } from '../database/DatabaseMigrationStore';
import { DatabaseConsumerIndexStore } from '../database/DatabaseConsumerIndexStore';
import { localUrlReader } from '../__testUtils__/localUrlReader';
import { ConsumerIndex } from './ConsumerIndex';
import { ANY_TABLE, summarizeCode, tableKeys } from './codeSummary';
import { IndexConsumerFinder } from './indexedConsumers';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

/** Consumer repositories on disk, one folder each. */
function repositories(files: Record<string, Record<string, string>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ripple-index-'));
  for (const [name, tree] of Object.entries(files)) {
    for (const [file, text] of Object.entries(tree)) {
      fs.mkdirSync(path.dirname(path.join(dir, name, file)), {
        recursive: true,
      });
      fs.writeFileSync(path.join(dir, name, file), text);
    }
  }
  return dir;
}

function component(dir: string, name: string, etag = '1'): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      etag,
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

/** The real reader, counting what it is asked and what it answers. */
function countingReader(dir: string) {
  const reader = localUrlReader(dir);
  const calls: { url: string; etag?: string; answer: string }[] = [];
  const counting: UrlReaderService = Object.assign(Object.create(reader), {
    readTree: async (
      url: string,
      options?: Parameters<UrlReaderService['readTree']>[1],
    ) => {
      try {
        const tree = await reader.readTree(url, options);
        calls.push({ url, etag: options?.etag, answer: 'read' });
        return tree;
      } catch (error) {
        calls.push({ url, etag: options?.etag, answer: (error as Error).name });
        throw error;
      }
    },
  });
  return { reader: counting, calls };
}

const repos = {
  'orders-report': {
    'report.sql': 'SELECT id, amount FROM `proj.ds.orders` WHERE status = 1\n',
  },
  'customers-job': {
    'job.py':
      'QUERY = """\nSELECT c.id, c.name FROM proj.ds.customers AS c\n"""\n',
  },
  'orders-dbt': {
    'dbt_project.yml': "name: shop\nversion: '1.0.0'\n",
    'models/sources.yml':
      'version: 2\nsources:\n  - name: shop\n    database: proj\n    schema: ds\n    tables:\n      - name: raw_orders\n        identifier: orders\n',
    'models/stg.sql': "select id from {{ source('shop', 'raw_orders') }}\n",
  },
  'writer-only': {
    'load.sql': 'INSERT INTO proj.ds.orders_archive (id) VALUES (1);\n',
  },
};

describe.each(databases.eachSupportedId())(
  'ConsumerIndex on %s',
  databaseId => {
    let engine: RippleEngine;
    beforeAll(async () => {
      engine = await loadEngine();
    });

    async function setup(entities: Entity[], dir: string) {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const { reader, calls } = countingReader(dir);
      const catalog = catalogServiceMock({ entities });
      const store = new DatabaseConsumerIndexStore(knex);
      // (The in-memory catalog cannot add entities: a changed catalog is a
      // new one, on the same index database.)
      const make = (
        options: {
          engine?: Pick<RippleEngine, 'version' | 'analyze' | 'tables'>;
          entities?: Entity[];
          wakeScan?: () => void;
        } = {},
      ) =>
        new ConsumerIndex({
          store,
          catalog: options.entities
            ? catalogServiceMock({ entities: options.entities })
            : catalog,
          auth: mockServices.auth(),
          urlReader: reader,
          engine: options.engine ?? engine,
          logger: mockServices.logger.mock(),
          refreshMs: 5 * 60_000,
          leaseMs: 60_000,
          concurrency: 4,
          batch: 2,
          wakeScan: options.wakeScan,
        });
      return { knex, store, calls, catalog, make };
    }

    it('indexes the catalog once, then asks each location one conditional question per refresh', async () => {
      const dir = repositories(repos);
      const entities = Object.keys(repos).map(name => component(dir, name));
      const { calls, make } = await setup(entities, dir);
      const index = make();
      expect(await index.ready()).toBe(false);

      await index.refresh();
      expect(await index.ready()).toBe(true);
      expect(calls).toHaveLength(4);
      expect(calls.every(c => c.answer === 'read' && !c.etag)).toBe(true);
      expect(await index.readers('proj.ds.orders')).toEqual([
        'component:default/orders-dbt',
        'component:default/orders-report',
      ]);
      expect(await index.readers('other.schema.customers')).toEqual([
        'component:default/customers-job',
      ]);
      // A table only written is not read.
      expect(await index.readers('proj.ds.orders_archive')).toEqual([]);
      expect(await index.status()).toMatchObject({
        entities: 4,
        indexed: 4,
        failing: 0,
        otherEngine: 0,
      });

      // Nothing changed: one conditional request per location, answered
      // "not modified".
      calls.length = 0;
      const refresh = await index.refresh();
      expect(calls).toHaveLength(4);
      expect(calls.every(c => c.etag && c.answer === 'NotModifiedError')).toBe(
        true,
      );
      expect(refresh?.work).toEqual({
        read: 0,
        unchanged: 4,
        resummarised: 0,
        failed: 0,
        // (file: locations: each checked alone.)
        requests: 4,
      });
      // Between refreshes nothing is due: no request at all.
      calls.length = 0;
      await index.work();
      expect(calls).toEqual([]);
    });

    it('answers an analysis only from a scan that started after it was asked for', async () => {
      const dir = repositories(repos);
      const entities = Object.keys(repos).map(name => component(dir, name));
      const { make } = await setup(entities, dir);
      // The first scan at startup, of a catalog still ingesting: ready, and
      // empty.
      await make({ entities: [] }).refresh();
      expect(await make().ready()).toBe(true);
      const asked = new Date();
      let wakes = 0;
      const index = make({ wakeScan: () => (wakes += 1) });
      // An analysis asked for since must not run on that scan: it would
      // miss every reader the catalog held by then.
      expect(await index.readyFor(asked)).toBe(false);
      expect(wakes).toBe(1);
      // A scan after it sees the catalog as it is.
      await index.refresh();
      expect(await index.readyFor(asked)).toBe(true);
      expect(wakes).toBe(1);
      expect(await index.readers('proj.ds.orders')).toEqual([
        'component:default/orders-dbt',
        'component:default/orders-report',
      ]);
      // An analysis asked for later waits for the next scan again.
      expect(await index.readyFor(new Date(Date.now() + 1000))).toBe(false);
      expect(wakes).toBe(2);
    });

    it('follows code that changes, entities that come and go, and a new engine version', async () => {
      const dir = repositories(repos);
      const entities = Object.keys(repos).map(name => component(dir, name));
      const { calls, make, knex } = await setup(entities, dir);
      await make().refresh();

      // The report stops reading orders; a new entity starts.
      fs.writeFileSync(
        path.join(dir, 'orders-report/report.sql'),
        'SELECT id FROM proj.ds.customers\n',
      );
      fs.mkdirSync(path.join(dir, 'new-job'));
      fs.writeFileSync(
        path.join(dir, 'new-job/run.sql'),
        'SELECT amount FROM ds.orders\n',
      );
      const grown = [...entities, component(dir, 'new-job')];
      calls.length = 0;
      const refresh = await make({ entities: grown }).refresh();
      expect(refresh?.scan).toMatchObject({
        entities: 5,
        added: 1,
        removed: 0,
      });
      expect(refresh?.work).toMatchObject({ read: 2, unchanged: 3 });
      expect(await make().readers('proj.ds.orders')).toEqual([
        'component:default/new-job',
        'component:default/orders-dbt',
      ]);
      const entry = await new DatabaseConsumerIndexStore(knex).entry(
        'component:default/new-job',
      );
      expect(entry?.summary?.reads).toEqual({ 'ds.orders': ['amount'] });

      // An entity leaves the catalog: its rows go.
      const shrunk = grown.filter(e => e.metadata.name !== 'orders-dbt');
      const removed = await make({ entities: shrunk }).refresh();
      expect(removed?.scan.removed).toBe(1);
      expect(await make().readers('proj.ds.orders')).toEqual([
        'component:default/new-job',
      ]);
      expect(
        Number((await knex('consumer_index_read').count({ n: '*' }))[0].n),
      ).toBe(3);

      // A new engine version: each location is summarised again from the
      // stored code without asking the SCM, and reads answer meanwhile.
      const next = make({
        entities: shrunk,
        engine: { ...engine, version: () => `${engine.version()}-next` },
      });
      expect(await next.status()).toMatchObject({ otherEngine: 4 });
      expect(await next.ready()).toBe(true);
      calls.length = 0;
      expect(await next.work()).toMatchObject({ resummarised: 4, read: 0 });
      expect(calls).toEqual([]);
      expect(await next.status()).toMatchObject({ otherEngine: 0, indexed: 4 });
      expect(await next.readers('proj.ds.orders')).toEqual([
        'component:default/new-job',
      ]);
    });

    it('shares the work between two replicas, each location read once, and takes over a dead replica’s claims after the lease', async () => {
      const names = Array.from({ length: 24 }, (_, i) => `job-${i}`);
      const dir = repositories(
        Object.fromEntries(
          names.map(n => [n, { 'q.sql': `SELECT a FROM t_${n.slice(4)}\n` }]),
        ),
      );
      const entities = names.map(n => component(dir, n));
      const { calls, make, store } = await setup(entities, dir);
      const [one, two] = [make(), make()];
      await one.scan();
      const [a, b] = await Promise.all([one.work(), two.work()]);
      expect(a.read + b.read).toBe(24);
      expect(a.read).toBeGreaterThan(0);
      expect(b.read).toBeGreaterThan(0);
      expect(new Set(calls.map(c => c.url)).size).toBe(24);
      expect(calls).toHaveLength(24);

      // A replica claims and dies: nobody else takes its entities until the
      // lease runs out; then another does, and the dead one's late write is
      // refused.
      const now = new Date();
      const dead = await store.claim({
        token: 'dead',
        limit: 3,
        now,
        leaseMs: 60_000,
        checkedBefore: new Date(now.getTime() + 1000),
        engineVersion: engine.version(),
      });
      expect(dead).toHaveLength(3);
      const others = await store.claim({
        token: 'other',
        limit: 100,
        now,
        leaseMs: 10 * 60_000,
        checkedBefore: new Date(now.getTime() + 1000),
        engineVersion: engine.version(),
      });
      expect(others.map(e => e.entityRef)).not.toContain(dead[0].entityRef);
      const later = new Date(now.getTime() + 61_000);
      const taken = await store.claim({
        token: 'heir',
        limit: 100,
        now: later,
        leaseMs: 60_000,
        checkedBefore: new Date(now.getTime() + 1000),
        engineVersion: engine.version(),
      });
      expect(taken.map(e => e.entityRef)).toEqual(dead.map(e => e.entityRef));
      expect(
        await store.recordUnchanged([dead[0].entityRef], 'dead', later),
      ).toBe(0);
      expect(
        await store.recordUnchanged(
          dead.map(e => e.entityRef),
          'heir',
          later,
        ),
      ).toBe(3);
    });

    it('resumes a pass where its last claim ended, and claims from the start again once past the end', async () => {
      const names = ['a', 'b', 'c', 'd', 'e'].map(n => `job-${n}`);
      const dir = repositories(
        Object.fromEntries(names.map(n => [n, { 'q.sql': 'SELECT 1\n' }])),
      );
      const { make, store } = await setup(
        names.map(n => component(dir, n)),
        dir,
      );
      await make().scan();
      const now = new Date();
      const claim = (
        token: string,
        after?: { repository: string; entityRef: string },
        at = now,
      ) =>
        store
          .claim({
            token,
            limit: 2,
            now: at,
            leaseMs: 60_000,
            checkedBefore: now,
            engineVersion: engine.version(),
            ...(after ? { after } : {}),
          })
          .then(entries => entries.map(e => e.entityRef));
      const ref = (n: string) => `component:default/${n}`;
      expect(await claim('first')).toEqual([ref('job-a'), ref('job-b')]);
      // (The first claim's rows are still due: only the position skips them.)
      const position = { repository: '', entityRef: ref('job-b') };
      expect(await claim('second', position)).toEqual([
        ref('job-c'),
        ref('job-d'),
      ]);
      expect(
        await claim('third', { repository: '', entityRef: ref('job-e') }),
      ).toEqual([]);
      // From the start: the first claim's rows once its lease ran out.
      expect(
        await claim('fourth', undefined, new Date(now.getTime() + 61_000)),
      ).toEqual([ref('job-a'), ref('job-b')]);
    });

    it('finds a dataset’s candidates in the index, declared ones from the catalog, and never reads code for it', async () => {
      const dir = repositories(repos);
      const declaring = {
        ...component(dir, 'customers-job'),
        relations: [
          { type: 'dependsOn', targetRef: 'resource:default/orders' },
        ],
      };
      const entities = [
        declaring,
        ...['orders-report', 'orders-dbt', 'writer-only'].map(n =>
          component(dir, n),
        ),
      ];
      const { calls, make, catalog } = await setup(entities, dir);
      const index = make();
      await index.refresh();
      calls.length = 0;
      const finder = new IndexConsumerFinder({
        index,
        catalog,
        auth: mockServices.auth(),
        searchCode: true,
      });
      const candidates = await finder.candidates(
        'resource:default/orders',
        'proj.ds.orders',
      );
      expect(candidates.map(c => [c.entity.metadata.name, c.declared])).toEqual(
        [
          ['customers-job', true],
          ['orders-dbt', false],
          ['orders-report', false],
        ],
      );
      expect(calls).toEqual([]);
      // Requests never read: an entity the index does not hold is a 503.
      await expect(
        index.code(component(dir, 'not-scanned'), { readThrough: false }),
      ).rejects.toMatchObject({ name: 'ServiceUnavailableError' });
      expect(calls).toEqual([]);
    });
  },
);

describe('the summary of code', () => {
  it('lists a location under every table it reads, its dbt sources’ tables, and any table when the engine failed on a file', async () => {
    const engine = await loadEngine();
    const code = {
      location: 'file:///x/',
      files: [{ path: 'a.sql', text: 'SELECT x FROM "Shop"."Orders" o' }],
      dbtSources: [{ name: 'shop.raw', table: 'proj.ds.raw_orders' }],
    };
    const summary = summarizeCode(engine, code);
    expect(tableKeys(summary, code)).toEqual(['orders', 'raw_orders']);
    expect(tableKeys({ ...summary, failed: ['b.sql'] }, code)).toContain(
      ANY_TABLE,
    );
  });
});
