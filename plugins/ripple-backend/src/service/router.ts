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
import { InputError, NotFoundError } from '@backstage/errors';
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
import { createAccess } from './access';
import { ConsumerVisibility } from './visibility';
import { jsonBody } from './bodyLimit';

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
  const { audited, authorize } = createAccess({ auditor, permissions });
  // Consumers are shown only to those the catalog shows them to.
  const visibility = new ConsumerVisibility(permissions);

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
    const consumers = await options.agent.datasetCode(dataset);
    res.json({
      consumers: await visibility.filter(
        credentials,
        consumers,
        c => c.consumerRef,
      ),
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
    res.json({
      entities: await visibility.filter(
        credentials,
        await store.catalogSummary(),
        e => e.entityRef,
      ),
    });
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
        const dataset = await requireDataset(datasetRef, credentials);
        await authorize(
          credentials,
          rippleMigrationCreatePermission,
          datasetRef,
          'create migrations of',
        );
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
    const dataset = await requireDataset(datasetRef, credentials);
    await authorize(
      credentials,
      rippleMigrationCreatePermission,
      datasetRef,
      'preview migrations of',
    );
    checkChangeSpec(engine, req.body.change);
    await checkChangeTable(dataset, req.body.change);
    const previews = await visibility.filter(
      credentials,
      await options.agent.preview(datasetRef, req.body.change),
      p => p.consumerRef,
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
    const listed = await store.listMigrations(
      {
        states: state,
        datasetRef: dataset && entityRefField('dataset', dataset),
      },
      page(req.query),
    );
    res.json({
      ...listed,
      items: await visibility.redactMigrations(credentials, listed.items),
    });
  });

  router.get('/migrations/:id', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const [migration] = await visibility.redactMigrations(credentials, [
      await requireMigration(req.params.id),
    ]);
    res.json(migration);
  });

  router.get('/migrations/:id/events', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    await requireMigration(req.params.id);
    const events = await store.listEvents(req.params.id, {
      afterId: req.query.after,
      limit: req.query.limit ?? DEFAULT_LIMIT,
    });
    // An event about a consumer the caller may not see is left out (the
    // page may then hold fewer than `limit`; `after` pages on), and such a
    // consumer named in another event's text (a pause's reason) is hidden.
    res.json({
      items: await visibility.redactEvents(
        credentials,
        await visibility.filter(credentials, events, e => e.consumerRef),
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
        const current = await requireMigration(id);
        await authorize(
          credentials,
          rippleMigrationCreatePermission,
          current.datasetRef,
          'ask for the analysis of migrations of',
        );
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
        const current = await requireMigration(id);
        await authorize(
          credentials,
          rippleMigrationCancelPermission,
          current.datasetRef,
          'cancel migrations of',
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
    const credentials = await httpAuth.credentials(req);
    await requireMigration(req.params.id);
    const listed = await store.listConsumers(req.params.id, page(req.query));
    // Consumers the caller's catalog permissions hide are left out of the
    // page; `totalCount` still counts every consumer of the migration.
    const items = await visibility.filter(
      credentials,
      listed.items,
      c => c.consumerRef,
    );
    res.json(
      await withRolloutState(options.rollouts, req.params.id, {
        ...listed,
        items,
      }),
    );
  });

  router.get('/migrations/:id/consumers/:consumerRef', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const { id } = req.params;
    const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
    await requireMigration(id);
    const consumer = await store.getConsumer(id, consumerRef);
    if (
      !consumer ||
      !(await visibility.visible(credentials, [consumerRef])).size
    ) {
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
      const credentials = await httpAuth.credentials(req);
      const { id } = req.params;
      const consumerRef = entityRefField('consumerRef', req.params.consumerRef);
      const migration = await requireMigration(id);
      const consumer = await store.getConsumer(id, consumerRef);
      if (
        !consumer ||
        !(await visibility.visible(credentials, [consumerRef])).size
      ) {
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
          // On the consumer's entity: the policy may answer with the
          // catalog's conditions (isEntityOwner).
          await authorize(
            credentials,
            ripplePatchReviewPermission,
            consumerRef,
            'review the patches of',
          );
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
      const credentials = await httpAuth.credentials(req);
      const { kind, namespace, name } = req.params;
      const entityRef = stringifyEntityRef({ kind, namespace, name });
      // Whether an entity the catalog hides takes part in migrations is not
      // told: it has none, as for an entity that does not exist.
      if (!(await visibility.visible(credentials, [entityRef])).size) {
        res.json({ items: [], totalCount: 0 });
        return;
      }
      res.json(await store.listMigrationsOfEntity(entityRef, page(req.query)));
    },
  );

  addRolloutRoutes(router, {
    ...options,
    audited,
    authorize,
    visibility,
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
