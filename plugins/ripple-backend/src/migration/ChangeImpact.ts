import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  type Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  type ChangeSpec,
  type MigrationState,
  migrationStates,
  sameTable,
} from '@ripple/backstage-plugin-ripple-common';
import type { MigrationStore } from '../database/MigrationStore';
import { datasetTable } from '../dataset/DatasetReader';
import type { MigrationService } from './MigrationService';
import { coversChange, openStates } from './coverage';
import type { ConsumerPreview } from '../agent/MigrationAgent';

/** One consumer of the changed dataset, with its verdict and owner. */
export type ConsumerImpactAnswer = {
  consumerRef: string;
  owner?: string;
  preview: ConsumerPreview;
};

/** An open migration that covers the change, with its page. */
export type CoveringMigration = {
  id: string;
  title: string;
  state: MigrationState;
  url: string;
};

/** What `POST /impact` answers. */
export type ChangeImpactAnswer = {
  datasetRef?: string;
  consumers: ConsumerImpactAnswer[];
  migrations: CoveringMigration[];
  newMigrationUrl?: string;
};

// Open migrations of one dataset read to find those that cover a change.
const MIGRATIONS_READ = 200;

/**
 * The impact of a change on the fleet, for a producer's CI (`ripple check`):
 * the dataset whose table the change names, its consumers as the preview
 * classifies them (nothing is saved), their owners, the open migrations
 * that cover the change (`coverage.ts`), and the link that starts one.
 */
export class ChangeImpact {
  constructor(
    private readonly options: {
      migrations: Pick<MigrationService, 'preview' | 'requireDataset'>;
      store: Pick<MigrationStore, 'listMigrations'>;
      catalog: Pick<CatalogService, 'getEntities' | 'getEntitiesByRefs'>;
      datasetTypes: string[];
      /** The app's URL (`app.baseUrl`), which pages' links start with. */
      baseUrl: string;
    },
  ) {}

  /**
   * The dataset named by `datasetRef`, or else the one whose table
   * (`ripple.io/table`, else its name) the change names: none is an answer
   * without a dataset; several are a 400 asking for `datasetRef`.
   */
  async findDataset(
    change: ChangeSpec,
    datasetRef: string | undefined,
    credentials: BackstageCredentials,
  ): Promise<Entity | undefined> {
    const { migrations, catalog, datasetTypes } = this.options;
    if (datasetRef) {
      return migrations.requireDataset(datasetRef, credentials);
    }
    const { items } = await catalog.getEntities(
      {
        filter: datasetTypes.map(type => ({
          kind: 'Resource',
          'spec.type': type,
        })),
      },
      { credentials },
    );
    const found = items.filter(entity =>
      sameTable(change.dataset, datasetTable(entity)),
    );
    if (found.length > 1) {
      throw new InputError(
        `change.dataset: "${
          change.dataset
        }" is the table of several datasets (${found
          .map(entity => stringifyEntityRef(entity))
          .sort()
          .join(', ')}): name one in datasetRef`,
      );
    }
    return found[0];
  }

  async impact(
    dataset: Entity | undefined,
    change: ChangeSpec,
    credentials: BackstageCredentials,
  ): Promise<ChangeImpactAnswer> {
    if (!dataset) {
      return { consumers: [], migrations: [] };
    }
    const datasetRef = stringifyEntityRef(dataset);
    const previews = await this.options.migrations.preview(
      dataset,
      datasetRef,
      change,
      credentials,
    );
    const owners = await this.owners(
      previews.map(p => p.consumerRef),
      credentials,
    );
    const { items } = await this.options.store.listMigrations(
      { datasetRef, states: openStates(migrationStates) },
      { limit: MIGRATIONS_READ, offset: 0 },
    );
    const base = this.options.baseUrl.replace(/\/+$/, '');
    return {
      datasetRef,
      consumers: previews.map(preview => ({
        consumerRef: preview.consumerRef,
        owner: owners.get(preview.consumerRef),
        preview,
      })),
      migrations: items
        .filter(migration => coversChange(migration, datasetRef, change))
        .map(migration => ({
          id: migration.id,
          title: migration.title,
          state: migration.state,
          url: `${base}/ripple/migrations/${encodeURIComponent(migration.id)}`,
        })),
      newMigrationUrl: newMigrationUrl(base, datasetRef, change),
    };
  }

  /** Each entity's `spec.owner`, for those the caller may read. */
  private async owners(
    refs: string[],
    credentials: BackstageCredentials,
  ): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    if (!refs.length) return owners;
    const { items } = await this.options.catalog.getEntitiesByRefs(
      { entityRefs: refs, fields: ['kind', 'metadata', 'spec.owner'] },
      { credentials },
    );
    items.forEach((entity, i) => {
      const owner = entity?.spec?.owner;
      if (typeof owner === 'string') {
        owners.set(
          refs[i],
          stringifyEntityRef(parseEntityRef(owner, { defaultKind: 'group' })),
        );
      }
    });
    return owners;
  }
}

/**
 * The dataset's Migrations tab with the new-migration form open and the
 * change filled in (`NewMigration` reads `newMigration` and `change`).
 */
export function newMigrationUrl(
  base: string,
  datasetRef: string,
  change: ChangeSpec,
): string {
  const { kind, namespace, name } = parseEntityRef(datasetRef);
  const query = new URLSearchParams({
    newMigration: 'true',
    change: JSON.stringify(change),
  });
  return `${base}/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(
    kind.toLocaleLowerCase('en-US'),
  )}/${encodeURIComponent(name)}/ripple?${query}`;
}
