// The parts of the plugin's wiring that take more than a line: the
// scheduled tasks of validations and OpenLineage, the health providers
// installed from config, and the notifiers. plugin.ts calls them in init.
import {
  type AuthService,
  type DatabaseService,
  type LoggerService,
  type LifecycleService,
  RootInstanceMetadataService,
  type SchedulerService,
  type UrlReaderService,
} from '@backstage/backend-plugin-api';
import type { RippleEngine } from '@ripple/engine';
import type { Entity } from '@backstage/catalog-model';
import type { Config } from '@backstage/config';
import { type CatalogService } from '@backstage/plugin-catalog-node';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  RippleWarehouses,
  type RippleWarehouseType,
  RippleHealthProvider,
} from '@ripple/backstage-plugin-ripple-node';
import { RolloutNotifier } from './rollout/RolloutService';
import { DRAFT_TOPIC } from './drafts/SchemaDrafts';
import { ValidationService } from './validation/ValidationService';
import { StepRunner } from './steps/StepRunner';
import { stepFreeze } from './steps/freezes';
import { StepService, type StepServiceOptions } from './steps/StepService';
import { DatabaseLineageStore } from './database/DatabaseLineageStore';
import { LineageService } from './lineage/LineageService';
import { OpenLineageHealthProvider } from './lineage/OpenLineageHealthProvider';
import { PrometheusHealthProvider } from './prometheus/PrometheusHealthProvider';
import { ANNOTATION_OPENLINEAGE_JOB } from './lineage/naming';
import { OwnerNotifications } from './notifications/OwnerNotifications';
import { parseOffsets } from './notifications/deadlineReminders';
import { ownersOf } from './rollout/RolloutHealth';
import { ScmIntegrations } from '@backstage/integration';
import { ConsumerIndex } from './consumerIndex/ConsumerIndex';
import { repositoryOf } from './consumerIndex/repositories';
import type { EnginePool } from './engine/EnginePool';
import { DatabaseConsumerIndexStore } from './database/DatabaseConsumerIndexStore';

/**
 * The warehouses of `ripple.warehouses`, made from their types (checked
 * now: a bad type or `steps` stops the backend with the key), closed when
 * the backend stops.
 */
export function makeWarehouses(deps: {
  config: Config;
  lifecycle: LifecycleService;
  warehouseTypes: RippleWarehouseType[];
}): RippleWarehouses {
  const warehouses = new RippleWarehouses(
    deps.config.getOptionalConfig('ripple.warehouses'),
    deps.warehouseTypes,
  );
  deps.lifecycle.addShutdownHook(() => warehouses.close());
  return warehouses;
}

/**
 * The consumer index (docs/backend.md, "The consumer index") and its two
 * tasks: `ripple-index` (global: one replica at a time scans the catalog,
 * at startup and every `scanMinutes`, then indexes what is due) and
 * `ripple-index-worker` (local: every replica claims and indexes due
 * entities, so replicas share the work of a refresh).
 */
