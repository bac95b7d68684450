import { parseEntityRef } from '@backstage/catalog-model';

/** An entity's Migrations tab in the portal (the frontend's entity content at `ripple`). */
export function migrationsTab(baseUrl: string, entityRef: string): string {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  const part = (s: string) => encodeURIComponent(s.toLocaleLowerCase('en-US'));
  return `${baseUrl}/catalog/${part(namespace)}/${part(kind)}/${part(
    name,
  )}/ripple`;
}

/** An entity's page in the portal. */
export function entityPage(baseUrl: string, entityRef: string): string {
  return migrationsTab(baseUrl, entityRef).replace(/\/ripple$/, '');
}
