import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  parseSample,
  type ValidationSample,
} from '@ripple/backstage-plugin-ripple-node';

/** The id (in `ripple.warehouses`) of the warehouse where the dataset lives. */
export const ANNOTATION_RIPPLE_WAREHOUSE = 'ripple.io/warehouse';

/**
 * The rows of the dataset a validation reads, as JSON:
 * `{"column": "order_date", "days": 7}`, or `from` and/or `to` bounds
 * (docs/validation.md). Without it, a time-partitioned table's latest
 * partitions (BigQuery), else the whole table.
 */
export const ANNOTATION_RIPPLE_VALIDATION_SAMPLE =
  'ripple.io/validation-sample';

/**
 * Where a dataset's consumers are validated: the warehouse its annotation
 * names, checked against the configured ids. Without the annotation the
 * dataset is not validated (undefined); an id no warehouse has is an
 * `error` naming the dataset, the annotation and the id.
 */
export function datasetWarehouse(
  entity: Entity,
  configured: string[],
): { id: string; error?: string; sample?: ValidationSample } | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const id = annotations[ANNOTATION_RIPPLE_WAREHOUSE]?.trim();
  if (!id) return undefined;
  const where = (annotation: string) =>
    `${stringifyEntityRef(entity).toLocaleLowerCase(
      'en-US',
    )}: annotation ${annotation}`;
  if (!configured.includes(id)) {
    return {
      id,
      error: `${where(
        ANNOTATION_RIPPLE_WAREHOUSE,
      )}: no warehouse "${id}" in ripple.warehouses (configured: ${
        configured.join(', ') || 'none'
      })`,
    };
  }
  const sample = annotations[ANNOTATION_RIPPLE_VALIDATION_SAMPLE];
  if (sample === undefined) return { id };
  try {
    return { id, sample: parseSample(JSON.parse(sample)) };
  } catch (error) {
    return {
      id,
      error: `${where(ANNOTATION_RIPPLE_VALIDATION_SAMPLE)}: ${
        error instanceof SyntaxError ? 'not JSON: ' : ''
      }${(error as Error).message}`,
    };
  }
}
