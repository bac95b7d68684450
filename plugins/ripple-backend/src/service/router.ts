import type {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  rippleMigrationCancelPermission,
  rippleMigrationCreatePermission,
  ripplePatchReviewPermission,
  isRippleError,
} from '@ripple/backstage-plugin-ripple-common';
import type { RippleEngine } from '@ripple/engine';
import express from 'express';
import type { MigrationStore, PageRequest } from '../database/MigrationStore';
import type { ConsumerReadModel } from '../migration/ConsumerReadModel';
import type { MigrationService } from '../migration/MigrationService';
import type { ConsumerVisibility } from '../migration/visibility';
import type { CompatViews } from '../rollout/CompatViews';
import type { RolloutService } from '../rollout/RolloutService';
import { createOpenApiRouter } from '../schema/openapi';
import { createAccess } from './access';
import { jsonBody } from './bodyLimit';
import { addRolloutRoutes } from './rolloutRoutes';
import { unknownBodyFields } from './unknownFields';

/** What a router needs; the plugin passes Backstage's services. */
export type RouterOptions = {
  engine: RippleEngine;
  store: MigrationStore;
  migrations: MigrationService;
  consumers: ConsumerReadModel;
  visibility: ConsumerVisibility;
  permissions: PermissionsService;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  rollout: RolloutService;
  compatViews: CompatViews;
};

const DEFAULT_LIMIT = 50;

/**
 * The plugin's HTTP API (src/schema/openapi.yaml). The routes authorize,
 * audit and map requests and answers; the services decide.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { engine, store, migrations, consumers, httpAuth } = options;
  // Requests are validated against src/schema/openapi.yaml before they reach
  // a handler; a malformed one gets a 400 naming the offending field.
  const router = await createOpenApiRouter();
  const { audited, authorize } = createAccess(options);

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
        ({ consumerRef, discoveredBy, proposal, skipped }) => ({
          consumerRef,
          discoveredBy,
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
        { afterId: req.query.after, limit: req.query.limit ?? DEFAULT_LIMIT },
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

  router.get('/migrations/:id/consumers', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    await migrations.require(req.params.id);
    res.json(await consumers.list(req.params.id, page(req.query), credentials));
  });

  router.get('/migrations/:id/consumers/:consumerRef', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
    const migration = await migrations.require(req.params.id);
    res.json(await consumers.get(migration, consumerRef, credentials));
  });

  router.get(
    '/migrations/:id/consumers/:consumerRef/patch',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
      const migration = await migrations.require(req.params.id);
      res.json(await consumers.patch(migration, consumerRef, credentials));
    },
  );

  router.post(
    '/migrations/:id/consumers/:consumerRef/review',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const { id } = req.params;
      const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
      const { decision, patchId, previousReviewId, comment } = req.body;
      const review = await audited(
        req,
        'patch-review',
        { migrationId: id, consumerRef, patchId, decision },
        async () => {
          // On the consumer's entity: the policy may answer with the
          // catalog's conditions (isEntityOwner).
          await authorize(
            credentials,
            ripplePatchReviewPermission,
            consumerRef,
            'review the patches of',
          );
          return migrations.review({
            migrationId: id,
            consumerRef,
            patchId,
            previousReviewId,
            decision,
            reviewer: credentials.principal.userEntityRef,
            comment,
          });
        },
      );
      res.status(201).json(review);
    },
  );

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

  addRolloutRoutes(router, {
    ...options,
    audited,
    authorize,
    entityRefField,
  });

  const root = express.Router();
  // Parsed here, with the limit the spec allows, before the generated
  // router's own parser (which then leaves the parsed body alone).
  root.use(jsonBody());
  root.use(unknownBodyFields());
  root.use(router);
  return root;
}

/**
 * An entity ref from a request, complete (`kind:namespace/name`, the
 * namespace defaulting to `default`), or a 400 naming the field.
 */
function entityRefField(field: string, value: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(value));
  } catch (error) {
    throw new InputError(
      `${field}: "${value}" is not an entity ref (kind:namespace/name): ${
        (error as Error).message
      }`,
    );
  }
}

function page(query: { limit?: number; offset?: number }): PageRequest {
  return { limit: query.limit ?? DEFAULT_LIMIT, offset: query.offset ?? 0 };
}
