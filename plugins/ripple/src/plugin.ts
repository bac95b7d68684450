import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { RippleClient } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from './api';
import { rootRouteRef } from './routes';

/**
 * Ripple for Backstage's legacy frontend system.
 *
 * @public
 */
export const ripplePlugin = createPlugin({
  id: 'ripple',
  apis: [
    createApiFactory({
      api: rippleApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new RippleClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: rootRouteRef },
});

/**
 * Ripple's page, to mount with `<Route path="/ripple" element={<RipplePage />} />`.
 *
 * @public
 */
export const RipplePage = ripplePlugin.provide(
  createRoutableExtension({
    name: 'RipplePage',
    component: () => import('./components/RipplePage').then(m => m.RipplePage),
    mountPoint: rootRouteRef,
  }),
);
