/*
 * The rollout simulation (docs/rollout.md, "Simulation"): a rollout over
 * 10,000 consumers with injected failures, run by the real rollout code
 * (RolloutService and its stores on SQLite, the plan, the health gates) with
 * a simulated fleet behind the two extension points: a delivery method that
 * "delivers" in memory, its patches merged by the next read back, and a
 * health provider that reports each merged consumer's first run: a success,
 * or for the bad consumers a failure (a breach). It reports, per wave plan, how many bad
 * changes reached consumers before the first automatic pause, and over the
 * whole rollout when the operator rolls back each unhealthy consumer and
 * resumes.
 *
 *   yarn workspace @ripple/backstage-plugin-ripple-backend bench:rollout [consumers] [badPercent...]
 */
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { WaveSpec } from '@ripple/backstage-plugin-ripple-common';
import type {
  Delivery,
  HealthSignal,
  RippleDeliveryMethod,
  RippleHealthProvider,
} from '@ripple/backstage-plugin-ripple-node';
import knexFactory from 'knex';
import { DatabaseMigrationStore } from '../src/database/DatabaseMigrationStore';
import { DatabaseRolloutStore } from '../src/database/DatabaseRolloutStore';
import { DatabaseValidationStore } from '../src/database/DatabaseValidationStore';
import { applyDatabaseMigrations } from '../src/database/schema';
import { RolloutService } from '../src/rollout/RolloutService';

const PLANS: Record<string, WaveSpec[]> = {
  'all at once': [{ name: '100%', percent: 100 }],
  'default (1, 10%, 50%, 100%)': [
    { name: 'canary', count: 1 },
    { name: '10%', percent: 10 },
    { name: '50%', percent: 50 },
    { name: '100%', percent: 100 },
  ],
  'fine (1, 1%, 5%, 25%, 100%)': [
    { name: 'canary', count: 1 },
    { name: '1%', percent: 1 },
    { name: '5%', percent: 5 },
    { name: '25%', percent: 25 },
    { name: '100%', percent: 100 },
  ],
  'canary 10 (10, 2%, 10%, 100%)': [
    { name: 'canary', count: 10 },
    { name: '2%', percent: 2 },
    { name: '10%', percent: 10 },
    { name: '100%', percent: 100 },
  ],
};

type Result = {
  plan: string;
  badPercent: number;
  waveSizes: number[];
  badTotal: number;
  deliveredAtFirstPause: number;
  badAtFirstPause: number;
  pauses: number;
  badDeliveredInTotal: number;
  /** Deliveries when the operator rolled everything back and stopped, or -1. */
  stoppedAt: number;
  setupSeconds: number;
  rolloutSeconds: number;
  deliveries: number;
};

