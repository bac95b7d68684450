import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  ConditionalPolicyDecision,
  createPermission,
} from '@backstage/plugin-permission-common';

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
 * Run a migration's rollout: start, advance, pause, resume and roll back
 * (one consumer or all), and mark its compatibility view applied.
 *
 * @public
 */
export const rippleRolloutManagePermission = createPermission({
  name: 'ripple.rollout.manage',
  attributes: { action: 'update' },
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
  rippleRolloutManagePermission,
];

/**
 * The decision a permission policy returns for {@link ripplePatchReviewPermission}
 * to let people review only the patches of the consumers they own: the
 * catalog's `IS_ENTITY_OWNER` rule over the user's ownership claims
 * (`user.info.ownershipEntityRefs`). The permission framework evaluates it
 * against the consumer's entity in the catalog.
 *
 * ```ts
 * if (isPermission(request.permission, ripplePatchReviewPermission)) {
 *   return patchReviewByOwnersDecision(user?.info.ownershipEntityRefs ?? []);
 * }
 * ```
 *
 * The same as the catalog backend's
 * `createCatalogConditionalDecision(permission, catalogConditions.isEntityOwner({ claims }))`,
 * without depending on the catalog backend.
 *
 * @public
 */
export function patchReviewByOwnersDecision(
  claims: string[],
): ConditionalPolicyDecision {
  return {
    result: AuthorizeResult.CONDITIONAL,
    pluginId: 'catalog',
    resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
    conditions: {
      rule: 'IS_ENTITY_OWNER',
      resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
      params: { claims },
    },
  };
}
