import type {
  AuditorService,
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import type { JsonObject } from '@backstage/types';
import type express from 'express';

/** The routes' checks: audited changes and permissions on catalog entities. */
export type Access = {
  /**
   * Runs a change as one audit event: the attempt is recorded, then its
   * success or its failure (a denial or a conflict included).
   */
  audited<T>(
    req: express.Request,
    eventId: string,
    meta: JsonObject,
    change: () => Promise<T>,
  ): Promise<T>;
  /**
   * Checks one of Ripple's permissions on a catalog entity (the dataset, or
   * the consumer): a policy may answer with conditions (the catalog's
   * `IS_ENTITY_OWNER`), which the permission framework evaluates against
   * the entity. A denial is a 403 naming the action, the entity and the
   * permission.
   */
  authorize(
    credentials: BackstageCredentials,
    permission: ResourcePermission<'catalog-entity'>,
    resourceRef: string,
    action: string,
  ): Promise<void>;
};

export function createAccess(options: {
  auditor: AuditorService;
  permissions: PermissionsService;
}): Access {
  const { auditor, permissions } = options;
  return {
    async audited(req, eventId, meta, change) {
      const event = await auditor.createEvent({
        eventId,
        request: req,
        severityLevel: 'medium',
        meta,
      });
      try {
        const result = await change();
        await event.success();
        return result;
      } catch (error) {
        await event.fail({ error: error as Error });
        throw error;
      }
    },
    async authorize(credentials, permission, resourceRef, action) {
      const [decision] = await permissions.authorize(
        [{ permission, resourceRef }],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(
          `You are not allowed to ${action} ${resourceRef} (${permission.name})`,
        );
      }
    },
  };
}
