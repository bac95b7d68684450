import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { rippleOwnershipDecision } from '@ripple/backstage-plugin-ripple-common';

/**
 * The dev portal's policy: a dataset's migrations are created, cancelled
 * and rolled out, and their steps run on the warehouse, only by the
 * dataset's owners, a consumer's patch is
 * reviewed only by the consumer's owners (the catalog's ownership,
 * evaluated by the permission framework against the entity), and a
 * consumer's health is reported by services (monitors, pipelines) or its
 * owners, and a new engine version is accepted only by the members of
 * group:default/ripple-admins (`rippleOwnershipDecision`); everything else
 * is allowed.
 *
 * The guest user belongs to data-platform (app-config.yaml gives it that
 * ownership claim) and to ripple-admins, so in the example catalog it may
 * review orders-export, create migrations of orders and accept engine
 * versions.
 */
class RipplePortalPolicy implements PermissionPolicy {
  async handle(
    query: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    return (
      rippleOwnershipDecision(
        query.permission,
        user ? user.info.ownershipEntityRefs ?? [] : undefined,
      ) ?? { result: AuthorizeResult.ALLOW }
    );
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
