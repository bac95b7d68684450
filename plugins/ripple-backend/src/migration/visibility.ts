import type {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type {
  Migration,
  MigrationEvent,
} from '@ripple/backstage-plugin-ripple-common';

// One authorize request carries at most this many entities.
const BATCH = 250;

/** An entity ref as Ripple writes them (lower case, complete). */
const ENTITY_REF = /\b[a-z][a-z0-9_-]*:[a-z0-9_.-]+\/[a-z0-9_.-]+/gi;

/** What a ref the caller may not read becomes in a text. */
export const HIDDEN = '(an entity you may not see)';

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

  /**
   * Whether the caller may read every entity, none, or some (a conditional
   * decision, made entity by entity). Most policies decide outright, so one
   * request tells.
   */
  async scope(
    credentials: BackstageCredentials,
  ): Promise<'all' | 'none' | 'some'> {
    const [overall] = await this.permissions.authorizeConditional(
      [{ permission: catalogEntityReadPermission }],
      { credentials },
    );
    if (overall.result === AuthorizeResult.ALLOW) return 'all';
    if (overall.result === AuthorizeResult.DENY) return 'none';
    return 'some';
  }

  /** The refs (lower case) among `refs` the caller may read. */
  async visible(
    credentials: BackstageCredentials,
    refs: Iterable<string>,
  ): Promise<Set<string>> {
    const unique = [...new Set([...refs].map(lower))];
    if (!unique.length) return new Set();
    const scope = await this.scope(credentials);
    if (scope === 'all') return new Set(unique);
    if (scope === 'none') return new Set();
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
   * Texts with the entity refs they name (a pause's reason, an event's
   * message: `component:default/x is unhealthy: ...`) that the caller may
   * not read replaced by {@link HIDDEN}, so that a ref the catalog hides is
   * not read in prose either. Refs are found by their shape
   * (`kind:namespace/name`, a linear pattern); the texts are Ripple's own.
   */
  async redact<T>(
    credentials: BackstageCredentials,
    items: T[],
    texts: (item: T) => (string | undefined)[],
    rewrite: (item: T, redacted: (text: string) => string) => T,
  ): Promise<T[]> {
    const named = new Set<string>();
    for (const item of items) {
      for (const text of texts(item)) {
        for (const match of text?.matchAll(ENTITY_REF) ?? []) {
          named.add(lower(match[0]));
        }
      }
    }
    if (!named.size) return items;
    const visible = await this.visible(credentials, named);
    const hidden = [...named].filter(ref => !visible.has(ref));
    if (!hidden.length) return items;
    const redacted = (text: string) =>
      text.replace(ENTITY_REF, ref =>
        hidden.includes(lower(ref)) ? HIDDEN : ref,
      );
    return items.map(item => rewrite(item, redacted));
  }

  /** Events with the refs the caller may not read hidden in their message and reason. */
  redactEvents(
    credentials: BackstageCredentials,
    events: MigrationEvent[],
  ): Promise<MigrationEvent[]> {
    return this.redact(
      credentials,
      events,
      e => [e.message, reasonOf(e.data)],
      (e, redacted) => ({
        ...e,
        message: redacted(e.message),
        ...(reasonOf(e.data)
          ? { data: { ...e.data, reason: redacted(reasonOf(e.data)!) } }
          : {}),
      }),
    );
  }

  /** Migrations whose failed analysis's error may name a consumer the caller may not read. */
  redactMigrations(
    credentials: BackstageCredentials,
    migrations: Migration[],
  ): Promise<Migration[]> {
    return this.redact(
      credentials,
      migrations,
      m => [m.analysis?.error],
      (m, redacted) =>
        m.analysis
          ? {
              ...m,
              analysis: { ...m.analysis, error: redacted(m.analysis.error) },
            }
          : m,
    );
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

function reasonOf(data: unknown): string | undefined {
  const reason = (data as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

function lower(ref: string): string {
  return ref.toLocaleLowerCase('en-US');
}
