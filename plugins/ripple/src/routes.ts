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

/**
 * The link to a migration's page, or undefined when the app did not mount
 * Ripple's page (a portal may add only the entity tab): the tabs then show
 * migrations without links instead of failing.
 */
export function useMigrationLink(): ((id: string) => string) | undefined {
  let link: ((params: { id: string }) => string) | undefined;
  try {
    // Throws, on every render alike, when the page is not mounted.
    link = useRouteRef(migrationRouteRef);
  } catch {
    link = undefined;
  }
  return link && ((id: string) => link!({ id }));
}
