import type { HttpAuthService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import type { JsonObject } from '@backstage/types';
import {
  Migration,
  rippleHealthReportPermission,
  rippleRolloutManagePermission,
} from '@ripple/backstage-plugin-ripple-common';
import type express from 'express';
import type { MigrationStore } from '../database/MigrationStore';
import type { MigrationService } from '../migration/MigrationService';
import type { CompatViews } from '../rollout/CompatViews';
import type { RolloutService } from '../rollout/RolloutService';
import type { ApiRouter } from './routeContext';
import type { Access } from './access';
import type { ConsumerVisibility } from '../migration/visibility';
import { checkObservedAt } from '../rollout/healthJudgement';

/** What the rollout's routes need from the main router. */
export type RolloutRouteOptions = {
  store: MigrationStore;
  migrations: Pick<MigrationService, 'require'>;
  rollout: RolloutService;
  compatViews: CompatViews;
  httpAuth: HttpAuthService;
  audited: Access['audited'];
  authorize: Access['authorize'];
  visibility: ConsumerVisibility;
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
  const { store, rollout, compatViews, httpAuth, audited, authorize } = options;
  const { visibility } = options;

  const requireMigration = (id: string) => options.migrations.require(id);

  /**
   * An action on the rollout: a user, `ripple.rollout.manage` on the
   * migration's dataset (so a policy can keep it to the dataset's owners),
   * audited.
   */
  async function manage<T>(
    req: express.Request<{ id: string }>,
    action: string,
    meta: JsonObject,
    run: (actor: string, migration: Migration) => Promise<T>,
    verb = `${action} the rollouts of`,
  ): Promise<T> {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    return audited(
      req,
      `rollout-${action}`,
      { migrationId: req.params.id, ...meta },
      async () => {
        const migration = await requireMigration(req.params.id);
        await authorize(
          credentials,
          rippleRolloutManagePermission,
          migration.datasetRef,
          verb,
        );
        return run(credentials.principal.userEntityRef, migration);
      },
    );
  }

  router.get('/migrations/:id/rollout', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const shown = await rollout.getRollout(
      await requireMigration(req.params.id),
    );
    // The waves name only the consumers the caller may see.
    const visible = await visibility.visible(credentials, [
      ...shown.waves.flatMap(w => w.consumers),
      ...(shown.waiting ?? []).map(w => w.consumerRef),
    ]);
    // A pause's reason names the consumer that breached, the gate's the
    // consumers that hold the wave.
    const [redacted] = await visibility.redact(
      credentials,
      [shown],
      r => [
        r.pausedReason,
        r.gateReason,
        ...(r.waiting ?? []).map(w => w.reason),
      ],
      (r, hide) => ({
        ...r,
        ...(r.pausedReason ? { pausedReason: hide(r.pausedReason) } : {}),
        ...(r.gateReason ? { gateReason: hide(r.gateReason) } : {}),
        // A wait names its upstream consumers (and the waiting consumers
        // the caller may not read are left out below).
        ...(r.waiting
          ? { waiting: r.waiting.map(w => ({ ...w, reason: hide(w.reason) })) }
          : {}),
      }),
    );
    const waiting = redacted.waiting?.filter(w =>
      visible.has(w.consumerRef.toLocaleLowerCase('en-US')),
    );
    res.json({
      ...redacted,
      ...(redacted.waiting ? { waiting } : {}),
      waves: shown.waves.map(wave => ({
        ...wave,
        consumers: wave.consumers.filter(c =>
          visible.has(c.toLocaleLowerCase('en-US')),
        ),
      })),
    });
  });

  router.post('/migrations/:id/rollout/start', async (req, res) => {
    const plan = req.body?.plan;
    const override = req.body?.overrideCompatView;
    const confirmConsumers = req.body?.confirmConsumers;
    res.json(
      await manage(
        req,
        'start',
        {
          ...(plan ? { plan: plan as JsonObject } : {}),
          ...(override ? { overrideCompatView: override } : {}),
          ...(confirmConsumers !== undefined ? { confirmConsumers } : {}),
        },
        // The compatibility view's gate runs inside the start, after its
        // own checks and before its transaction, which records the view as
        // applied (or overridden): a start refused records nothing.
        (actor, migration) =>
          rollout.start(migration, plan, actor, {
            compatView: () => compatViews.gate(migration, actor, override),
            confirmConsumers,
          }),
      ),
    );
  });

  router.post('/migrations/:id/rollout/advance', async (req, res) => {
    const wave = req.body?.wave;
    res.json(
      await manage(req, 'advance', wave !== undefined ? { wave } : {}, actor =>
        rollout.advance(req.params.id, wave, actor),
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
      await manage(req, 'resume', consumerRef ? { consumerRef } : {}, actor =>
        rollout.resume(req.params.id, consumerRef, actor),
      ),
    );
  });

  // The kill switch (docs/rollout.md): permission-checked and audited as a
  // pause is, but on the migration: it holds the agent too.
  router.post('/migrations/:id/automation/stop', async (req, res) => {
    const reason = req.body?.reason;
    res.json(
      await manage(
        req,
        'automation-stop',
        reason ? { reason } : {},
        actor => rollout.stopAutomation(req.params.id, reason, actor),
        'stop the automation of the migrations of',
      ),
    );
  });

  router.post('/migrations/:id/automation/resume', async (req, res) => {
    res.json(
      await manage(
        req,
        'automation-resume',
        {},
        actor => rollout.resumeAutomation(req.params.id, actor),
        'resume the automation of the migrations of',
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
        {
          ...(consumerRef ? { consumerRef } : {}),
          ...(reason ? { reason } : {}),
        },
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
      const principal = credentials.principal as {
        userEntityRef?: string;
        subject?: string;
      };
      const source = `api:${principal.userEntityRef ?? principal.subject}`;
      // Every signal is audited, refused ones included: a breach pauses a
      // rollout, and a healthy signal can let it advance.
      const verdict = await audited(
        req,
        'health-report',
        {
          migrationId: id,
          consumerRef,
          source,
          signals: req.body.signals as JsonObject,
          ...(req.body.observedAt ? { observedAt: req.body.observedAt } : {}),
        },
        async () => {
          await requireMigration(id);
          if (!(await store.getConsumer(id, consumerRef))) {
            throw new NotFoundError(
              `${consumerRef} is not a consumer in migration ${id}`,
            );
          }
          // On the consumer's entity: the dev portal's policy allows it to
          // service principals and the consumer's owners.
          await authorize(
            credentials,
            rippleHealthReportPermission,
            consumerRef,
            'report the health of',
          );
          return rollout.recordSignal({
            migrationId: id,
            consumerRef,
            signals: req.body.signals,
            observedAt: checkObservedAt(req.body.observedAt),
            source,
          });
        },
      );
      res.json(verdict);
    },
  );

  router.get(
    '/migrations/:id/consumers/:consumerRef/patch/download',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req);
      const { id } = req.params;
      const consumerRef = options.entityRefField(
        'consumerRef',
        req.params.consumerRef,
      );
      await requireMigration(id);
      const patch = await store.getCurrentPatch(id, consumerRef);
      if (
        !patch ||
        !(await visibility.visible(credentials, [consumerRef])).size
      ) {
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
      await manage(req, 'compat-view-applied', {}, (actor, migration) =>
        compatViews.markApplied(migration, actor),
      ),
    );
  });
}

function optionalRef(
  options: RolloutRouteOptions,
  value: string | undefined,
): string | undefined {
  return value === undefined
    ? undefined
    : options.entityRefField('consumerRef', value).toLocaleLowerCase('en-US');
}
