import { InputError } from '@backstage/errors';
import { isRippleError } from '@ripple/backstage-plugin-ripple-common';
import { entityRefField } from './params';
import type { ApiRouter, RouteContext } from './routeContext';

/** The datasets', the catalog summary's and the engine's routes. */
export function addDatasetRoutes(
  router: ApiRouter,
  context: RouteContext,
): void {
  const { engine, store, migrations, httpAuth } = context;

  router.get('/datasets/:datasetRef', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const datasetRef = entityRefField('datasetRef', req.params.datasetRef);
    res.json(await migrations.readDataset(datasetRef, credentials));
  });

  router.get('/datasets/:datasetRef/code', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const datasetRef = entityRefField('datasetRef', req.params.datasetRef);
    res.json({
      consumers: await migrations.datasetCode(datasetRef, credentials),
    });
  });

  router.get('/catalog/summary', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    // Every change the summary shows is written with an event, so the latest
    // event's id is its version: an unchanged summary costs one small query.
    const etag = `W/"ripple-${await store.lastEventId()}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.json({ entities: await migrations.catalogSummary(credentials) });
  });

  router.get('/engine', (_req, res) => {
    res.json({ version: engine.version() });
  });

  router.post('/engine/tables', (req, res) => {
    const { sql, dialect } = req.body;
    try {
      res.json({ statements: engine.tables(sql, dialect) });
    } catch (error) {
      if (isRippleError(error)) {
        throw new InputError(error.message);
      }
      throw error;
    }
  });
}
