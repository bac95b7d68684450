import {
  createRouteRef,
  createSubRouteRef,
  useRouteRef,
} from '@backstage/core-plugin-api';

/** Ripple's page: the fleet dashboard, mounted at `/ripple`. */
export const rootRouteRef = createRouteRef({ id: 'ripple' });

/** One migration's page, below Ripple's page. */
export const migrationRouteRef = createSubRouteRef({
  id: 'ripple-migration',
  parent: rootRouteRef,
  path: '/migrations/:id',
});

/** The engine canary's page, below Ripple's page. */
export const engineRouteRef = createSubRouteRef({
  id: 'ripple-engine',
  parent: rootRouteRef,
  path: '/engine',
});

/**
 * The link to a migration's page, or undefined when the app did not mount
 * Ripple's page (a portal may add only the entity tab): the tabs then show
 * migrations without links instead of failing.
 */
export function useMigrationLink(): ((id: string) => string) | undefined {
  let link: ((params: { id: string }) => string) | undefined;
  try {
    // Throws, on every render alike, when the page is not mounted; the hook
    // is called on every render, so the order of hooks never changes.
    // eslint-disable-next-line react-hooks/rules-of-hooks
    link = useRouteRef(migrationRouteRef);
  } catch {
    link = undefined;
  }
  return link && ((id: string) => link!({ id }));
}
