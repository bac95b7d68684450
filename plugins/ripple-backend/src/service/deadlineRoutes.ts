import { rippleMigrationCancelPermission } from '@ripple/backstage-plugin-ripple-common';
import { consumerTimeline } from '../migration/consumerTimeline';
import { entityRefField } from './params';
import type { ApiRouter, RouteContext } from './routeContext';

/** How many of a consumer's events its timeline replays, at most. */
const TIMELINE_EVENTS = 1000;

/** A migration's deadline, and a consumer's timeline in it. */
export function addDeadlineRoutes(
  router: ApiRouter,
  context: RouteContext,
): void {
  const { migrations, consumers, store, httpAuth, audited, authorize } =
    context;

  // The migration's owners set its deadline: the permission that lets them
  // cancel it (conditional on owning the dataset in the dev portal).
  router.put('/migrations/:id/target-date', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { id } = req.params;
    const { targetDate } = req.body;
    const migration = await audited(
      req,
      'migration-target-date',
      { migrationId: id, targetDate },
      async () => {
        const current = await migrations.require(id);
        await authorize(
          credentials,
          rippleMigrationCancelPermission,
          current.datasetRef,
          'set the target date of migrations of',
        );
        return migrations.setTargetDate(
          current,
          targetDate ?? null,
          credentials.principal.userEntityRef,
        );
      },
    );
    res.json(migration);
  });

  router.get(
    '/migrations/:id/consumers/:consumerRef/timeline',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
      const migration = await migrations.require(req.params.id);
      // A 404 for a consumer the caller may not see, as for its detail.
      const consumer = await consumers.get(migration, consumerRef, credentials);
      const events = await store.listEvents(migration.id, {
        consumerRef,
        limit: TIMELINE_EVENTS,
      });
      res.json(consumerTimeline(migration, consumer, events, new Date()));
    },
  );
}
