import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { loadEngine } from '@ripple/engine';
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
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
      },
      async init({ httpRouter, logger }) {
        const engine = await loadEngine();
        logger.info(`Ripple engine ${engine.version()} loaded`);
        httpRouter.use(await createRouter({ engine }));
      },
    });
  },
});
