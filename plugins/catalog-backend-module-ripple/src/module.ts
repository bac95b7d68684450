import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { RippleEntitiesProcessor } from './processor/RippleEntitiesProcessor';
import { RippleSummarySource } from './processor/RippleSummarySource';

/**
 * Adds {@link RippleEntitiesProcessor} to the catalog, reading Ripple's
 * summary with the catalog's own service credentials.
 *
 * @public
 */
export const catalogModuleRipple = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'ripple',
  register(env) {
    env.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ catalog, auth, discovery, config, logger }) {
        const summary = new RippleSummarySource({
          auth,
          discovery,
          logger,
          ttlSeconds:
            config.getOptionalNumber('ripple.catalog.summaryTtlSeconds') ?? 30,
        });
        catalog.addProcessor(new RippleEntitiesProcessor(summary));
      },
    });
  },
});
