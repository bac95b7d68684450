import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { rippleDeliveryExtensionPoint } from './extensions';
import { createDefaultDeliveryMethods } from './methods/defaults';

/**
 * A backend module of the `ripple` plugin adding the delivery methods Ripple
 * ships (`download`, `git-branch`, `github-pull-request`), configured from
 * `ripple.delivery` and `integrations`:
 * `backend.add(rippleModuleDefaultDeliveryMethods)`.
 *
 * @public
 */
export const rippleModuleDefaultDeliveryMethods = createBackendModule({
  pluginId: 'ripple',
  moduleId: 'default-delivery-methods',
  register(env) {
    env.registerInit({
      deps: {
        delivery: rippleDeliveryExtensionPoint,
        config: coreServices.rootConfig,
        discovery: coreServices.discovery,
      },
      async init({ delivery, config, discovery }) {
        for (const method of createDefaultDeliveryMethods({
          config,
          discovery,
        })) {
          delivery.addDeliveryMethod(method);
        }
      },
    });
  },
});
