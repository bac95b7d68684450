import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  ConditionalPolicyDecision,
  createPermission,
  isPermission,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';

/**
 * Create a migration of a dataset, preview it and ask for its analysis. A
 * resource permission on the dataset's catalog entity, so that a policy can
 * limit it to the dataset's owners ({@link entityOwnersDecision}).
 *
 * @public
 */
export const rippleMigrationCreatePermission = createPermission({
  name: 'ripple.migration.create',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Cancel a migration. A resource permission on the migration's dataset
 * entity.
 *
 * @public
 */
export const rippleMigrationCancelPermission = createPermission({
  name: 'ripple.migration.cancel',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
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
 * Run a migration's rollout: start (and override a missing compatibility
 * view), advance, pause, resume and roll back (one consumer or all), and
 * mark its compatibility view applied. A resource permission on the
 * migration's dataset entity.
 *
 * @public
 */
export const rippleRolloutManagePermission = createPermission({
  name: 'ripple.rollout.manage',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Run a migration's steps on the dataset's warehouse (docs/steps.md):
 * make the step plan, run, retry, roll back and mark done each step, and
 * approve the contract's statements that delete the old data. A resource
 * permission on the migration's dataset entity.
 *
 * @public
 */
export const rippleStepRunPermission = createPermission({
  name: 'ripple.step.run',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Report a health signal of a consumer during a rollout (a breach pauses
 * the rollout). A resource permission on the consumer's catalog entity: the
 * dev portal's policy allows it to service principals (monitors,
 * pipelines) and to the consumer's owners.
 *
 * @public
 */
export const rippleHealthReportPermission = createPermission({
  name: 'ripple.health.report',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Accept or refuse a new engine version's canary (docs/backend.md, "Engine
 * versions and the canary"): accepted, the version re-proposes every open
 * migration's patches. A basic permission, for administrators: no entity
 * owns the engine.
 *
 * @public
 */
export const rippleEngineAcceptPermission = createPermission({
  name: 'ripple.engine.accept',
  attributes: { action: 'update' },
});

/**
 * Refresh the consumer index now (docs/backend.md, "The consumer index"):
 * scan the catalog and ask every code location whether it changed, instead
 * of waiting for `ripple.index.refreshMinutes`. A basic permission, for
 * administrators, like {@link rippleEngineAcceptPermission}.
 *
 * @public
 */
export const rippleIndexRefreshPermission = createPermission({
  name: 'ripple.index.refresh',
  attributes: { action: 'update' },
});

/**
 * The group whose members the recommended policy lets accept engine
 * versions ({@link rippleOwnershipDecision}).
 *
 * @public
 */
export const RIPPLE_ADMINS_GROUP = 'group:default/ripple-admins';

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
  rippleStepRunPermission,
  rippleHealthReportPermission,
  rippleEngineAcceptPermission,
  rippleIndexRefreshPermission,
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
  return entityOwnersDecision(claims);
}

/**
 * The decision that allows one of Ripple's resource permissions (each on a
 * catalog entity: the dataset for creating, cancelling and rolling out, the
 * consumer for reviews and health signals) only to that entity's owners:
 * the catalog's `IS_ENTITY_OWNER` rule over the user's ownership claims,
 * evaluated by the permission framework against the entity.
 *
 * @public
 */
export function entityOwnersDecision(
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

/**
 * The decision of the policy Ripple recommends (the dev portal's) for one
 * of Ripple's permissions, or undefined for any other permission:
 *
 * - creating, cancelling and rolling out a dataset's migrations, and
 *   running its steps on the warehouse: the dataset's owners;
 * - reviewing a consumer's patch: the consumer's owners;
 * - reporting a consumer's health: service principals (monitors and
 *   pipelines: `claims` undefined, as a policy gets no user for them) and
 *   the consumer's owners;
 * - accepting an engine version: the members of `admins` (by default
 *   {@link RIPPLE_ADMINS_GROUP}), no one else.
 *
 * ```ts
 * // in the policy's handle(request, user):
 * const ripple = rippleOwnershipDecision(
 *   request.permission,
 *   user ? user.info.ownershipEntityRefs ?? [] : undefined,
 * );
 * if (ripple) return ripple;
 * ```
 *
 * @public
 */
export function rippleOwnershipDecision(
  permission: Permission,
  claims: string[] | undefined,
  admins: string[] = [RIPPLE_ADMINS_GROUP],
): PolicyDecision | undefined {
  if (
    isPermission(permission, rippleEngineAcceptPermission) ||
    isPermission(permission, rippleIndexRefreshPermission)
  ) {
    const lower = (ref: string) => ref.toLocaleLowerCase('en-US');
    const isAdmin = (claims ?? []).some(claim =>
      admins.map(lower).includes(lower(claim)),
    );
    return { result: isAdmin ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
  }
  if (isPermission(permission, rippleHealthReportPermission)) {
    return claims === undefined
      ? { result: AuthorizeResult.ALLOW }
      : entityOwnersDecision(claims);
  }
  if (
    [
      rippleMigrationCreatePermission,
      rippleMigrationCancelPermission,
      rippleRolloutManagePermission,
      rippleStepRunPermission,
      ripplePatchReviewPermission,
    ].some(p => isPermission(permission, p))
  ) {
    return entityOwnersDecision(claims ?? []);
  }
  return undefined;
}
