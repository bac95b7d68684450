import type {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  rippleMigrationCancelPermission,
  rippleMigrationCreatePermission,
  ripplePatchReviewPermission,
  isRippleError,
  sameTable,
} from '@ripple/backstage-plugin-ripple-common';
import type { RippleEngine } from '@ripple/engine';
import express from 'express';
import type { JsonObject } from '@backstage/types';
import { MigrationStore, PageRequest } from '../database/MigrationStore';
import { createOpenApiRouter } from '../schema/openapi';
import { MigrationAgent } from '../agent/MigrationAgent';
import {
  ANNOTATION_RIPPLE_TABLE,
  DatasetReader,
  isDataset,
} from '../dataset/DatasetReader';
import { checkChangeSpec } from './changeSpec';
import { addRolloutRoutes, withRolloutState } from './rolloutRoutes';
import type { RolloutStore } from '../database/RolloutStore';
import type { RolloutService } from '../rollout/RolloutService';
import type { CompatViews } from '../rollout/CompatViews';
import { unknownBodyFields } from './unknownFields';

/** What a router needs; the plugin passes Backstage's services. */
export type RouterOptions = {
  engine: RippleEngine;
  store: MigrationStore;
  /** Computes previews (the agent's discovery and proposals, unsaved). */
  agent: Pick<MigrationAgent, 'preview' | 'datasetCode'>;
  /** Reads datasets' tables and schemas. */
  datasets: Pick<DatasetReader, 'read'>;
  catalog: CatalogService;
  permissions: PermissionsService;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  /** `spec.type`s of the Resource entities that are datasets. */
  datasetTypes: string[];
  rollout: RolloutService;
  rollouts: RolloutStore;
  compatViews: CompatViews;
};

