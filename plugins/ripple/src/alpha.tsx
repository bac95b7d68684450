import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { convertLegacyRouteRef } from '@backstage/core-compat-api';
import { RippleClient } from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from './api';
import { RippleIcon } from './components/RippleIcon';
import { rootRouteRef } from './routes';

const rippleApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: rippleApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new RippleClient({ discoveryApi, fetchApi }),
    }),
});

const ripplePage = PageBlueprint.make({
  params: {
    path: '/ripple',
    title: 'Ripple',
    routeRef: convertLegacyRouteRef(rootRouteRef),
    loader: () =>
      import('./components/RipplePage').then(m => <m.RipplePage />),
  },
});

/**
 * Ripple for Backstage's new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'ripple',
  title: 'Ripple',
  icon: <RippleIcon />,
  extensions: [rippleApi, ripplePage],
  routes: { root: convertLegacyRouteRef(rootRouteRef) },
});
