import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { ScmIntegrations } from '@backstage/integration';
import { notificationService } from '@backstage/plugin-notifications-node';
import {
  createDefaultDeliveryMethods,
  createDefaultWarehouseTypes,
  type RippleWarehouseType,
  rippleWarehouseExtensionPoint,
  RippleDeliveryMethod,
  rippleDeliveryExtensionPoint,
  RippleHealthProvider,
  rippleHealthExtensionPoint,
} from '@ripple/backstage-plugin-ripple-node';
import { ripplePermissions } from '@ripple/backstage-plugin-ripple-common';
import {
  IndexConsumerFinder,
  IndexConsumerSources,
} from './consumerIndex/indexedConsumers';
import { MigrationAgent } from './agent/MigrationAgent';
import { DatabaseEngineCanaryStore } from './database/DatabaseEngineCanaryStore';
import { EngineCanary } from './engine/EngineCanary';
import { rippleEngineServiceRef } from './engine/engineService';
import { EnginePool } from './engine/EnginePool';
import { DatasetReader } from './dataset/DatasetReader';
import { ConsumerReadModel } from './migration/ConsumerReadModel';
import { ChangeImpact } from './migration/ChangeImpact';
import { MigrationService } from './migration/MigrationService';
import { ConsumerVisibility } from './migration/visibility';
import { DatabaseMigrationStore } from './database/DatabaseMigrationStore';
import { DatabaseRolloutStore } from './database/DatabaseRolloutStore';
import { DatabaseLineageStore } from './database/DatabaseLineageStore';
import { rolloutClockServiceRef } from './rollout/timing/clock';
import { CompatViews } from './rollout/CompatViews';
import { RolloutService } from './rollout/RolloutService';
import { RateLimitedUrlReader } from './reading';
import { createRouter } from './service/router';
import { DatabaseValidationStore } from './database/DatabaseValidationStore';
import { DatabaseDraftStore } from './database/DatabaseDraftStore';
import { SchemaDrafts } from './drafts/SchemaDrafts';
import {
  scheduleValidation,
  addPrometheus,
  scheduleLineage,
  notifier,
  draftNotifier,
  scheduleOwnerNotifications,
  makeWarehouses,
  scheduleSteps,
  scheduleConsumerIndex,
} from './wiring';
import { DatabaseStepStore } from './database/DatabaseStepStore';

/**
 * Ripple's backend plugin: dataset migrations for downstream consumers.
 *
 * @public
 */