export async function scheduleConsumerIndex(deps: {
  config: Config;
  database: DatabaseService;
  scheduler: SchedulerService;
  logger: LoggerService;
  auth: AuthService;
  catalog: CatalogService;
  urlReader: UrlReaderService;
  engine: RippleEngine;
  /** The engine's workers: summaries are made off the event loop. */
  pool: Pick<EnginePool, 'summarize'>;
}): Promise<ConsumerIndex> {
  const settings = deps.config.getOptionalConfig('ripple.index');
  const refreshMinutes = settings?.getOptionalNumber('refreshMinutes') ?? 5;
  const leaseMinutes = settings?.getOptionalNumber('leaseMinutes') ?? 5;
  const integrations = ScmIntegrations.fromConfig(deps.config);
  const index = new ConsumerIndex({
    ...deps,
    store: new DatabaseConsumerIndexStore(await deps.database.getClient()),
    summarize: code => deps.pool.summarize(code),
    repositoryOf: location => repositoryOf(integrations, location),
    wake: () => {
      deps.scheduler
        .triggerTask('ripple-index-worker')
        .catch(error =>
          deps.logger.debug(`Could not wake the index's workers: ${error}`),
        );
    },
    wakeScan: () => {
      // (A scan running now is a conflict: the agent asks again later.)
      deps.scheduler
        .triggerTask('ripple-index')
        .catch(error =>
          deps.logger.debug(`Could not wake the index's scan: ${error}`),
        );
    },
    logger: deps.logger.child({ task: 'ripple-index' }),
    refreshMs: refreshMinutes * 60_000,
    leaseMs: leaseMinutes * 60_000,
    concurrency: settings?.getOptionalNumber('concurrency') ?? 8,
    batch: settings?.getOptionalNumber('batch') ?? 50,
  });
  await deps.scheduler.scheduleTask({
    id: 'ripple-index',
    scope: 'global',
    frequency: { minutes: settings?.getOptionalNumber('scanMinutes') ?? 1 },
    // A run cut short leaves what it indexed (the workers go on with the
    // rest); a run killed with its process locks the task this long.
    timeout: { minutes: leaseMinutes },
    fn: signal => index.runOnce(signal),
  });
  await deps.scheduler.scheduleTask({
    id: 'ripple-index-worker',
    scope: 'local',
    frequency: { seconds: settings?.getOptionalNumber('intervalSeconds') ?? 5 },
    timeout: { minutes: leaseMinutes },
    // (The global task's first run indexes everything at startup.)
    initialDelay: {
      seconds: settings?.getOptionalNumber('intervalSeconds') ?? 5,
    },
    fn: signal => index.work(signal).then(() => undefined),
  });
  return index;
}

/**
 * The steps of migrations on their datasets' warehouses (docs/steps.md):
 * a global task runs the steps people started, leased in the database so
 * that a step cut short by a crash is resumed by the next run once its
 * lease runs out.
 */
export async function scheduleSteps(
  deps: Omit<StepServiceOptions, 'retentionHours' | 'trigger' | 'wait'> & {
    config: Config;
    logger: LoggerService;
    scheduler: SchedulerService;
  },
): Promise<StepService> {
  const { config, scheduler, steps: store } = deps;
  const settings = config.getOptionalConfig('ripple.steps');
  const wait = stepFreeze(config, deps.now);
  const runner = new StepRunner({
    steps: store,
    warehouses: deps.warehouses,
    logger: deps.logger.child({ task: 'ripple-steps' }),
    leaseMs: (settings?.getOptionalNumber('leaseMinutes') ?? 2) * 60_000,
    wait,
  });
  await scheduler.scheduleTask({
    id: 'ripple-steps',
    scope: 'global',
    frequency: { seconds: settings?.getOptionalNumber('intervalSeconds') ?? 5 },
    // A run stops at the abort between two batches; the next run resumes
    // the step from its checkpoint once the lease runs out.
    timeout: { minutes: settings?.getOptionalNumber('timeoutMinutes') ?? 10 },
    fn: signal => runner.runOnce(signal),
  });
  return new StepService({
    ...deps,
    wait,
    retentionHours: settings?.getOptionalNumber('retentionHours') ?? 24,
    trigger: () =>
      scheduler
        .triggerTask('ripple-steps')
        .catch(error =>
          deps.logger.debug(`Could not trigger the steps task: ${error}`),
        ),
  });
}

/**
 * The background validation of patches on them: a global task, so one
 * replica at a time validates; the validations in the database are the
 * queue, and one cut short by a crash is claimed again after
 * `ripple.validation.claimTimeoutMinutes`.
 */
export async function scheduleValidation(
  deps: Omit<
    ConstructorParameters<typeof ValidationService>[0],
    'limits' | 'trigger'
  > & {
    config: Config;
    database: DatabaseService;
    lifecycle: LifecycleService;
    scheduler: SchedulerService;
  },
): Promise<ValidationService> {
  const { config, scheduler } = deps;
  const { warehouses } = deps;
  const settings = config.getOptionalConfig('ripple.validation');
  const validation = new ValidationService({
    ...deps,
    logger: deps.logger.child({ task: 'ripple-validation' }),
    warehouses,
    limits: {
      concurrencyPerWarehouse:
        settings?.getOptionalNumber('concurrencyPerWarehouse') ?? 2,
      timeoutMs: (settings?.getOptionalNumber('timeoutSeconds') ?? 60) * 1000,
      maxRows: settings?.getOptionalNumber('maxRows') ?? 100_000,
      maxBytes: settings?.getOptionalNumber('maxBytes') ?? 256 * 1024 * 1024,
      sampleDays: settings?.getOptionalNumber('sampleDays') ?? 1,
      claimTimeoutMs:
        (settings?.getOptionalNumber('claimTimeoutMinutes') ?? 10) * 60_000,
      batch: 100,
    },
    trigger: () => scheduler.triggerTask('ripple-validation'),
  });
  await scheduler.scheduleTask({
    id: 'ripple-validation',
    scope: 'global',
    frequency: {
      seconds: settings?.getOptionalNumber('intervalSeconds') ?? 30,
    },
    timeout: {
      minutes: settings?.getOptionalNumber('claimTimeoutMinutes') ?? 10,
    },
    fn: signal => validation.runOnce(signal),
  });
  return validation;
}

