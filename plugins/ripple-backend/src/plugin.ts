import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
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
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
      },
      async init({ database, httpRouter, logger }) {
        // Creates or upgrades the tables (migrations/) unless the backend's
        // config says migrations are applied some other way.
        await DatabaseMigrationStore.create({ database });
        const engine = await loadEngine();
        logger.info(`Ripple engine ${engine.version()} loaded`);
        httpRouter.use(await createRouter({ engine }));
      },
    });
  },
});
