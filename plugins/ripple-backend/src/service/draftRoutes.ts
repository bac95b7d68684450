import { rippleMigrationCreatePermission } from '@ripple/backstage-plugin-ripple-common';
import type { ApiRouter, RouteContext } from './routeContext';

/**
 * The routes of drafts from schema changes: deciding a suggested rename
 * and discarding a draft. Both need what creating the migration needs.
 */
export function addDraftRoutes(router: ApiRouter, context: RouteContext): void {
  const { migrations, drafts, httpAuth, audited, authorize } = context;

  router.post('/migrations/:id/suggestions/:suggestionId', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { id, suggestionId } = req.params;
    const { decision } = req.body;
    const migration = await audited(
      req,
      'draft-suggestion-decide',
      { migrationId: id, suggestionId, decision },
      async () => {
        const current = await migrations.require(id);
        await authorize(
          credentials,
          rippleMigrationCreatePermission,
          current.datasetRef,
          'decide the drafts of',
        );
        return drafts.decideSuggestion({
          migration: current,
          suggestionId,
          decision,
          actor: credentials.principal.userEntityRef,
        });
      },
    );
    res.json(migration);
  });

  router.post('/migrations/:id/discard', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { id } = req.params;
    const migration = await audited(
      req,
      'draft-discard',
      { migrationId: id },
      async () => {
        const current = await migrations.require(id);
        await authorize(
          credentials,
          rippleMigrationCreatePermission,
          current.datasetRef,
          'discard the drafts of',
        );
        return drafts.discard(current, credentials.principal.userEntityRef);
      },
    );
    res.json(migration);
  });
}
