import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { ripplePermissions } from '@ripple/backstage-plugin-ripple-common';
import { loadEngine } from '@ripple/engine';
import { CatalogConsumerFinder } from './agent/ConsumerFinder';
import { UrlReaderConsumerSources } from './agent/ConsumerSources';
import { MigrationAgent } from './agent/MigrationAgent';
import { DatasetReader } from './dataset/DatasetReader';
import { DatabaseMigrationStore } from './database/DatabaseMigrationStore';
import { createRouter } from './service/router';

/**
 * Ripple's backend plugin: dataset migrations for downstream consumers.
 *
 * @public
 */
export const ripplePlugin = createBackendPlugin({
  pluginId: 'ripple',
  register(env) {
    env.registerInit({
      deps: {
        auditor: coreServices.auditor,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        urlReader: coreServices.urlReader,
      },
      async init(deps) {
        const { config, database, httpRouter, logger, scheduler } = deps;
        // Creates or upgrades the tables (migrations/) unless the backend's
        // config says migrations are applied some other way.
        const store = await DatabaseMigrationStore.create({ database });
        const engine = await loadEngine();
        logger.info(`Ripple engine ${engine.version()} loaded`);
        deps.permissionsRegistry.addPermissions(ripplePermissions);
        const datasets = new DatasetReader(deps.urlReader);

        const agent = new MigrationAgent({
          store,
          engine,
          logger: logger.child({ task: 'ripple-agent' }),
          finder: new CatalogConsumerFinder({
            catalog: deps.catalog,
            auth: deps.auth,
            searchCode:
              config.getOptionalBoolean('ripple.agent.searchCode') ?? true,
          }),
          sources: new UrlReaderConsumerSources(deps.urlReader),
          datasets,
        });
        // Global scope: with several replicas on one database, one of them
        // runs each task at a time. The state in the database is the queue,
        // so a restart loses nothing.
        await scheduler.scheduleTask({
          id: 'ripple-agent',
          scope: 'global',
          frequency: {
            seconds:
              config.getOptionalNumber('ripple.agent.intervalSeconds') ?? 10,
          },
          timeout: { minutes: 30 },
          fn: () => agent.runOnce(),
        });
        await scheduler.scheduleTask({
          id: 'ripple-refresh',
          scope: 'global',
          frequency: {
            minutes:
              config.getOptionalNumber('ripple.agent.refreshMinutes') ?? 5,
          },
          timeout: { minutes: 30 },
          initialDelay: { minutes: 1 },
          fn: () => agent.refreshPatches(),
        });

        httpRouter.use(
          await createRouter({
            ...deps,
            engine,
            store,
            agent,
            datasets,
            datasetTypes: config.getOptionalStringArray(
              'ripple.datasetTypes',
            ) ?? ['dataset'],
          }),
        );
      },
    });
  },
});
