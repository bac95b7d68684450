import { useEntity } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { isRippleDataset } from '../../entities';
import { ConsumerMigrations } from './ConsumerMigrations';
import { DatasetMigrations } from './DatasetMigrations';

/**
 * The "Migrations" tab of an entity: on a dataset, its migrations and "New
 * migration"; on any other entity, the migrations it is a consumer in.
 */
export function EntityRippleMigrationsContent() {
  const { entity } = useEntity();
  const ref = stringifyEntityRef(entity);
  return isRippleDataset(entity) ? (
    <DatasetMigrations datasetRef={ref} />
  ) : (
    <ConsumerMigrations entityRef={ref} />
  );
}
