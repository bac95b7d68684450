import type {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { codeLocation } from '@ripple/backstage-plugin-ripple-common';

/** An entity that may read a dataset, and whether it says so. */
export type Candidate = {
  entity: Entity;
  /** It declares `dependsOn` the dataset. */
  declared: boolean;
};

/** Finds the entities whose code may read a dataset. */
export interface ConsumerFinder {
  /**
   * The entities that declare they depend on the dataset, then (when code is
   * searched) every other Component and Resource with a code location, whose
   * code the agent reads to find those that read the dataset without saying
   * so. In entity ref order within each group. `table` is the dataset's
   * table (the backend's finder looks its readers up in the consumer index).
   */
  candidates(
    datasetRef: string,
    table: string,
    /** Entity refs (lower-cased) the caller knows already: may be left out. */
    skip?: Set<string>,
  ): Promise<Candidate[]>;

  /** One entity, for re-reading a known consumer. */
  get(entityRef: string): Promise<Entity | undefined>;

  /**
   * Entities by ref, in a few catalog requests (a refresh re-reads
   * hundreds of known consumers): keyed by lower-cased ref, none for a ref
   * the catalog does not hold.
   */
  getMany(entityRefs: string[]): Promise<Map<string, Entity>>;
}

// Entities asked of the catalog at once.
const REFS_PAGE = 500;

/** {@link ConsumerFinder.getMany} on the catalog, with the plugin's credentials. */
export async function entitiesByRefs(
  catalog: CatalogService,
  auth: AuthService,
  entityRefs: string[],
): Promise<Map<string, Entity>> {
  const credentials = await auth.getOwnServiceCredentials();
  const found = new Map<string, Entity>();
  for (let i = 0; i < entityRefs.length; i += REFS_PAGE) {
    const { items } = await catalog.getEntitiesByRefs(
      { entityRefs: entityRefs.slice(i, i + REFS_PAGE) },
      { credentials },
    );
    for (const entity of items) {
      if (entity) {
        found.set(
          stringifyEntityRef(entity).toLocaleLowerCase('en-US'),
          entity,
        );
      }
    }
  }
  return found;
}

/**
 * {@link ConsumerFinder} on the catalog alone, with the plugin's own
 * credentials: every Component and Resource with a code location is a
 * candidate. The backend uses the consumer index's finder
 * (`consumerIndex/indexedConsumers.ts`); this one is for tools and tests
 * that need no index.
 */
export class CatalogConsumerFinder implements ConsumerFinder {
  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      /** Also read the code of entities that declare nothing. */
      searchCode: boolean;
    },
  ) {}

  async candidates(datasetRef: string): Promise<Candidate[]> {
    const { catalog, auth } = this.options;
    const credentials = await auth.getOwnServiceCredentials();
    const declared = await declaredConsumers(catalog, credentials, datasetRef);
    if (!this.options.searchCode) {
      return declared;
    }
    const seen = new Set([
      datasetRef,
      ...declared.map(({ entity }) => stringifyEntityRef(entity)),
    ]);
    const undeclared: Entity[] = [];
    for await (const page of catalog.streamEntities(
      { filter: [{ kind: 'Component' }, { kind: 'Resource' }] },
      { credentials },
    )) {
      for (const entity of page) {
        if (!seen.has(stringifyEntityRef(entity)) && codeLocation(entity)) {
          undeclared.push(entity);
        }
      }
    }
    return [
      ...declared,
      ...sortByRef(undeclared).map(entity => ({ entity, declared: false })),
    ];
  }

  async get(entityRef: string): Promise<Entity | undefined> {
    const credentials = await this.options.auth.getOwnServiceCredentials();
    return this.options.catalog.getEntityByRef(entityRef, { credentials });
  }

  getMany(entityRefs: string[]): Promise<Map<string, Entity>> {
    return entitiesByRefs(this.options.catalog, this.options.auth, entityRefs);
  }
}

/**
 * The entities that declare `dependsOn` the dataset, in entity ref order:
 * every finder's first candidates.
 */
export async function declaredConsumers(
  catalog: CatalogService,
  credentials: BackstageCredentials,
  datasetRef: string,
): Promise<Candidate[]> {
  const { items } = await catalog.getEntities(
    { filter: { 'relations.dependsOn': datasetRef } },
    { credentials },
  );
  return sortByRef(items).map(entity => ({ entity, declared: true }));
}

/** Entities in entity ref order. */
export function sortByRef(entities: Entity[]): Entity[] {
  return entities
    .map(entity => ({ entity, ref: stringifyEntityRef(entity) }))
    .sort((a, b) => a.ref.localeCompare(b.ref))
    .map(({ entity }) => entity);
}
