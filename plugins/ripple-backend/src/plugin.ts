import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { ripplePermissions } from '@ripple/backstage-plugin-ripple-common';
import { loadEngine } from '@ripple/engine';
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
        catalog: catalogServiceRef,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
      },
      async init(deps) {
        const { config, database, httpRouter, logger } = deps;
        // Creates or upgrades the tables (migrations/) unless the backend's
        // config says migrations are applied some other way.
        const store = await DatabaseMigrationStore.create({ database });
        const engine = await loadEngine();
        logger.info(`Ripple engine ${engine.version()} loaded`);
        deps.permissionsRegistry.addPermissions(ripplePermissions);
        httpRouter.use(
          await createRouter({
            ...deps,
            engine,
            store,
            datasetTypes: config.getOptionalStringArray(
              'ripple.datasetTypes',
            ) ?? ['dataset'],
          }),
        );
      },
    });
  },
});
