import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { Entity } from '@backstage/catalog-model';
import { loadEngine, type ChangeSpec } from '@ripple/engine';
import os from 'node:os';
import { localUrlReader } from '../__testUtils__/localUrlReader';
import { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';
import { DatabaseRolloutStore } from '../database/DatabaseRolloutStore';
import { DatabaseStepStore } from '../database/DatabaseStepStore';
import { DatasetReader } from '../dataset/DatasetReader';
import { STEP_NAMES } from '../steps/stepPlan';
import { CompatViews } from './CompatViews';

// Issue 20: a migration whose step plan's switch is done has its
// compatibility view in place (the switch made it under the dataset's
// name), so the rollout's gate lets it start without a person marking the
// view applied.

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
const actor = 'user:default/guest';
const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'orders',
    annotations: {
      'ripple.io/table': 'shop.orders',
      'ripple.io/dialect': 'duckdb',
      'ripple.io/schema':
        '[{name: id, type: INTEGER}, {name: amount, type: INTEGER}]',
    },
  },
  spec: { type: 'dataset', owner: 'group:default/data-platform' },
};

it.each(databases.eachSupportedId())(
  'counts a done switch as the applied compatibility view on %s',
  async databaseId => {
    const knex = await databases.init(databaseId);
    const store = await DatabaseMigrationStore.create({
      database: { getClient: async () => knex },
    });
    const engine = await loadEngine();
    // A table move: its view is required before the rollout starts.
    const move = {
      dataset: 'shop.orders',
      dialect: 'duckdb',
      changes: [{ kind: 'rename_table', to: 'shop.orders_v2' }],
    };
    const migration = await store.createMigration({
      datasetRef: 'resource:default/orders',
      change: move as never,
      title: 'Move orders',
      owner: 'group:default/data-platform',
      createdBy: actor,
    });
    const id = migration.id;
    const steps = new DatabaseStepStore(knex);
    const views = new CompatViews({
      engine,
      rollouts: new DatabaseRolloutStore(knex),
      config: new ConfigReader({}),
      logger: mockServices.logger.mock(),
      datasets: new DatasetReader(localUrlReader(os.tmpdir()), { engine }),
      entity: async () => entity,
      steps,
    });

    await expect(views.gate(migration, actor)).rejects.toThrow(
      /Apply the compatibility view/,
    );
    // The plan's own shape does not matter to the gate: its switch does.
    const rename = {
      dataset: 'shop.orders',
      changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
    } as unknown as ChangeSpec;
    await steps.createPlan({
      migrationId: id,
      plan: engine.stepPlan(rename, {
        dialect: 'duckdb',
        schema: {
          tables: {
            'shop.orders': {
              columns: [
                { name: 'id', type: 'INTEGER' },
                { name: 'amount', type: 'INTEGER' },
              ],
            },
          },
        } as never,
      }),
      warehouse: 'example',
      mode: 'hand-over',
      actor,
    });
    for (const name of STEP_NAMES.slice(0, 3)) {
      await steps.markDone({ migrationId: id, name, actor });
    }
    await expect(views.gate(migration, actor)).rejects.toThrow(
      /Apply the compatibility view/,
    );
    await steps.markDone({ migrationId: id, name: 'switch', actor });
    expect(await views.gate(migration, actor)).toEqual({
      record: { by: actor, how: "by the step plan's switch" },
    });
  },
);
