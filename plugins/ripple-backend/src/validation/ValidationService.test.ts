import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import type {
  RippleWarehouse,
  WarehouseResult,
} from '@ripple/backstage-plugin-ripple-node';
import { loadEngine, type RippleEngine } from '@ripple/engine';
import type { ConsumerCode } from '../agent/ConsumerSources';
import { proposePatch } from '../agent/proposePatch';
import { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';
import { DatabaseValidationStore } from '../database/DatabaseValidationStore';
import { applyDatabaseMigrations } from '../database/schema';
import { ValidationService } from './ValidationService';

jest.setTimeout(60_000);

// The background run: the cap per warehouse, and what is not validated.
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const change = {
  dataset: 'shop.orders',
  dialect: 'duckdb',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
} as const;

function datasetEntity(name: string, warehouse?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name,
      annotations: warehouse ? { 'ripple.io/warehouse': warehouse } : {},
    },
    spec: { type: 'dataset' },
  };
}

/** A warehouse that answers every query with the same row, slowly, counting how many run at once. */
function slowWarehouse(id: string) {
  const counts = { running: 0, most: 0, queries: 0 };
  const warehouse: RippleWarehouse = {
    id,
    dialect: 'duckdb',
    scratchSchema: 'ripple_scratch',
    relation: table => table,
    async query(): Promise<WarehouseResult> {
      counts.running += 1;
      counts.queries += 1;
      counts.most = Math.max(counts.most, counts.running);
      await new Promise(r => setTimeout(r, 30));
      counts.running -= 1;
      return {
        columns: [{ name: 'total', type: 'INTEGER' }],
        rows: [[1]],
        truncated: false,
        durationMs: 30,
      };
    },
    async createView() {},
    async dropView() {},
    async close() {},
  };
  return { warehouse, counts };
}

describe('ValidationService', () => {
  let engine: RippleEngine;
  beforeAll(async () => {
    engine = await loadEngine();
  });

  async function setUp(datasets: Record<string, Entity>) {
    const knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    const store = new DatabaseMigrationStore(knex);
    const validations = new DatabaseValidationStore(knex);
    const code = new Map<string, ConsumerCode>();
    const a = slowWarehouse('a');
    const failing: Record<string, Promise<RippleWarehouse>> = {};
    const onRecorded = jest.fn(async () => {});
    const service = new ValidationService({
      validations,
      store,
      engine,
      finder: {
        get: async ref =>
          datasets[ref] ??
          (code.has(ref)
            ? { ...datasetEntity(ref.split('/')[1]), kind: 'Component' }
            : undefined),
      },
      sources: {
        read: async entity =>
          code.get(`component:default/${entity.metadata.name}`),
      },
      datasets: {
        read: async () =>
          ({
            ref: '',
            table: 'shop.orders',
            columns: [{ name: 'id' }, { name: 'amount' }],
          } as never),
      },
      warehouses: {
        ids: () => ['a', 'down'],
        get: id => (id === 'a' ? Promise.resolve(a.warehouse) : failing[id]),
      },
      limits: {
        concurrencyPerWarehouse: 2,
        timeoutMs: 1000,
        maxRows: 100,
        claimTimeoutMs: 60_000,
        batch: 100,
      },
      logger: mockServices.logger.mock(),
      onRecorded,
    });
    failing.down = Promise.reject(
      new Error('unreachable: warehouse down: connection refused'),
    );
    failing.down.catch(() => {});

    /** A migration of `datasetRef` with `n` consumers, each with the engine's patch. */
    async function migration(datasetRef: string, n: number) {
      const created = await store.createMigration({
        datasetRef,
        change: change as never,
        title: 'Rename amount',
        owner: 'group:default/data-platform',
        createdBy: 'user:default/guest',
      });
      await store.transition({ migrationId: created.id, to: 'analyzing' });
      for (let i = 0; i < n; i++) {
        const consumerRef = `component:default/${
          datasetRef.split('/')[1]
        }-${i}`;
        const consumer: ConsumerCode = {
          location: `file:///${consumerRef}`,
          files: [
            {
              path: 'q.sql',
              text: `SELECT sum(amount) AS total FROM shop.orders WHERE id > ${i};\n`,
            },
          ],
        };
        code.set(consumerRef, consumer);
        const proposal = proposePatch(engine, change as never, consumer);
        await store.putConsumer({
          migrationId: created.id,
          consumerRef,
          discoveredBy: 'catalog',
        });
        await store.recordPatch({
          migrationId: created.id,
          consumerRef,
          ...proposal,
        });
      }
      return created.id;
    }
    return {
      service,
      validations,
      migration,
      counts: a.counts,
      code,
      store,
      onRecorded,
    };
  }

  it('runs at most the cap of validations at once on one warehouse, and validates each patch', async () => {
    const { service, validations, migration, counts, onRecorded } = await setUp(
      {
        'resource:default/shop': datasetEntity('shop', 'a'),
      },
    );
    const id = await migration('resource:default/shop', 6);
    await service.runOnce();
    const latest = await validations.latest(
      id,
      Array.from({ length: 6 }, (_, i) => `component:default/shop-${i}`),
    );
    expect([...latest.values()].map(v => v.status)).toEqual(
      Array(6).fill('passed'),
    );
    // Two queries per validation, two validations at a time.
    expect(counts.queries).toBe(12);
    expect(counts.most).toBe(2);
    // Each validation recorded is told (the plugin runs the rollout's
    // step then: a plan that requires validation moves on at once).
    expect(onRecorded).toHaveBeenCalledTimes(6);
    expect(new Set(onRecorded.mock.calls.map(([v]: any[]) => v.id))).toEqual(
      new Set([...latest.values()].map(v => v.id)),
    );
    // Nothing is left to do.
    await service.runOnce();
    expect(counts.queries).toBe(12);
  });

  it('leaves a dataset without ripple.io/warehouse unvalidated, and skips code changed since its patch', async () => {
    const { service, validations, migration, counts, code, store } =
      await setUp({
        'resource:default/plain': datasetEntity('plain'),
        'resource:default/shop': datasetEntity('shop', 'a'),
      });
    const plain = await migration('resource:default/plain', 1);
    const shop = await migration('resource:default/shop', 1);
    code.get('component:default/shop-0')!.files[0].text = 'SELECT 1;\n';
    await service.runOnce();
    expect(
      (await validations.latest(plain, ['component:default/plain-0'])).size,
    ).toBe(0);
    expect(
      (await validations.latest(shop, ['component:default/shop-0'])).size,
    ).toBe(0);
    expect(counts.queries).toBe(0);
    // Asking for it is refused, saying why.
    await expect(
      service.request(
        (await store.getMigration(plain))!,
        'component:default/plain-0',
        'user:default/guest',
      ),
    ).rejects.toThrow(
      'resource:default/plain names no warehouse (annotation ripple.io/warehouse): its consumers are not validated',
    );
  });

  it('records an unreachable warehouse as an error naming the cause', async () => {
    const { service, validations, migration } = await setUp({
      'resource:default/down': datasetEntity('down', 'down'),
    });
    const id = await migration('resource:default/down', 1);
    await service.runOnce();
    const validation = (
      await validations.latest(id, ['component:default/down-0'])
    ).get('component:default/down-0');
    expect(validation).toMatchObject({
      status: 'error',
      warehouse: 'down',
      reason: 'unreachable: warehouse down: connection refused',
    });
  });
});
