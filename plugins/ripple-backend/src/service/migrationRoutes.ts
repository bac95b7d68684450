import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  rippleMigrationCancelPermission,
  rippleMigrationCreatePermission,
} from '@ripple/backstage-plugin-ripple-common';
import { DEFAULT_EVENTS, entityRefField, page } from './params';
import type { ApiRouter, RouteContext } from './routeContext';

/** The migrations' routes: creation, previews, lists, the timeline, analysis and cancellation. */
export function addMigrationRoutes(
  router: ApiRouter,
  context: RouteContext,
): void {
  const { migrations, httpAuth, audited, authorize } = context;

  router.post('/migrations', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { title, change } = req.body;
    const createdBy = credentials.principal.userEntityRef;
    const datasetRef = entityRefField('datasetRef', req.body.datasetRef);
    const owner = req.body.owner && entityRefField('owner', req.body.owner);
    const migration = await audited(
      req,
      'migration-create',
      { datasetRef, owner: owner ?? createdBy },
      async () => {
        const dataset = await migrations.requireDataset(
          datasetRef,
          credentials,
        );
        await authorize(
          credentials,
          rippleMigrationCreatePermission,
          datasetRef,
          'create migrations of',
        );
        return migrations.create(
          { dataset, datasetRef, change, title, owner, createdBy },
          credentials,
        );
      },
    );
    res.status(201).json(migration);
  });

  router.post('/preview', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const datasetRef = entityRefField('datasetRef', req.body.datasetRef);
    const dataset = await migrations.requireDataset(datasetRef, credentials);
    await authorize(
      credentials,
      rippleMigrationCreatePermission,
      datasetRef,
      'preview migrations of',
    );
    const previews = await migrations.preview(
      dataset,
      datasetRef,
      req.body.change,
      credentials,
    );
    res.json({
      consumers: previews.map(
        ({ consumerRef, discoveredBy, proposal, skipped, warning }) => ({
          consumerRef,
          discoveredBy,
          ...(warning ? { warning } : {}),
          ...(skipped || proposal?.failed
            ? { error: skipped ?? proposal?.failed }
            : {}),
          ...(proposal
            ? {
                impact: proposal.impact,
                patch: {
                  diff: proposal.diff,
                  baseHash: proposal.baseHash,
                  status: proposal.status,
                  reasons: proposal.reasons,
                },
              }
            : {}),
        }),
      ),
    });
  });

  router.get('/migrations', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { state, dataset } = req.query;
    res.json(
      await migrations.list(
        {
          states: state,
          datasetRef: dataset && entityRefField('dataset', dataset),
        },
        page(req.query),
        credentials,
      ),
    );
  });

  router.get('/migrations/:id', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    res.json(await migrations.get(req.params.id, credentials));
  });

  router.get('/migrations/:id/events', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    res.json({
      items: await migrations.events(
        req.params.id,
        { afterId: req.query.after, limit: req.query.limit ?? DEFAULT_EVENTS },
        credentials,
      ),
    });
  });

  router.post('/migrations/:id/analyze', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { id } = req.params;
    const migration = await audited(
      req,
      'migration-analyze',
      { migrationId: id },
      async () => {
        const current = await migrations.require(id);
        await authorize(
          credentials,
          rippleMigrationCreatePermission,
          current.datasetRef,
          'ask for the analysis of migrations of',
        );
        return migrations.analyze(current, credentials.principal.userEntityRef);
      },
    );
    res.status(202).json(migration);
  });

  router.post('/migrations/:id/cancel', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { id } = req.params;
    const reason = req.body?.reason;
    const migration = await audited(
      req,
      'migration-cancel',
      { migrationId: id, ...(reason ? { reason } : {}) },
      async () => {
        const current = await migrations.require(id);
        await authorize(
          credentials,
          rippleMigrationCancelPermission,
          current.datasetRef,
          'cancel migrations of',
        );
        return migrations.cancel(
          current,
          credentials.principal.userEntityRef,
          reason,
        );
      },
    );
    res.json(migration);
  });

  router.get(
    '/entities/:kind/:namespace/:name/migrations',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const { kind, namespace, name } = req.params;
      res.json(
        await migrations.listOfEntity(
          stringifyEntityRef({ kind, namespace, name }),
          page(req.query),
          credentials,
        ),
      );
    },
  );
}
