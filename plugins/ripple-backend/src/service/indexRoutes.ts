import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { rippleIndexRefreshPermission } from '@ripple/backstage-plugin-ripple-common';
import { isReady } from '../consumerIndex/ConsumerIndex';
import type { IndexStatus } from '../database/ConsumerIndexStore';
import type { ApiRouter, RouteContext } from './routeContext';

/**
 * The consumer index's routes (docs/backend.md, "The consumer index"): its
 * status, read by anyone (counts only), and a refresh now, for
 * administrators.
 */
export function addIndexRoutes(router: ApiRouter, context: RouteContext) {
  const { engine, consumerIndex, httpAuth, permissions, audited } = context;
  const status = async () => {
    if (!consumerIndex) {
      throw new NotFoundError('This backend runs no consumer index');
    }
    return toResponse(await consumerIndex.status(), engine.version());
  };

  router.get('/index', async (req, res) => {
    await httpAuth.credentials(req);
    res.json(await status());
  });

  router.post('/index/refresh', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const body = await audited(req, 'index-refresh', {}, async () => {
      const [allowed] = await permissions.authorize(
        [{ permission: rippleIndexRefreshPermission }],
        { credentials },
      );
      if (allowed.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(
          `You are not allowed to refresh the consumer index (${rippleIndexRefreshPermission.name})`,
        );
      }
      // Every replica's workers check the entities checked before now; the
      // scan runs now too. (A run under way refuses the trigger; the
      // workers still do the checks.)
      await consumerIndex?.requestRefresh();
      await context.refreshIndex?.().catch(error => {
        if (!(error instanceof ConflictError)) throw error;
      });
      return status();
    });
    res.status(202).json(body);
  });
}

function toResponse(status: IndexStatus, engineVersion: string) {
  return {
    ...status,
    engineVersion,
    ready: isReady({ ...status, unindexed: status.entities - status.indexed }),
  };
}
