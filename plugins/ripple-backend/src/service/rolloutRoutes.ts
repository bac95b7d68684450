import type {
  BackstageCredentials,
  HttpAuthService,
} from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import type { BasicPermission } from '@backstage/plugin-permission-common';
import type { JsonObject } from '@backstage/types';
import {
  Consumer,
  Migration,
  rippleRolloutManagePermission,
} from '@ripple/backstage-plugin-ripple-common';
import type express from 'express';
import type { Page } from '../database/MigrationStore';
import type { MigrationStore } from '../database/MigrationStore';
import type { RolloutStore } from '../database/RolloutStore';
import type { CompatViews } from '../rollout/CompatViews';
import type { RolloutService } from '../rollout/RolloutService';
import { createOpenApiRouter } from '../schema/openapi';

type ApiRouter = Awaited<ReturnType<typeof createOpenApiRouter>>;

/** What the rollout's routes need from the main router. */
export type RolloutRouteOptions = {
  store: MigrationStore;
  rollout: RolloutService;
  rollouts: RolloutStore;
  compatViews: CompatViews;
  httpAuth: HttpAuthService;
  audited<T>(
    req: express.Request,
    eventId: string,
    meta: JsonObject,
    change: () => Promise<T>,
  ): Promise<T>;
  authorize(
    credentials: BackstageCredentials,
    permission: BasicPermission,
    action: string,
  ): Promise<void>;
  entityRefField(field: string, value: string): string;
};

/**
 * The rollout's routes (docs/rollout.md): the rollout and its actions,
 * health signals, patch downloads and the compatibility view.
 */
