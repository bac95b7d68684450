import {
  createFrontendPlugin,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';

import { rootRouteRef } from './routes';

export const page = PageBlueprint.make({
  params: {
    path: '/ripple',
    routeRef: rootRouteRef,
    loader: () =>
      import('./components/TodoPage').then(m => (
        <m.TodoPage />
      )),
  },
});

export const ripplePlugin = createFrontendPlugin({
  pluginId: 'ripple',
  extensions: [page],
  routes: {
    root: rootRouteRef,
  }
});