/**
 * The Prometheus health provider (docs/health.md), when
 * `ripple.health.prometheus` is configured and no module added one with
 * the id `prometheus`.
 */
export function addPrometheus(deps: {
  config: Config;
  logger: LoggerService;
  auth: AuthService;
  catalog: CatalogService;
  healthProviders: RippleHealthProvider[];
}) {
  if (deps.healthProviders.some(p => p.id === 'prometheus')) return;
  const provider = PrometheusHealthProvider.fromConfig(deps.config, {
    catalog: {
      entity: async entityRef =>
        deps.catalog.getEntityByRef(entityRef, {
          credentials: await deps.auth.getOwnServiceCredentials(),
        }),
    },
    logger: deps.logger.child({ provider: 'prometheus' }),
  });
  if (provider) deps.healthProviders.push(provider);
}

/**
 * OpenLineage (docs/health.md), when `ripple.health.openLineage` is
 * configured: the service behind `POST /api/v1/lineage`, its health
 * provider (unless a module added one with the id `openlineage`), and a
 * global task deleting runs not seen for `retentionDays`.
 */
export async function scheduleLineage(deps: {
  config: Config;
  database: DatabaseService;
  scheduler: SchedulerService;
  logger: LoggerService;
  auth: AuthService;
  catalog: CatalogService;
  healthProviders: RippleHealthProvider[];
}): Promise<LineageService | undefined> {
  const settings = deps.config.getOptionalConfig('ripple.health.openLineage');
  if (!settings) return undefined;
  const store = new DatabaseLineageStore(await deps.database.getClient());
  const credentials = () => deps.auth.getOwnServiceCredentials();
  const catalog = {
    entity: async (entityRef: string) =>
      deps.catalog.getEntityByRef(entityRef, {
        credentials: await credentials(),
      }),
    entities: async (entityRefs: string[]) =>
      entityRefs.length
        ? (
            await deps.catalog.getEntitiesByRefs(
              { entityRefs },
              { credentials: await credentials() },
            )
          ).items.filter((e): e is Entity => !!e)
        : [],
    annotatedEntities: async () =>
      (
        await deps.catalog.getEntities(
          {
            // The catalog client's CATALOG_FILTER_EXISTS (a registered symbol).
            filter: {
              [`metadata.annotations.${ANNOTATION_OPENLINEAGE_JOB}`]:
                Symbol.for('CATALOG_FILTER_EXISTS'),
            },
          },
          { credentials: await credentials() },
        )
      ).items,
  };
  const logger = deps.logger.child({ task: 'ripple-lineage' });
  const lineage = new LineageService({ store, catalog, logger });
  if (!deps.healthProviders.some(p => p.id === 'openlineage')) {
    deps.healthProviders.push(
      new OpenLineageHealthProvider({ store, lineage, catalog }),
    );
  }
  const retentionDays = settings.getOptionalNumber('retentionDays') ?? 30;
  await deps.scheduler.scheduleTask({
    id: 'ripple-lineage-retention',
    scope: 'global',
    frequency: {
      minutes: settings.getOptionalNumber('retentionIntervalMinutes') ?? 360,
    },
    timeout: { minutes: 10 },
    fn: async () => {
      const before = new Date(Date.now() - retentionDays * 86_400_000);
      const pruned = await store.prune(before);
      logger.info(
        `Deleted ${pruned.runs} OpenLineage runs and ${
          pruned.jobDatasets
        } job datasets not seen since ${before.toISOString()}`,
      );
    },
  });
  return lineage;
}

