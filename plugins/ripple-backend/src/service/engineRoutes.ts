import { ConflictError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { rippleEngineAcceptPermission } from '@ripple/backstage-plugin-ripple-common';
import type { ApiRouter, RouteContext } from './routeContext';

/**
 * The engine canary's routes (docs/backend.md, "Engine versions and the
 * canary"): its sample, read by anyone (each consumer shown only to those
 * who may read its entity), and the administrator's decision.
 */
export function addEngineRoutes(router: ApiRouter, context: RouteContext) {
  const { engine, canaries, httpAuth, permissions, visibility, audited } =
    context;

  router.get('/engine/canary', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const version = engine.version();
    const [outdatedPatches, canary] = await Promise.all([
      canaries.countOutdatedPatches(version),
      canaries.getCanary(version),
    ]);
    res.json({
      engineVersion: version,
      outdatedPatches,
      ...(canary
        ? {
            canary: {
              ...canary,
              consumers: await visibility.filter(
                credentials,
                canary.consumers,
                c => c.consumerRef,
              ),
            },
          }
        : {}),
    });
  });

  router.post('/engine/canary/decision', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { engineVersion, decision, comment } = req.body;
    const canary = await audited(
      req,
      'engine-canary-decision',
      { engineVersion, decision },
      async () => {
        const [allowed] = await permissions.authorize(
          [{ permission: rippleEngineAcceptPermission }],
          { credentials },
        );
        if (allowed.result !== AuthorizeResult.ALLOW) {
          throw new NotAllowedError(
            `You are not allowed to ${decision} engine ${engineVersion} (${rippleEngineAcceptPermission.name})`,
          );
        }
        // What the administrator saw must be what runs: a backend upgraded
        // meanwhile runs another version, with a canary of its own.
        if (engineVersion !== engine.version()) {
          throw new ConflictError(
            `engineVersion: the backend runs engine ${engine.version()}, not ${engineVersion}`,
          );
        }
        return canaries.decide({
          engineVersion,
          state: decision === 'accept' ? 'accepted' : 'refused',
          decidedBy: credentials.principal.userEntityRef,
          ...(comment ? { comment } : {}),
        });
      },
    );
    if (canary.state === 'accepted') {
      // Re-proposed at the refresh's next run if this one is refused (a
      // run under way).
      context.refresh?.().catch(() => undefined);
    }
    res.json({
      ...canary,
      consumers: await visibility.filter(
        credentials,
        canary.consumers,
        c => c.consumerRef,
      ),
    });
  });
}
