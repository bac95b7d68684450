import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

/** Ripple's page: the fleet dashboard, mounted at `/ripple`. */
export const rootRouteRef = createRouteRef({ id: 'ripple' });

/** One migration's page, below Ripple's page. */
export const migrationRouteRef = createSubRouteRef({
  id: 'ripple-migration',
  parent: rootRouteRef,
  path: '/migrations/:id',
});
