import type { AuthService } from '@backstage/backend-plugin-api';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  type Candidate,
  type ConsumerFinder,
  declaredConsumers,
  entitiesByRefs,
  sortByRef,
} from '../agent/ConsumerFinder';
import type { ConsumerCode, ConsumerSources } from '../agent/ConsumerSources';
import type { ConsumerIndex } from './ConsumerIndex';

/**
 * {@link ConsumerFinder} on the consumer index: a dataset's candidates are
 * the entities declaring `dependsOn` it (asked of the catalog) and the
 * entities whose indexed code reads a table of its name, not every entity
 * of the catalog.
 */
export class IndexConsumerFinder implements ConsumerFinder {
  constructor(
    private readonly options: {
      index: Pick<ConsumerIndex, 'readers'>;
      catalog: CatalogService;
      auth: AuthService;
      /** Also the entities whose code reads the dataset without declaring it. */
      searchCode: boolean;
    },
  ) {}

  async candidates(
    datasetRef: string,
    table: string,
    skip?: Set<string>,
  ): Promise<Candidate[]> {
    const { catalog, auth, index } = this.options;
    const credentials = await auth.getOwnServiceCredentials();
    const declared = await declaredConsumers(catalog, credentials, datasetRef);
    if (!this.options.searchCode) {
      return declared;
    }
    const seen = new Set(
      [
        datasetRef,
        ...declared.map(({ entity }) => stringifyEntityRef(entity)),
      ].map(ref => ref.toLocaleLowerCase('en-US')),
    );
    // (Those the caller knows are not asked of the catalog: a refresh
    // looks for new consumers among thousands it knows.)
    const refs = (await index.readers(table)).filter(ref => {
      const key = ref.toLocaleLowerCase('en-US');
      return !seen.has(key) && !skip?.has(key);
    });
    // (An entity removed since the last scan is not found.)
    const undeclared = [
      ...(await entitiesByRefs(catalog, auth, refs)).values(),
    ];
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
 * {@link ConsumerSources} on the consumer index. With `readThrough` (the
 * agent and the other background tasks) an entity the index does not hold
 * yet is read and indexed; without it (requests) that is a 503: a request
 * never reads a repository.
 */
export class IndexConsumerSources implements ConsumerSources {
  constructor(
    private readonly index: Pick<ConsumerIndex, 'code'>,
    private readonly options: { readThrough: boolean },
  ) {}

  read(entity: Entity): Promise<ConsumerCode | undefined> {
    return this.index.code(entity, this.options);
  }
}