/** A deterministic pseudo-random sequence, so runs compare. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function simulate(
  total: number,
  badPercent: number,
  planName: string,
): Promise<Result> {
  const started = process.hrtime.bigint();
  const db = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  await applyDatabaseMigrations(db);
  const store = new DatabaseMigrationStore(db);
  const rollouts = new DatabaseRolloutStore(db);

  const rand = random(42 + badPercent * 1000);
  const names = Array.from(
    { length: total },
    (_, i) => `c${String(i).padStart(5, '0')}`,
  );
  const bad = new Set(
    names
      .filter(() => rand() < badPercent / 100)
      .map(n => `component:default/${n}`),
  );
  const lifecycles = ['experimental', 'development', 'production'];
  const entities: Entity[] = [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: { name: 'orders', namespace: 'default' },
      spec: { type: 'dataset' },
    },
    ...names.map(name => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        namespace: 'default',
        annotations: { 'ripple.io/delivery': 'simulated' },
      },
      spec: { lifecycle: lifecycles[Math.floor(rand() * 3)] },
    })),
  ];

  // The fleet: deliveries land at once, and their owners merge them by the
  // next read back. Once merged, each consumer's pipeline runs once and
  // reports it, as OpenLineage does: a good one a successful run (its first
  // after the merge, from which its wave soaks), a bad one a failure.
  const delivered = new Set<string>();
  const merged = new Set<string>();
  const reported = new Set<string>();
  let deliveries = 0;
  let badDelivered = 0;
  const method: RippleDeliveryMethod = {
    id: 'simulated',
    supports: () => true,
    async deliver(request) {
      delivered.add(request.consumer.ref);
      deliveries++;
      if (bad.has(request.consumer.ref)) badDelivered++;
      return { method: 'simulated', status: 'delivered' };
    },
    async sync(request, delivery) {
      merged.add(request.consumer.ref);
      return { ...delivery, status: 'merged' };
    },
    async revert(request, delivery): Promise<Delivery> {
      delivered.delete(request.consumer.ref);
      merged.delete(request.consumer.ref);
      reported.delete(request.consumer.ref);
      return { ...delivery, status: 'reverted' };
    },
    async checkReady() {
      return { ready: true };
    },
  };
  const monitor: RippleHealthProvider = {
    id: 'simulated-monitor',
    async read(consumerRefs) {
      // Observed now: only a run after the merge counts for the gate.
      const observedAt = new Date().toISOString();
      return consumerRefs
        .filter(ref => merged.has(ref) && !reported.has(ref))
        .map(ref => {
          reported.add(ref);
          return ref;
        })
        .map(
          (consumerRef): HealthSignal =>
            bad.has(consumerRef)
              ? { consumerRef, errorRate: 0.5, failedRuns: 1, observedAt }
              : {
                  consumerRef,
                  errorRate: 0,
                  failedRuns: 0,
                  lastSuccessAt: observedAt,
                  observedAt,
                },
        );
    },
  };

  const service = new RolloutService({
    store,
    rollouts,
    validations: new DatabaseValidationStore(db),
    catalog: mapCatalog(entities),
    auth: mockServices.auth(),
    // Deliveries are read back on every step, so merges are seen at once.
    config: new ConfigReader({ ripple: { rollout: { syncMinutes: 0 } } }),
    logger: mockServices.rootLogger({ level: 'error' }),
    deliveryMethods: [method],
    healthProviders: [monitor],
  });

  const migration = await store.createMigration({
    datasetRef: 'resource:default/orders',
    change: { dataset: 'proj.ds.orders', changes: [] },
    title: 'Simulated change',
    owner: 'group:default/data',
    createdBy: 'user:default/operator',
  });
  await store.transition({ migrationId: migration.id, to: 'analyzing' });
  for (const name of names) {
    await store.putConsumer({
      migrationId: migration.id,
      consumerRef: `component:default/${name}`,
      discoveredBy: 'catalog',
    });
    await store.recordPatch({
      migrationId: migration.id,
      consumerRef: `component:default/${name}`,
      diff: `--- a/q.sql\n+++ b/q.sql\n`,
      baseHash: 'h',
      status: 'rewritten',
      reasons: [],
    });
  }
  await store.transition({ migrationId: migration.id, to: 'proposed' });

  const rollout = await service.start(
    (await store.getMigration(migration.id))!,
    {
      waves: PLANS[planName],
      soakMinutes: 0,
      autoApprove: true,
      health: { requireSignals: true },
    },
    'user:default/operator',
  );

  const setupSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rolloutStarted = process.hrtime.bigint();
  let stoppedAt = -1;
  let pauses = 0;
  let deliveredAtFirstPause = -1;
  let badAtFirstPause = -1;
  // With no soak time every step moves the rollout on (a delivery, a
  // signal, a wave, a pause); a rollout that stands still is a bug, not slowness.
  let lastProgress = '';
  let stillSteps = 0;
  for (;;) {
    await service.runOnce();
    const now = await service.getRollout(
      (await store.getMigration(migration.id))!,
    );
    if (now.state === 'completed') break;
    const progress = `${now.state} ${now.currentWave} ${deliveries} ${merged.size} ${reported.size}`;
    stillSteps = progress === lastProgress ? stillSteps + 1 : 0;
    lastProgress = progress;
    if (stillSteps >= 20) {
      throw new Error(
        `The rollout made no progress in 20 steps (${planName}, ${badPercent}% bad): ${progress}`,
      );
    }
    if (now.state === 'paused') {
      pauses++;
      if (deliveredAtFirstPause < 0) {
        deliveredAtFirstPause = deliveries;
        badAtFirstPause = badDelivered;
      }
      // The operator's policy: when most of what was delivered is
      // unhealthy the change itself is bad, so everything is rolled back and
      // the rollout stops; otherwise the unhealthy consumers are rolled back
      // alone and the rollout resumes.
      const listed = await rollouts.listConsumers(migration.id);
      const unhealthy = listed.filter(c => c.health === 'unhealthy' && !c.held);
      if (unhealthy.length * 2 >= delivered.size) {
        await service.rollback(
          migration.id,
          undefined,
          'the change is bad',
          'user:default/operator',
        );
        stoppedAt = deliveries;
        break;
      }
      for (const consumer of unhealthy) {
        await service.rollback(
          migration.id,
          consumer.consumerRef,
          'unhealthy',
          'user:default/operator',
        );
      }
      await service.resume(migration.id, undefined, 'user:default/operator');
    }
  }
  const rolloutSeconds = Number(process.hrtime.bigint() - rolloutStarted) / 1e9;
  await db.destroy();
  return {
    plan: planName,
    badPercent,
    waveSizes: rollout.waves.map(w => w.consumers.length),
    badTotal: bad.size,
    deliveredAtFirstPause,
    badAtFirstPause,
    pauses,
    badDeliveredInTotal: badDelivered,
    stoppedAt,
    setupSeconds,
    rolloutSeconds,
    deliveries,
  };
}

/** The catalog of the simulation: its entities by ref (only what the rollout reads). */
function mapCatalog(entities: Entity[]): CatalogService {
  const byRef = new Map(
    entities.map(e => [
      `${e.kind}:${e.metadata.namespace ?? 'default'}/${
        e.metadata.name
      }`.toLocaleLowerCase('en-US'),
      e,
    ]),
  );
  return {
    async getEntityByRef(ref: string) {
      return byRef.get(String(ref).toLocaleLowerCase('en-US'));
    },
    async getEntitiesByRefs({ entityRefs }: { entityRefs: string[] }) {
      return {
        items: entityRefs.map(r => byRef.get(r.toLocaleLowerCase('en-US'))),
      };
    },
  } as unknown as CatalogService;
}