const DEFAULT_LIMIT = 50;

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { engine, store, catalog, permissions, httpAuth, auditor } = options;
  // Requests are validated against src/schema/openapi.yaml before they reach
  // a handler; a malformed one gets a 400 naming the offending field.
  const router = await createOpenApiRouter();

  /**
   * Runs a state change as one audit event: the attempt is recorded, then
   * its success or its failure (a denial or a conflict included).
   */
  async function audited<T>(
    req: express.Request,
    eventId: string,
    meta: JsonObject,
    change: () => Promise<T>,
  ): Promise<T> {
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
  }

  async function authorize(
    credentials: BackstageCredentials,
    permission: BasicPermission,
    action: string,
  ): Promise<void> {
    const [decision] = await permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You are not allowed to ${action} (${permission.name})`,
      );
    }
  }

  /** The entity, or a 400 naming the field that refers to a missing one. */
  async function requireEntity(
    field: string,
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Entity> {
    const entity = await catalog.getEntityByRef(entityRef, { credentials });
    if (!entity) {
      throw new InputError(`${field}: no entity ${entityRef} in the catalog`);
    }
    return entity;
  }

  /**
   * A dataset entity, or an error saying why the ref is not one: a 400 for
   * a field of a request body, a 404 for a path (`inPath`).
   */
  async function requireDataset(
    datasetRef: string,
    credentials: BackstageCredentials,
    inPath = false,
  ): Promise<Entity> {
    const Missing = inPath ? NotFoundError : InputError;
    const dataset = await catalog.getEntityByRef(datasetRef, { credentials });
    if (!dataset) {
      throw new Missing(`datasetRef: no entity ${datasetRef} in the catalog`);
    }
    if (!isDataset(dataset, options.datasetTypes)) {
      throw new Missing(
        `datasetRef: ${datasetRef} is not a dataset (a Resource of type ${options.datasetTypes.join(
          ' or ',
        )})`,
      );
    }
    return dataset;
  }

  /**
   * Checks that a change spec's `dataset` names the dataset entity's table
   * (one may be less qualified than the other), or a 400 saying which table.
   */
  async function checkChangeTable(dataset: Entity, change: unknown) {
    const table = (change as { dataset?: unknown })?.dataset;
    if (typeof table !== 'string') {
      return; // The engine's check names the missing field.
    }
    const { ref, table: datasetTable } = await options.datasets.read(dataset);
    if (!sameTable(table, datasetTable)) {
      throw new InputError(
        `change.dataset: "${table}" is not the table of ${ref}, which is "${datasetTable}" (its ${ANNOTATION_RIPPLE_TABLE} annotation, or its name)`,
      );
    }
  }

  router.get('/datasets/:datasetRef', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const datasetRef = entityRefField('datasetRef', req.params.datasetRef);
    const dataset = await requireDataset(datasetRef, credentials, true);
    res.json(await options.datasets.read(dataset));
  });

  router.get('/datasets/:datasetRef/code', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const datasetRef = entityRefField('datasetRef', req.params.datasetRef);
    const entity = await requireDataset(datasetRef, credentials, true);
    const dataset = await options.datasets.read(entity);
    res.json({ consumers: await options.agent.datasetCode(dataset) });
  });

  router.get('/catalog/summary', async (req, res) => {
    await httpAuth.credentials(req);
    // Every change the summary shows is written with an event, so the latest
    // event's id is its version: an unchanged summary costs one small query.
    const etag = `W/"ripple-${await store.lastEventId()}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.json({ entities: await store.catalogSummary() });
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
    const datasetRef = entityRefField('datasetRef', req.body.datasetRef);
    const owner = req.body.owner
      ? entityRefField('owner', req.body.owner)
      : credentials.principal.userEntityRef;
    const migration = await audited(
      req,
      'migration-create',
      { datasetRef, owner },
      async () => {
        await authorize(
          credentials,
          rippleMigrationCreatePermission,
          'create migrations',
        );
        const dataset = await requireDataset(datasetRef, credentials);
        if (req.body.owner) {
          await requireEntity('owner', owner, credentials);
        }
        checkChangeSpec(engine, change);
        await checkChangeTable(dataset, change);
        return store.createMigration({
          datasetRef,
          change,
          title,
          owner,
          createdBy: credentials.principal.userEntityRef,
        });
      },
    );
    res.status(201).json(migration);
  });

  router.post('/preview', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const datasetRef = entityRefField('datasetRef', req.body.datasetRef);
    await authorize(
      credentials,
      rippleMigrationCreatePermission,
      'preview migrations',
    );
    const dataset = await requireDataset(datasetRef, credentials);
    checkChangeSpec(engine, req.body.change);
    await checkChangeTable(dataset, req.body.change);
    const previews = await options.agent.preview(datasetRef, req.body.change);
    res.json({
      consumers: previews.map(({ consumerRef, discoveredBy, proposal }) => ({
        consumerRef,
        discoveredBy,
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
      })),
    });
  });

  router.get('/migrations', async (req, res) => {
    await httpAuth.credentials(req);
    const { state, dataset } = req.query;
    res.json(
      await store.listMigrations(
        {
          states: state,
          datasetRef: dataset && entityRefField('dataset', dataset),
        },
        page(req.query),
      ),
    );
  });

  router.get('/migrations/:id', async (req, res) => {
    await httpAuth.credentials(req);
    res.json(await requireMigration(req.params.id));
  });

  router.get('/migrations/:id/events', async (req, res) => {
    await httpAuth.credentials(req);
    await requireMigration(req.params.id);
    res.json({
      items: await store.listEvents(req.params.id, {
        afterId: req.query.after,
        limit: req.query.limit ?? DEFAULT_LIMIT,
      }),
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
        await authorize(
          credentials,
          rippleMigrationCreatePermission,
          'ask for the analysis of migrations',
        );
        const current = await requireMigration(id);
        if (current.state === 'analyzing') {
          return current;
        }
        return store.transition({
          migrationId: id,
          to: 'analyzing',
          actor: credentials.principal.userEntityRef,
          message:
            current.state === 'draft'
              ? 'Analysis requested'
              : `Analysis requested again (was ${current.state})`,
        });
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
        await authorize(
          credentials,
          rippleMigrationCancelPermission,
          'cancel migrations',
        );
        return store.transition({
          migrationId: id,
          to: 'cancelled',
          actor: credentials.principal.userEntityRef,
          message: reason ? `Cancelled: ${reason}` : 'Cancelled',
        });
      },
    );
    res.json(migration);
  });

  router.get('/migrations/:id/consumers', async (req, res) => {
    await httpAuth.credentials(req);
    await requireMigration(req.params.id);
    res.json(
      await withRolloutState(
        options.rollouts,
        req.params.id,
        await store.listConsumers(req.params.id, page(req.query)),
      ),
    );
  });

  router.get('/migrations/:id/consumers/:consumerRef', async (req, res) => {
    await httpAuth.credentials(req);
    const { id } = req.params;
    const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
    await requireMigration(id);
    const consumer = await store.getConsumer(id, consumerRef);
    if (!consumer) {
      throw new NotFoundError(
        `${consumerRef} is not a consumer in migration ${id}`,
      );
    }
    const [withState] = (
      await withRolloutState(options.rollouts, id, {
        items: [consumer],
        totalCount: 1,
      })
    ).items;
    res.json(withState);
  });

  router.get(
    '/migrations/:id/consumers/:consumerRef/patch',
    async (req, res) => {
      await httpAuth.credentials(req);
      const { id } = req.params;
      const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
      const migration = await requireMigration(id);
      const consumer = await store.getConsumer(id, consumerRef);
      if (!consumer) {
        throw new NotFoundError(
          `${consumerRef} is not a consumer in migration ${id}`,
        );
      }
      const patch = await store.getCurrentPatch(id, consumerRef);
      if (!patch) {
        throw new NotFoundError(
          `${consumerRef} has no patch yet: the migration is ${migration.state}`,
        );
      }
      res.json({ patch, reviews: await store.listReviews(id, consumerRef) });
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
          // A resource permission on the consumer's entity: the policy may
          // answer with the catalog's conditions (isEntityOwner), which the
          // permission framework evaluates against the entity.
          const [authorization] = await permissions.authorize(
            [
              {
                permission: ripplePatchReviewPermission,
                resourceRef: consumerRef,
              },
            ],
            { credentials },
          );
          if (authorization.result !== AuthorizeResult.ALLOW) {
            throw new NotAllowedError(
              `You are not allowed to review the patches of ${consumerRef} (${ripplePatchReviewPermission.name})`,
            );
          }
          return store.recordReview({
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
      await httpAuth.credentials(req);
      const { kind, namespace, name } = req.params;
      res.json(
        await store.listMigrationsOfEntity(
          stringifyEntityRef({ kind, namespace, name }),
          page(req.query),
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

  async function requireMigration(id: string) {
    const migration = await store.getMigration(id);
    if (!migration) {
      throw new NotFoundError(`No migration ${id}`);
    }
    return migration;
  }

  const root = express.Router();
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
