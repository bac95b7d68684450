import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { RippleDeliveryMethod } from '@ripple/backstage-plugin-ripple-node';
import { Knex } from 'knex';
import { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';
import { DatabaseRolloutStore } from '../database/DatabaseRolloutStore';
import { DatabaseValidationStore } from '../database/DatabaseValidationStore';
import { applyDatabaseMigrations } from '../database/schema';
import { withClaim } from './claims';
import { RolloutService } from './RolloutService';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const CONSUMER = 'component:default/jaffle-dbt';
const TIMEOUT_MS = 300;

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** A started rollout with one consumer; its key. */
async function startedRollout(knex: Knex) {
  const store = new DatabaseMigrationStore(knex);
  const migration = await store.createMigration({
    datasetRef: 'resource:default/orders',
    change: { dataset: 'orders', changes: [] },
    title: 'Claims',
    owner: 'group:default/data-platform',
    createdBy: 'user:default/guest',
  });
  const migrationId = migration.id;
  await store.transition({ migrationId, to: 'analyzing' });
  await store.putConsumer({
    migrationId,
    consumerRef: CONSUMER,
    discoveredBy: 'catalog',
  });
  await store.recordPatch({
    migrationId,
    consumerRef: CONSUMER,
    diff: '--- a/q.sql\n+++ b/q.sql\n',
    baseHash: 'sha256:q',
    status: 'rewritten',
    reasons: [],
  });
  await store.transition({ migrationId, to: 'proposed' });
  await new DatabaseRolloutStore(knex).start({
    migrationId,
    from: 'proposed',
    plan: {} as any,
    critical: false,
    waves: [{ name: 'all', consumers: [CONSUMER] }],
    actor: 'user:default/guest',
  });
  return { migrationId, consumerRef: CONSUMER };
}

/**
 * A started rollout with one consumer, and two runners (replicas) on its
 * database whose claims time out after {@link TIMEOUT_MS}.
 */
async function twoRunners(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  const key = await startedRollout(knex);
  const runner = () =>
    new DatabaseRolloutStore(knex, { claimTimeoutMs: TIMEOUT_MS });
  return { knex, key, first: runner(), second: runner() };
}

describe('claims on consumers', () => {
  it.each(databases.eachSupportedId())(
    'are renewed while held, so a slow delivery keeps its claim past the timeout (%s)',
    async databaseId => {
      const { key, first, second } = await twoRunners(databaseId);
      const taken: unknown[] = [];
      const result = await withClaim(first, key, async () => {
        // A delivery four claim timeouts long; the other runner tries all along.
        const until = Date.now() + 4 * TIMEOUT_MS;
        while (Date.now() < until) {
          taken.push(await second.claim(key.migrationId, key.consumerRef));
          await sleep(50);
        }
        return 'delivered';
      });
      expect(result).toEqual({ value: 'delivered' });
      expect(taken.length).toBeGreaterThan(10);
      expect(taken.filter(Boolean)).toEqual([]);
      // Released at the end: the other runner gets it at once.
      expect(await second.claim(key.migrationId, key.consumerRef)).toEqual(
        expect.any(String),
      );
    },
  );

  it.each(databases.eachSupportedId())(
    "lets another runner take a dead runner's claim once it times out (%s)",
    async databaseId => {
      const { key, first: dead, second: alive } = await twoRunners(databaseId);
      // Claimed, then neither renewed nor released: its runner died.
      const claim = await dead.claim(key.migrationId, key.consumerRef);
      expect(claim).toEqual(expect.any(String));
      expect(await alive.claim(key.migrationId, key.consumerRef)).toBe(
        undefined,
      );
      await sleep(TIMEOUT_MS + 100);
      const taken = await alive.claim(key.migrationId, key.consumerRef);
      expect(taken).toEqual(expect.any(String));
      // The dead runner's token no longer renews nor releases it.
      expect(
        await dead.renewClaim(key.migrationId, key.consumerRef, claim!),
      ).toBe(undefined);
      await dead.release(key.migrationId, key.consumerRef, claim!);
      expect(await dead.claim(key.migrationId, key.consumerRef)).toBe(
        undefined,
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'releases only its own claim, and releases it when the work throws (%s)',
    async databaseId => {
      const { knex, key, first } = await twoRunners(databaseId);
      const second = new DatabaseRolloutStore(knex);
      // The work's own write releases the claim; another runner claims the
      // consumer before the work ends: its claim is not released for it.
      await withClaim(first, key, async () => {
        await first.recordDelivery({
          ...key,
          delivery: { method: 'download', status: 'delivered' },
        });
        expect(await second.claim(key.migrationId, key.consumerRef)).toEqual(
          expect.any(String),
        );
      });
      expect(await second.claim(key.migrationId, key.consumerRef)).toBe(
        undefined,
      );
      await knex('rollout_consumer').update({ claimed_at: null });

      await expect(
        withClaim(first, key, async () => {
          throw new Error('the method failed');
        }),
      ).rejects.toThrow('the method failed');
      expect(await second.claim(key.migrationId, key.consumerRef)).toEqual(
        expect.any(String),
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'waits for a claim held elsewhere when asked to (%s)',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const key = await startedRollout(knex);
      const rollouts = new DatabaseRolloutStore(knex);
      const held = await rollouts.claim(key.migrationId, key.consumerRef);
      expect(await withClaim(rollouts, key, async () => 'x')).toBe(undefined);
      setTimeout(
        () => rollouts.release(key.migrationId, key.consumerRef, held!),
        300,
      );
      expect(
        await withClaim(rollouts, key, async () => 'x', { waitMs: 5_000 }),
      ).toEqual({ value: 'x' });
    },
  );

  it.each(databases.eachSupportedId())(
    "keeps a slow delivery's consumer from a second replica's step past the claim timeout (%s)",
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new DatabaseMigrationStore(knex);
      const entities: Entity[] = [
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Resource',
          metadata: { name: 'orders', namespace: 'default' },
          spec: { type: 'dataset' },
        },
        {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: {
            name: 'jaffle-dbt',
            namespace: 'default',
            annotations: { 'ripple.io/delivery': 'slow' },
          },
          spec: { lifecycle: 'production' },
        },
      ];
      const byRef = (ref: string) =>
        entities.find(
          e =>
            `${e.kind}:default/${e.metadata.name}`.toLocaleLowerCase(
              'en-US',
            ) === ref.toLocaleLowerCase('en-US'),
        );
      const catalog = {
        getEntityByRef: async (ref: string) => byRef(ref),
        getEntitiesByRefs: async ({
          entityRefs,
        }: {
          entityRefs: string[];
        }) => ({
          items: entityRefs.map(byRef),
        }),
      } as unknown as CatalogService;
      let deliveries = 0;
      // A delivery four claim timeouts long.
      const slow: RippleDeliveryMethod = {
        id: 'slow',
        supports: () => true,
        checkReady: async () => ({ ready: true }),
        deliver: async () => {
          deliveries++;
          await sleep(4 * TIMEOUT_MS);
          return { method: 'slow', status: 'delivered' };
        },
        sync: async (_request, delivery) => delivery,
        revert: async (_request, delivery) => ({
          ...delivery,
          status: 'reverted',
        }),
      };
      // Two replicas on one database.
      const replica = () =>
        new RolloutService({
          store,
          rollouts: new DatabaseRolloutStore(knex, {
            claimTimeoutMs: TIMEOUT_MS,
          }),
          validations: new DatabaseValidationStore(knex),
          catalog,
          auth: mockServices.auth(),
          config: new ConfigReader({}),
          logger: mockServices.rootLogger({ level: 'error' }),
          deliveryMethods: [slow],
          healthProviders: [],
        });
      const [first, second] = [replica(), replica()];
      const migration = await store.createMigration({
        datasetRef: 'resource:default/orders',
        change: { dataset: 'orders', changes: [] },
        title: 'Slow delivery',
        owner: 'group:default/data',
        createdBy: 'user:default/operator',
      });
      await store.transition({ migrationId: migration.id, to: 'analyzing' });
      await store.putConsumer({
        migrationId: migration.id,
        consumerRef: CONSUMER,
        discoveredBy: 'catalog',
      });
      await store.recordPatch({
        migrationId: migration.id,
        consumerRef: CONSUMER,
        diff: '--- a/q.sql\n+++ b/q.sql\n',
        baseHash: 'h',
        status: 'rewritten',
        reasons: [],
      });
      await store.transition({ migrationId: migration.id, to: 'proposed' });
      await first.start(
        (await store.getMigration(migration.id))!,
        {
          waves: [{ name: 'all', percent: 100 }],
          soakMinutes: 0,
          autoApprove: true,
        },
        'user:default/operator',
      );

      // A run the scheduler aborted (its timeout, a shutdown) delivers
      // nothing; the next one goes on.
      await first.runOnce(AbortSignal.abort());
      expect(deliveries).toBe(0);

      const delivering = first.runOnce();
      // The second replica's step runs again and again meanwhile.
      const until = Date.now() + 5 * TIMEOUT_MS;
      while (Date.now() < until) {
        await sleep(50);
        await second.runOnce();
      }
      await delivering;
      expect(deliveries).toBe(1);
      const [consumer] = await new DatabaseRolloutStore(knex).listConsumers(
        migration.id,
      );
      expect(consumer.delivery?.status).toBe('delivered');
    },
  );
});
