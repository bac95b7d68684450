import type { Entity } from '@backstage/catalog-model';

/**
 * Whether the entity is a dataset Ripple migrates: a `Resource` of type
 * `dataset` (the backend's default `ripple.datasetTypes`).
 *
 * @public
 */
export function isRippleDataset(entity: Entity): boolean {
  return (
    entity.kind.toLowerCase() === 'resource' &&
    String(entity.spec?.type ?? '').toLowerCase() === 'dataset'
  );
}

/**
 * Whether Ripple's tab belongs on the entity's page: a dataset, or an entity
 * that can be a consumer of one (a `Component` or another `Resource`).
 *
 * @public
 */
export function isRippleEntity(entity: Entity): boolean {
  const kind = entity.kind.toLowerCase();
  return kind === 'component' || kind === 'resource';
}
