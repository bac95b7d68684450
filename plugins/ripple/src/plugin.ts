import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { RippleClient } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from './api';
import { engineRouteRef, migrationRouteRef, rootRouteRef } from './routes';

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
  routes: {
    root: rootRouteRef,
    migration: migrationRouteRef,
    engine: engineRouteRef,
  },
});

/**
 * Ripple's page: the fleet dashboard, and each migration's page below it.
 * Mount it with `<Route path="/ripple" element={<RipplePage />} />`.
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

/**
 * The "Migrations" tab of an entity page: on a dataset its migrations and
 * "New migration", on other entities the migrations they are a consumer in.
 * Mount it with `<EntityLayout.Route path="/ripple" title="Migrations"
 * if={isRippleEntity}>`.
 *
 * @public
 */
export const EntityRippleMigrationsContent = ripplePlugin.provide(
  createComponentExtension({
    name: 'EntityRippleMigrationsContent',
    component: {
      lazy: () =>
        import('./components/EntityContent').then(
          m => m.EntityRippleMigrationsContent,
        ),
    },
  }),
);