/**
 * Owners are notified through Backstage's notifications service when the
 * notifications backend runs in this backend; without it, not at all.
 */
export function notifier(deps: {
  instanceMetadata: RootInstanceMetadataService;
  notifications: NotificationService;
}): RolloutNotifier {
  return async ({
    recipients,
    title,
    description,
    link,
    scope,
    severity = 'high',
    topic = 'ripple-rollout',
  }) => {
    const installed = await deps.instanceMetadata.getInstalledPlugins();
    if (!installed.some(p => p.pluginId === 'notifications')) {
      return;
    }
    await deps.notifications.send({
      recipients: { type: 'entity', entityRef: recipients },
      payload: {
        title,
        description,
        link,
        scope,
        severity,
        topic,
      },
    });
  };
}

/** Drafts' notifications, on their own topic, when the notifications backend runs here. */
export function draftNotifier(deps: {
  instanceMetadata: RootInstanceMetadataService;
  notifications: NotificationService;
}) {
  return async (n: {
    recipients: string[];
    title: string;
    description: string;
    link: string;
    scope: string;
  }) => {
    const installed = await deps.instanceMetadata.getInstalledPlugins();
    if (!installed.some(p => p.pluginId === 'notifications')) {
      return;
    }
    await deps.notifications.send({
      recipients: { type: 'entity', entityRef: n.recipients },
      payload: {
        title: n.title,
        description: n.description,
        link: n.link,
        scope: n.scope,
        severity: 'normal',
        topic: DRAFT_TOPIC,
      },
    });
  };
}

/**
 * Notifications to consumer owners (docs/backend.md, "Deadlines and
 * notifications"): a global task, every `ripple.notifications.intervalSeconds`,
 * turning the timeline and the deadlines into the ledger's notifications and
 * sending them. Sent only when the notifications backend runs in this
 * backend; recorded as skipped otherwise.
 */
export async function scheduleOwnerNotifications(deps: {
  config: Config;
  database: DatabaseService;
  scheduler: SchedulerService;
  logger: LoggerService;
  auth: AuthService;
  catalog: CatalogService;
  instanceMetadata: RootInstanceMetadataService;
  notifications: NotificationService;
}): Promise<OwnerNotifications> {
  const settings = deps.config.getOptionalConfig('ripple.notifications');
  const logger = deps.logger.child({ task: 'ripple-notifications' });
  const owners = new OwnerNotifications({
    db: await deps.database.getClient(),
    logger,
    baseUrl: deps.config.getOptionalString('app.baseUrl') ?? '',
    offsets: parseOffsets(
      settings?.getOptionalStringArray('deadlineReminders') ?? ['7d', '1d'],
    ),
    digestThreshold: settings?.getOptionalNumber('digestThreshold') ?? 5,
    claimTimeoutMs:
      (settings?.getOptionalNumber('claimTimeoutMinutes') ?? 10) * 60_000,
    ownersOf: async refs => {
      const { items } = await deps.catalog.getEntitiesByRefs(
        { entityRefs: refs, fields: ['kind', 'metadata', 'relations'] },
        { credentials: await deps.auth.getOwnServiceCredentials() },
      );
      const found = new Map<string, string>();
      items.forEach((entity, i) => {
        const [owner] = ownersOf(entity ?? undefined);
        if (owner) found.set(refs[i], owner);
      });
      return found;
    },
    send: async n => {
      const installed = await deps.instanceMetadata.getInstalledPlugins();
      if (!installed.some(p => p.pluginId === 'notifications')) return false;
      await deps.notifications.send({
        recipients: { type: 'entity', entityRef: n.recipients },
        payload: {
          title: n.title,
          description: n.description,
          link: n.link,
          scope: n.scope,
          severity: n.severity,
          topic: n.topic,
        },
      });
      return true;
    },
  });
  await deps.scheduler.scheduleTask({
    id: 'ripple-notifications',
    scope: 'global',
    frequency: {
      seconds: settings?.getOptionalNumber('intervalSeconds') ?? 60,
    },
    timeout: {
      minutes: settings?.getOptionalNumber('claimTimeoutMinutes') ?? 10,
    },
    fn: signal => owners.runOnce(signal),
  });
  return owners;
}
