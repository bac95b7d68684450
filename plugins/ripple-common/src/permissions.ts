import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Create a migration and ask for its analysis.
 *
 * @public
 */
export const rippleMigrationCreatePermission = createPermission({
  name: 'ripple.migration.create',
  attributes: { action: 'create' },
});

/**
 * Cancel a migration.
 *
 * @public
 */
export const rippleMigrationCancelPermission = createPermission({
  name: 'ripple.migration.cancel',
  attributes: { action: 'update' },
});

/**
 * Approve or reject the patch of a consumer. A resource permission on the
 * consumer's catalog entity, so that a policy can make it conditional on
 * owning the consumer with the catalog's own rules (`isEntityOwner`); see
 * docs/backend.md.
 *
 * @public
 */
export const ripplePatchReviewPermission = createPermission({
  name: 'ripple.patch.review',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Every permission of Ripple.
 *
 * @public
 */
export const ripplePermissions = [
  rippleMigrationCreatePermission,
  rippleMigrationCancelPermission,
  ripplePatchReviewPermission,
];
