import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { isRippleError } from '@ripple/backstage-plugin-ripple-common';
import type { Dialect, RippleEngine } from '@ripple/engine';
import { ANNOTATION_RIPPLE_DIALECT } from './ConsumerSources';

/**
 * An annotation of a catalog entity that Ripple cannot use. It is permanent
 * until someone edits the entity, so it is reported on that entity alone
 * instead of failing (and retrying) everything the entity takes part in.
 */
export class InvalidAnnotationError extends InputError {
  constructor(
    readonly entityRef: string,
    readonly annotation: string,
    detail: string,
  ) {
    super(`${entityRef}: annotation ${annotation}: ${detail}`);
  }
}

/**
 * The entity's `ripple.io/dialect`, checked when the entity is read: a
 * dialect the engine does not know is refused here, naming the entity and
 * the annotation, rather than deep inside an analysis. The engine is the
 * one list of dialects, so it is asked (parsing nothing in that dialect).
 */
export function entityDialect(
  engine: Pick<RippleEngine, 'tables'>,
  entity: Entity,
): Dialect | undefined {
  const value = entity.metadata.annotations?.[ANNOTATION_RIPPLE_DIALECT];
  if (value === undefined) {
    return undefined;
  }
  try {
    engine.tables('', value as Dialect);
  } catch (error) {
    if (isRippleError(error)) {
      throw new InvalidAnnotationError(
        stringifyEntityRef(entity).toLocaleLowerCase('en-US'),
        ANNOTATION_RIPPLE_DIALECT,
        error.message,
      );
    }
    throw error;
  }
  return value as Dialect;
}
