import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  isPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  patchReviewByOwnersDecision,
  ripplePatchReviewPermission,
} from '@ripple/backstage-plugin-ripple-common';

/**
 * The dev portal's policy: a consumer's patch is reviewed only by the
 * consumer's owners (the catalog's ownership, evaluated by the permission
 * framework); everything else is allowed.
 *
 * The guest user belongs to data-platform (app-config.yaml gives it that
 * ownership claim), so in the example catalog it may review orders-export.
 */
class RipplePortalPolicy implements PermissionPolicy {
  async handle(
    query: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (isPermission(query.permission, ripplePatchReviewPermission)) {
      return patchReviewByOwnersDecision(user?.info.ownershipEntityRefs ?? []);
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'ripple-portal-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new RipplePortalPolicy());
      },
    });
  },
});