async function main() {
  const [totalArg, ...badArgs] = process.argv.slice(2);
  const total = Number(totalArg ?? 10_000);
  const badPercents = badArgs.length ? badArgs.map(Number) : [1, 5, 100];
  console.log(
    `Rollout simulation: ${total} consumers, injected failure rates ${badPercents.join(
      '%, ',
    )}%`,
  );
  console.log(
    '| plan | bad % | wave sizes | bad consumers | delivered at 1st pause | bad delivered at 1st pause | pauses | bad delivered in total | stopped | rollout s (deliveries/s) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const badPercent of badPercents) {
    for (const plan of Object.keys(PLANS)) {
      const r = await simulate(total, badPercent, plan);
      console.log(
        `| ${r.plan} | ${r.badPercent} | ${r.waveSizes.join(' / ')} | ${
          r.badTotal
        } | ${
          r.deliveredAtFirstPause < 0 ? 'no pause' : r.deliveredAtFirstPause
        } | ${r.badAtFirstPause < 0 ? '-' : r.badAtFirstPause} | ${
          r.pauses
        } | ${r.badDeliveredInTotal} | ${
          r.stoppedAt < 0 ? 'no' : `after ${r.stoppedAt}`
        } | ${r.rolloutSeconds.toFixed(1)} (${Math.round(
          r.deliveries / r.rolloutSeconds,
        )}) |`,
      );
    }
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
