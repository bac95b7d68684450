import { NotFoundError } from '@backstage/errors';
import type { ApiRouter, RouteContext } from './routeContext';

/**
 * OpenLineage (docs/health.md): the run events of OpenLineage's HTTP
 * transport, and the jobs that read a migration's dataset.
 */
export function addLineageRoutes(
  router: ApiRouter,
  context: RouteContext,
): void {
  const { httpAuth, lineage, migrations, store, visibility } = context;

  router.post('/api/v1/lineage', async (req, res) => {
    // Emitters are services: a Backstage external access token (the
    // transport's `api_key`), never a person's session.
    await httpAuth.credentials(req, { allow: ['service'] });
    if (!lineage) {
      throw new NotFoundError(
        'OpenLineage is not configured (ripple.health.openLineage)',
      );
    }
    res.json(await lineage.record(req.body));
  });

  router.get('/migrations/:id/lineage', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const migration = await migrations.require(req.params.id);
    if (!lineage) {
      res.json({ items: [] });
      return;
    }
    const jobs = await lineage.datasetJobs(migration.datasetRef, async () =>
      (
        await store.listConsumers(migration.id, { limit: 10_000, offset: 0 })
      ).items.map(c => c.consumerRef),
    );
    // A job of a consumer the caller may not read is left out (it is owned).
    res.json({
      items: await visibility.filter(credentials, jobs, j => j.consumerRef),
    });
  });
}
