import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';

/** The id (in `ripple.warehouses`) of the warehouse where the dataset lives. */
export const ANNOTATION_RIPPLE_WAREHOUSE = 'ripple.io/warehouse';

/**
 * Where a dataset's consumers are validated: the warehouse its annotation
 * names, checked against the configured ids. Without the annotation the
 * dataset is not validated (undefined); an id no warehouse has is an
 * `error` naming the dataset, the annotation and the id.
 */
export function datasetWarehouse(
  entity: Entity,
  configured: string[],
): { id: string; error?: string } | undefined {
  const id = entity.metadata.annotations?.[ANNOTATION_RIPPLE_WAREHOUSE]?.trim();
  if (!id) return undefined;
  if (!configured.includes(id)) {
    return {
      id,
      error: `${stringifyEntityRef(entity).toLocaleLowerCase(
        'en-US',
      )}: annotation ${ANNOTATION_RIPPLE_WAREHOUSE}: no warehouse "${id}" in ripple.warehouses (configured: ${
        configured.join(', ') || 'none'
      })`,
    };
  }
  return { id };
}
