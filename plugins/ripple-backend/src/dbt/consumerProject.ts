import { engineSchema } from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, RippleEngine, Schema } from '@ripple/engine';
import type { DatasetColumn } from '@ripple/backstage-plugin-ripple-common';
import type { ConsumerCode } from '../agent/ConsumerSources';

/**
 * The tables a consumer's own dbt project knows, for the rewrite of its
 * code: the engine's `projectSchema` of the project's files (the columns of
 * its models through their refs, seeds, property files, `target/`'s
 * catalog and manifest), with the dataset's columns as the schema that
 * wins, and those before the change. A model that imports another through
 * `select * from {{ ref('stg_orders') }}` then has its columns, as with
 * `ripple rewrite --project`. Undefined when the consumer is no dbt project
 * (or the engine has no `projectSchema`, as in the browser). Throws the
 * engine's errors.
 */
export function consumerProjectSchema(
  engine: Pick<RippleEngine, 'projectSchema'>,
  change: ChangeSpec,
  code: ConsumerCode,
  columns: DatasetColumn[],
): Schema | undefined {
  if (!code.project || !engine.projectSchema) {
    return undefined;
  }
  return engine.projectSchema(code.project, {
    dialect: code.dialect ?? change.dialect ?? 'generic',
    schema: engineSchema(change.dataset, columns),
    change,
  }).schema;
}
