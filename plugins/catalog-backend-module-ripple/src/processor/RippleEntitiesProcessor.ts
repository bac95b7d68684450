import {
  Entity,
  getCompoundEntityRef,
  parseEntityRef,
  RELATION_DEPENDENCY_OF,
  RELATION_DEPENDS_ON,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import type { LocationSpec } from '@backstage/plugin-catalog-common';
import type { RippleSummarySource } from './RippleSummarySource';

/**
 * The annotations the processor adds (documented in docs/backend.md, "The
 * catalog module"). Keys per migration end with the migration's id, so an
 * entity touched by several migrations has one of each per migration.
 *
 * @public
 */
export const rippleAnnotations = {
  /** The ids of the open migrations touching the entity, newest first, comma-separated. */
  migrations: 'ripple.io/migrations',
  /** `ripple.io/migration-state.<id>`: that migration's state. */
  migrationState: (migrationId: string) =>
    `ripple.io/migration-state.${migrationId}`,
  /**
   * `ripple.io/review-decision.<id>`, on a consumer with a patch in that
   * migration: `approve`, `reject`, or `pending` while nobody decided.
   */
  reviewDecision: (migrationId: string) =>
    `ripple.io/review-decision.${migrationId}`,
} as const;

/**
 * Records Ripple's migrations in the catalog. Before an entity is processed
 * it adds the annotations of {@link rippleAnnotations}; after, it emits
 * `dependsOn` (and the reverse `dependencyOf`) from the entity to every
 * dataset Ripple found its code reading though it does not declare it, so the
 * catalog graph shows the lineage found in code. Everything comes from one
 * summary shared by all entities ({@link RippleSummarySource}).
 *
 * @public
 */
export class RippleEntitiesProcessor implements CatalogProcessor {
  constructor(private readonly summary: Pick<RippleSummarySource, 'get'>) {}

  getProcessorName(): string {
    return 'RippleEntitiesProcessor';
  }

  async preProcessEntity(entity: Entity): Promise<Entity> {
    const summary = await this.summary.get(stringifyEntityRef(entity));
    if (!summary?.migrations.length) {
      return entity;
    }
    const annotations: Record<string, string> = {
      [rippleAnnotations.migrations]: summary.migrations
        .map(m => m.id)
        .join(','),
    };
    for (const migration of summary.migrations) {
      annotations[rippleAnnotations.migrationState(migration.id)] =
        migration.state;
      if (migration.review) {
        annotations[rippleAnnotations.reviewDecision(migration.id)] =
          migration.review;
      }
    }
    return {
      ...entity,
      metadata: {
        ...entity.metadata,
        annotations: { ...entity.metadata.annotations, ...annotations },
      },
    };
  }

  async postProcessEntity(
    entity: Entity,
    _location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    const summary = await this.summary.get(stringifyEntityRef(entity));
    const self = getCompoundEntityRef(entity);
    for (const datasetRef of summary?.readsDatasets ?? []) {
      const dataset = parseEntityRef(datasetRef);
      emit(
        processingResult.relation({
          source: self,
          type: RELATION_DEPENDS_ON,
          target: dataset,
        }),
      );
      emit(
        processingResult.relation({
          source: dataset,
          type: RELATION_DEPENDENCY_OF,
          target: self,
        }),
      );
    }
    return entity;
  }
}
