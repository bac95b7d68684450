import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { convertLegacyRouteRef } from '@backstage/core-compat-api';
import { RippleClient } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from './api';
import { RippleIcon } from './components/RippleIcon';
import { isRippleEntity } from './entities';
import { engineRouteRef, migrationRouteRef, rootRouteRef } from './routes';

const rippleApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: rippleApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new RippleClient({ discoveryApi, fetchApi }),
    }),
});

// The page's title and icon are its item in the app's navigation (this
// version of the frontend system makes nav items from pages; it has no
// NavItemBlueprint any more).
const ripplePage = PageBlueprint.make({
  params: {
    path: '/ripple',
    title: 'Ripple',
    icon: <RippleIcon />,
    routeRef: convertLegacyRouteRef(rootRouteRef),
    loader: () => import('./components/RipplePage').then(m => <m.RipplePage />),
  },
});

const entityMigrationsContent = EntityContentBlueprint.make({
  name: 'migrations',
  params: {
    path: '/ripple',
    title: 'Migrations',
    filter: isRippleEntity,
    loader: () =>
      import('./components/EntityContent').then(m => (
        <m.EntityRippleMigrationsContent />
      )),
  },
});

/**
 * Ripple for Backstage's new frontend system: the API client, the page at
 * `/ripple` (fleet dashboard and migration pages, in the navigation) and
 * the "Migrations" tab of datasets and their consumers.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'ripple',
  title: 'Ripple',
  icon: <RippleIcon />,
  extensions: [rippleApi, ripplePage, entityMigrationsContent],
  routes: {
    root: convertLegacyRouteRef(rootRouteRef),
    migration: convertLegacyRouteRef(migrationRouteRef),
    engine: convertLegacyRouteRef(engineRouteRef),
  },
});

export { rippleTranslationRef } from './translation';
