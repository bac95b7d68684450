import type {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { AuthorizeResult } from '@backstage/plugin-permission-common';

// One authorize request carries at most this many entities.
const BATCH = 250;

/**
 * What of Ripple's consumers a caller may see: exactly the catalog entities
 * the catalog lets them read (`catalog.entity.read`, decided by the
 * permission policy and, for conditional decisions, by the catalog's own
 * permission integration against each entity). Every route that lists or
 * reads consumers (their refs, code, patches, deliveries, events) filters
 * through it, so Ripple shows no more than the catalog does.
 */
export class ConsumerVisibility {
  constructor(private readonly permissions: PermissionsService) {}

  /** The refs (lower case) among `refs` the caller may read. */
  async visible(
    credentials: BackstageCredentials,
    refs: Iterable<string>,
  ): Promise<Set<string>> {
    const unique = [...new Set([...refs].map(lower))];
    if (!unique.length) return new Set();
    // Most policies decide the read permission outright: one request then
    // answers for every entity.
    const [overall] = await this.permissions.authorizeConditional(
      [{ permission: catalogEntityReadPermission }],
      { credentials },
    );
    if (overall.result === AuthorizeResult.ALLOW) return new Set(unique);
    if (overall.result === AuthorizeResult.DENY) return new Set();
    const allowed = new Set<string>();
    for (let i = 0; i < unique.length; i += BATCH) {
      const chunk = unique.slice(i, i + BATCH);
      const decisions = await this.permissions.authorize(
        chunk.map(resourceRef => ({
          permission: catalogEntityReadPermission,
          resourceRef,
        })),
        { credentials },
      );
      decisions.forEach((decision, j) => {
        if (decision.result === AuthorizeResult.ALLOW) allowed.add(chunk[j]);
      });
    }
    return allowed;
  }

  /** The items whose entity the caller may read (items without one are kept). */
  async filter<T>(
    credentials: BackstageCredentials,
    items: T[],
    refOf: (item: T) => string | undefined,
  ): Promise<T[]> {
    const refs = items.map(refOf).filter((r): r is string => !!r);
    const visible = await this.visible(credentials, refs);
    return items.filter(item => {
      const ref = refOf(item);
      return ref === undefined || visible.has(lower(ref));
    });
  }

  /**
   * A 404 for an entity the caller may not read, with the message a missing
   * one gets: whether it exists is not told either.
   */
  async require(
    credentials: BackstageCredentials,
    ref: string,
    notFound: string,
  ): Promise<void> {
    if (!(await this.visible(credentials, [ref])).has(lower(ref))) {
      throw new NotFoundError(notFound);
    }
  }
}

function lower(ref: string): string {
  return ref.toLocaleLowerCase('en-US');
}