export const ripplePlugin = createBackendPlugin({
  pluginId: 'ripple',
  register(env) {
    // Delivery methods and health providers come from backend modules
    // (@ripple/backstage-plugin-ripple-node's extension points); the shipped
    // delivery methods are added in init for every id no module took.
    const deliveryMethods = new Map<string, RippleDeliveryMethod>();
    env.registerExtensionPoint(rippleDeliveryExtensionPoint, {
      addDeliveryMethod(method) {
        if (deliveryMethods.has(method.id)) {
          throw new Error(`Ripple delivery method ${method.id} is added twice`);
        }
        deliveryMethods.set(method.id, method);
      },
    });
    const healthProviders: RippleHealthProvider[] = [];
    env.registerExtensionPoint(rippleHealthExtensionPoint, {
      addHealthProvider(provider) {
        healthProviders.push(provider);
      },
    });

    // Warehouse types from backend modules; the shipped ones are added in
    // init for every type no module took.
    const warehouseTypes = new Map<string, RippleWarehouseType>();
    env.registerExtensionPoint(rippleWarehouseExtensionPoint, {
      addWarehouseType(type) {
        if (warehouseTypes.has(type.type)) {
          throw new Error(`Ripple warehouse type ${type.type} is added twice`);
        }
        warehouseTypes.set(type.type, type);
      },
    });

    env.registerInit({
      deps: {
        auditor: coreServices.auditor,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        config: coreServices.rootConfig,
        database: coreServices.database,
        discovery: coreServices.discovery,
        engine: rippleEngineServiceRef,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
        instanceMetadata: coreServices.rootInstanceMetadata,
        notifications: notificationService,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        urlReader: coreServices.urlReader,
        clock: rolloutClockServiceRef,
      },
      async init(deps) {
        const { config, database, engine, httpRouter, logger, scheduler } =
          deps;
        // Creates or upgrades the tables (migrations/) unless the backend's
        // config says migrations are applied some other way.
        const store = await DatabaseMigrationStore.create({ database });
        logger.info(`Ripple engine ${engine.version()} loaded`);
        // The engine's proposals run on worker threads, off the event loop.
        const pool = await EnginePool.fromConfig(config, engine, logger);
        deps.lifecycle.addShutdownHook(() => pool.destroy());
        logger.info(
          pool.workers
            ? `Ripple's engine runs on up to ${pool.workers} worker threads`
            : "Ripple's engine runs inline, on the event loop",
        );
        deps.permissionsRegistry.addPermissions(ripplePermissions);
        // Every SCM read of the plugin (consumer code, dataset schemas, dbt
        // projects) goes through the per-host caps and rate-limit waits of
        // ripple.scm (docs/backend.md, "Rate limits").
        const urlReader = RateLimitedUrlReader.fromConfig(
          config,
          deps.urlReader,
          { logger: logger.child({ task: 'ripple-scm' }) },
        );
        deps.lifecycle.addShutdownHook(() => urlReader.close());
        const datasets = new DatasetReader(urlReader, {
          engine,
          integrations: ScmIntegrations.fromConfig(config),
        });

        // Consumers come from the consumer index: the background tasks
        // read an entity the index does not hold yet; requests never read
        // a repository.
        const consumerIndex = await scheduleConsumerIndex({
          ...deps,
          urlReader,
          engine,
          pool,
        });
        const sources = new IndexConsumerSources(consumerIndex, {
          readThrough: true,
        });
        const finder = new IndexConsumerFinder({
          index: consumerIndex,
          catalog: deps.catalog,
          auth: deps.auth,
          searchCode:
            config.getOptionalBoolean('ripple.agent.searchCode') ?? true,
        });
        const agent = new MigrationAgent({
          store,
          engine,
          pool,
          logger: logger.child({ task: 'ripple-agent' }),
          finder,
          sources,
          requestSources: new IndexConsumerSources(consumerIndex, {
            readThrough: false,
          }),
          ready: () => consumerIndex.ready(),
          readyFor: since => consumerIndex.readyFor(since),
          changedConsumers: migrationId =>
            consumerIndex.changedConsumers(migrationId),
          analysisLeaseMs:
            (config.getOptionalNumber('ripple.agent.timeoutMinutes') ?? 30) *
            60_000,
          datasets,
          // A new patch is validated now, not at the validation task's next
          // run (a person waits for it on the migration page).
          onProposed: () => {
            scheduler
              .triggerTask('ripple-validation')
              .catch(error =>
                logger.debug(`Could not trigger the validation task: ${error}`),
              );
          },
        });
        // The timeout is also how long a run stays locked when its process
        // dies in the middle (a crash, a SIGKILL): the scheduler cannot
        // tell a dead run from a slow one (the crash test shortens it).
        const agentTimeout = {
          minutes:
            config.getOptionalNumber('ripple.agent.timeoutMinutes') ?? 30,
        };
        // Local scope: every replica analyses, each claiming one migration
        // at a time in the database (the claim's lease is the timeout), so
        // replicas share the migrations and a restart loses nothing.
        await scheduler.scheduleTask({
          id: 'ripple-agent',
          scope: 'local',
          frequency: {
            seconds:
              config.getOptionalNumber('ripple.agent.intervalSeconds') ?? 10,
          },
          timeout: agentTimeout,
          fn: signal => agent.runOnce(signal),
        });
        // A new engine version is tried on a sample before it re-proposes
        // the open migrations' patches; the refresh runs the canary first.
        const canaries = new DatabaseEngineCanaryStore(
          await database.getClient(),
        );
        const canary = new EngineCanary({
          store,
          canaries,
          engine,
          pool,
          finder,
          sources,
          datasets,
          logger: logger.child({ task: 'ripple-engine-canary' }),
          sample: {
            consumers:
              config.getOptionalNumber('ripple.agent.engineCanary.consumers') ??
              5,
            migrations: config.getOptionalStringArray(
              'ripple.agent.engineCanary.migrations',
            ),
          },
          onProposed: () => {
            scheduler
              .triggerTask('ripple-validation')
              .catch(error =>
                logger.debug(`Could not trigger the validation task: ${error}`),
              );
          },
        });
        const refreshMinutes =
          config.getOptionalNumber('ripple.agent.refreshMinutes') ?? 5;
        await scheduler.scheduleTask({
          id: 'ripple-refresh',
          scope: 'global',
          frequency: { minutes: refreshMinutes },
          timeout: agentTimeout,
          initialDelay: { minutes: Math.min(1, refreshMinutes) },
          fn: async signal => {
            await canary.runOnce(signal);
            await agent.refreshPatches(signal);
          },
        });

        const claimTimeoutMinutes = config.getOptionalNumber(
          'ripple.rollout.claimTimeoutMinutes',
        );
        const rollouts = new DatabaseRolloutStore(await database.getClient(), {
          claimTimeoutMs:
            claimTimeoutMinutes === undefined
              ? undefined
              : claimTimeoutMinutes * 60_000,
        });
        const validations = new DatabaseValidationStore(
          await database.getClient(),
        );
        const warehouses = makeWarehouses({
          ...deps,
          warehouseTypes: [
            ...warehouseTypes.values(),
            ...createDefaultWarehouseTypes().filter(
              type => !warehouseTypes.has(type.type),
            ),
          ],
        });
        const stepStore = new DatabaseStepStore(await database.getClient());
        const lineage = await scheduleLineage({
          ...deps,
          healthProviders,
        });
        addPrometheus({ ...deps, healthProviders });
        const rollout = new RolloutService({
          store,
          rollouts,
          validations,
          catalog: deps.catalog,
          auth: deps.auth,
          config,
          logger: logger.child({ task: 'ripple-rollout' }),
          deliveryMethods: [
            ...deliveryMethods.values(),
            ...createDefaultDeliveryMethods(deps).filter(
              method => !deliveryMethods.has(method.id),
            ),
          ],
          healthProviders,
          notify: notifier(deps),
          auditor: deps.auditor,
          trigger: () => scheduler.triggerTask('ripple-rollout'),
          clock: deps.clock,
          // Who reads whose output, for upstream first: the OpenLineage
          // jobs' datasets (an empty table without OpenLineage).
          lineage: new DatabaseLineageStore(await database.getClient()),
          // Deliveries wait for a step plan's switch (docs/steps.md).
          steps: stepStore,
        });
        // Global: one replica at a time delivers and advances; the rollout's
        // state is in the database, so a restart resumes where it was.
        await scheduler.scheduleTask({
          id: 'ripple-rollout',
          scope: 'global',
          frequency: {
            seconds:
              config.getOptionalNumber('ripple.rollout.intervalSeconds') ?? 30,
          },
          timeout: {
            // Short: a run stops at the scheduler's abort signal between two
            // deliveries, and the next one goes on.
            minutes:
              config.getOptionalNumber('ripple.rollout.timeoutMinutes') ?? 5,
          },
          fn: signal => rollout.runOnce(signal),
        });
        // Consumer owners hear of migrations, reviews, deliveries and
        // deadlines through the notifications backend.
        await scheduleOwnerNotifications(deps);
        const compatViews = new CompatViews({
          engine,
          rollouts,
          config,
          logger,
          datasets,
          entity: async entityRef =>
            deps.catalog.getEntityByRef(entityRef, {
              credentials: await deps.auth.getOwnServiceCredentials(),
            }),
          steps: stepStore,
        });

        const validation = await scheduleValidation({
          ...deps,
          validations,
          // A rollout whose plan requires validation auto-approves,
          // delivers, advances or pauses as soon as a validation is
          // recorded, not only at its next scheduled run (a run under way
          // refuses the trigger: the next one sees it).
          onRecorded: () =>
            scheduler
              .triggerTask('ripple-rollout')
              .catch(error =>
                logger.debug(`Could not trigger the rollout task: ${error}`),
              ),
          store,
          engine,
          finder,
          sources,
          datasets,
          warehouses,
        });
        const datasetEntity = async (entityRef: string) =>
          deps.catalog.getEntityByRef(entityRef, {
            credentials: await deps.auth.getOwnServiceCredentials(),
          });
        const steps = await scheduleSteps({
          ...deps,
          steps: stepStore,
          engine,
          warehouses,
          datasets,
          entity: datasetEntity,
          rollouts,
          rollout,
          consumerCount: async migrationId =>
            (
              await store.listConsumers(migrationId, { limit: 1, offset: 0 })
            ).totalCount,
          now: () => deps.clock.now(),
        });

        const datasetTypes = config.getOptionalStringArray(
          'ripple.datasetTypes',
        ) ?? ['dataset'];
        const visibility = new ConsumerVisibility(deps.permissions);
        const migrations = new MigrationService({
          engine,
          store,
          agent,
          datasets,
          catalog: deps.catalog,
          visibility,
          datasetTypes,
          ...(lineage
            ? {
                unownedConsumers: async migration => {
                  const jobs = await lineage.datasetJobs(
                    migration.datasetRef,
                    async () =>
                      (
                        await store.listConsumers(migration.id, {
                          limit: 10_000,
                          offset: 0,
                        })
                      ).items.map(c => c.consumerRef),
                  );
                  return jobs.filter(j => !j.consumerRef).length;
                },
              }
            : {}),
        });
        const drafts = new SchemaDrafts({
          drafts: new DatabaseDraftStore(await database.getClient(), store),
          store,
          engine,
          datasets,
          agent,
          catalog: deps.catalog,
          auth: deps.auth,
          logger: logger.child({ task: 'ripple-drafts' }),
          datasetTypes,
          notify: draftNotifier(deps),
          appBaseUrl: config.getOptionalString('app.baseUrl') ?? '',
        });
        // Off by default: it reads every dataset's schema on its period.
        // Global: one replica at a time; it also runs at startup.
        if (config.getOptionalBoolean('ripple.drafts.fromSchemaChanges')) {
          await scheduler.scheduleTask({
            id: 'ripple-drafts',
            scope: 'global',
            frequency: {
              minutes:
                config.getOptionalNumber('ripple.drafts.intervalMinutes') ?? 5,
            },
            timeout: agentTimeout,
            fn: signal => drafts.runOnce(signal),
          });
        }
        httpRouter.use(
          await createRouter({
            ...deps,
            engine,
            store,
            migrations,
            drafts,
            impact: new ChangeImpact({
              migrations,
              store,
              catalog: deps.catalog,
              datasetTypes,
              baseUrl: config.getOptionalString('app.baseUrl') ?? '',
            }),
            consumers: new ConsumerReadModel({
              store,
              rollouts,
              visibility,
              validations,
            }),
            validation,
            visibility,
            rollout,
            compatViews,
            steps,
            lineage,
            canaries,
            // An accepted canary re-proposes now, not at the next refresh.
            refresh: () => scheduler.triggerTask('ripple-refresh'),
            consumerIndex,
            refreshIndex: () => scheduler.triggerTask('ripple-index'),
          }),
        );
      },
    });
  },
});
