import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  rippleMigrationCancelPermission,
  rippleMigrationCreatePermission,
} from '@ripple/backstage-plugin-ripple-common';
import { InputError } from '@backstage/errors';
import { isTargetDate } from '../database/deadlines';
import { DEFAULT_EVENTS, entityRefField, page } from './params';
import type { ApiRouter, RouteContext } from './routeContext';

/** The migrations' routes: creation, previews, lists, the timeline, analysis and cancellation. */
export function addMigrationRoutes(
  router: ApiRouter,
  context: RouteContext,
): void {
  const { migrations, impact, httpAuth, audited, authorize } = context;

  router.post('/migrations', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { title, change, targetDate } = req.body;
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
          { dataset, datasetRef, change, title, owner, createdBy, targetDate },
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

  // For a producer's CI (`ripple check`, docs/ci.md): a service's token
  // (external access) is accepted besides a user's. Nothing is created.
  router.post('/impact', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { change } = req.body;
    const requested =
      req.body.datasetRef && entityRefField('datasetRef', req.body.datasetRef);
    const answer = await audited(
      req,
      'migration-impact',
      {
        table: change.dataset,
        ...(requested ? { datasetRef: requested } : {}),
      },
      async () => {
        const dataset = await impact.findDataset(
          change,
          requested,
          credentials,
        );
        if (dataset) {
          await authorize(
            credentials,
            rippleMigrationCreatePermission,
            stringifyEntityRef(dataset),
            'ask for the impact of changes to',
          );
        }
        return impact.impact(dataset, change, credentials);
      },
    );
    res.json({
      ...(answer.datasetRef ? { datasetRef: answer.datasetRef } : {}),
      consumers: answer.consumers.map(({ consumerRef, owner, preview }) => {
        const { proposal, skipped } = preview;
        const verdict = proposal?.impact.verdict;
        const error = skipped ?? proposal?.failed;
        return {
          consumerRef,
          discoveredBy: preview.discoveredBy,
          ...(owner ? { owner } : {}),
          ...(verdict
            ? { verdict, reasons: proposal?.impact.reasons ?? [] }
            : { reasons: [] }),
          ...(error ? { error } : {}),
        };
      }),
      migrations: answer.migrations,
      ...(answer.newMigrationUrl
        ? { newMigrationUrl: answer.newMigrationUrl }
        : {}),
    });
  });

  router.get('/migrations', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { state, dataset, deadlineBefore, hasDeadline, sort } = req.query;
    if (deadlineBefore !== undefined && !isTargetDate(deadlineBefore)) {
      throw new InputError(
        `deadlineBefore: "${deadlineBefore}" is not a day of the calendar (YYYY-MM-DD)`,
      );
    }
    res.json(
      await migrations.list(
        {
          states: state,
          datasetRef: dataset && entityRefField('dataset', dataset),
          deadlineBefore,
          hasDeadline,
          sort,
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
    res.json(
      await migrations.events(
        req.params.id,
        {
          afterId: req.query.after,
          limit: req.query.limit ?? DEFAULT_EVENTS,
          cursor: req.query.cursor,
        },
        credentials,
      ),
    );
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