export function addRolloutRoutes(
  router: ApiRouter,
  options: RolloutRouteOptions,
): void {
  const { store, rollout, compatViews, httpAuth, audited, authorize } =
    options;

  async function requireMigration(id: string): Promise<Migration> {
    const migration = await store.getMigration(id);
    if (!migration) {
      throw new NotFoundError(`No migration ${id}`);
    }
    return migration;
  }

  /** An action on the rollout: a user, `ripple.rollout.manage`, audited. */
  async function manage<T>(
    req: express.Request<{ id: string }>,
    action: string,
    meta: JsonObject,
    run: (actor: string) => Promise<T>,
  ): Promise<T> {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    return audited(
      req,
      `rollout-${action}`,
      { migrationId: req.params.id, ...meta },
      async () => {
        await authorize(
          credentials,
          rippleRolloutManagePermission,
          `${action} rollouts`,
        );
        return run(credentials.principal.userEntityRef);
      },
    );
  }

  router.get('/migrations/:id/rollout', async (req, res) => {
    await httpAuth.credentials(req);
    res.json(await rollout.getRollout(await requireMigration(req.params.id)));
  });

  router.post('/migrations/:id/rollout/start', async (req, res) => {
    const plan = req.body?.plan;
    res.json(
      await manage(req, 'start', plan ? { plan: plan as JsonObject } : {}, async actor => {
        const migration = await requireMigration(req.params.id);
        if (migration.state === 'proposed') {
          await compatViews.ensureApplied(migration, actor);
        }
        return rollout.start(migration, plan, actor);
      }),
    );
  });

  router.post('/migrations/:id/rollout/advance', async (req, res) => {
    const wave = req.body?.wave;
    res.json(
      await manage(
        req,
        'advance',
        wave !== undefined ? { wave } : {},
        actor => rollout.advance(req.params.id, wave, actor),
      ),
    );
  });

  router.post('/migrations/:id/rollout/pause', async (req, res) => {
    const reason = req.body?.reason;
    res.json(
      await manage(req, 'pause', reason ? { reason } : {}, actor =>
        rollout.pause(req.params.id, reason, actor),
      ),
    );
  });

  router.post('/migrations/:id/rollout/resume', async (req, res) => {
    const consumerRef = optionalRef(options, req.body?.consumerRef);
    res.json(
      await manage(
        req,
        'resume',
        consumerRef ? { consumerRef } : {},
        actor => rollout.resume(req.params.id, consumerRef, actor),
      ),
    );
  });

  router.post('/migrations/:id/rollout/rollback', async (req, res) => {
    const consumerRef = optionalRef(options, req.body?.consumerRef);
    const reason = req.body?.reason;
    res.json(
      await manage(
        req,
        'rollback',
        { ...(consumerRef ? { consumerRef } : {}), ...(reason ? { reason } : {}) },
        actor => rollout.rollback(req.params.id, consumerRef, reason, actor),
      ),
    );
  });

  router.post(
    '/migrations/:id/consumers/:consumerRef/health',
    async (req, res) => {
      // Signals come from pipelines and monitors (service tokens) as well
      // as from people.
      const credentials = await httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
      const { id } = req.params;
      const consumerRef = options.entityRefField(
        'consumerRef',
        req.params.consumerRef,
      );
      await requireMigration(id);
      if (!(await store.getConsumer(id, consumerRef))) {
        throw new NotFoundError(
          `${consumerRef} is not a consumer in migration ${id}`,
        );
      }
      const observedAt = req.body.observedAt
        ? new Date(req.body.observedAt)
        : new Date();
      if (Number.isNaN(observedAt.getTime())) {
        throw new InputError(
          `observedAt: "${req.body.observedAt}" is not an ISO 8601 time`,
        );
      }
      const principal = credentials.principal as {
        userEntityRef?: string;
        subject?: string;
      };
      res.json(
        await rollout.recordSignal({
          migrationId: id,
          consumerRef,
          signals: req.body.signals,
          observedAt,
          source: `api:${principal.userEntityRef ?? principal.subject}`,
        }),
      );
    },
  );

  router.get(
    '/migrations/:id/consumers/:consumerRef/patch/download',
    async (req, res) => {
      await httpAuth.credentials(req);
      const { id } = req.params;
      const consumerRef = options.entityRefField(
        'consumerRef',
        req.params.consumerRef,
      );
      await requireMigration(id);
      const patch = await store.getCurrentPatch(id, consumerRef);
      if (!patch) {
        throw new NotFoundError(
          `${consumerRef} has no patch in migration ${id}`,
        );
      }
      const name = consumerRef.replace(/[^a-z0-9-]+/g, '-');
      res
        .status(200)
        .type('text/x-diff')
        .set(
          'Content-Disposition',
          `attachment; filename="${name}-v${patch.version}.diff"`,
        )
        .send(patch.diff);
    },
  );

  router.get('/migrations/:id/compat-view', async (req, res) => {
    await httpAuth.credentials(req);
    res.json(await compatViews.get(await requireMigration(req.params.id)));
  });

  router.post('/migrations/:id/compat-view/applied', async (req, res) => {
    res.json(
      await manage(req, 'compat-view-applied', {}, async actor =>
        compatViews.markApplied(await requireMigration(req.params.id), actor),
      ),
    );
  });
}

/** Adds each consumer's wave, delivery and health to a page of consumers. */
export async function withRolloutState(
  rollouts: RolloutStore,
  migrationId: string,
  page: Page<Consumer>,
): Promise<Page<Consumer>> {
  if (!page.items.length) return page;
  const states = new Map(
    (
      await rollouts.listConsumers(
        migrationId,
        page.items.map(c => c.consumerRef),
      )
    ).map(c => [c.consumerRef, c]),
  );
  return {
    ...page,
    items: page.items.map(consumer => {
      const state = states.get(consumer.consumerRef);
      if (!state) return consumer;
      const { state: _methodState, ...delivery } = state.delivery ?? {
        state: undefined,
      };
      return {
        ...consumer,
        wave: state.wave,
        ...(state.delivery ? { delivery: delivery as Consumer['delivery'] } : {}),
        health: state.health,
        ...(state.healthReason ? { healthReason: state.healthReason } : {}),
      };
    }),
  };
}

function optionalRef(
  options: RolloutRouteOptions,
  value: string | undefined,
): string | undefined {
  return value === undefined
    ? undefined
    : options.entityRefField('consumerRef', value).toLocaleLowerCase('en-US');
}
