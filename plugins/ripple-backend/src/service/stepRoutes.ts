import type { HttpAuthService } from '@backstage/backend-plugin-api';
import type { JsonObject } from '@backstage/types';
import {
  type Migration,
  rippleStepRunPermission,
} from '@ripple/backstage-plugin-ripple-common';
import type express from 'express';
import type { MigrationService } from '../migration/MigrationService';
import type { StepService } from '../steps/StepService';
import type { StepName } from '../steps/stepPlan';
import type { Access } from './access';
import type { ApiRouter } from './routeContext';

/** What a denial says the person may not do. */
const VERBS: Record<string, string> = {
  plan: 'make the step plan of',
  run: 'run the steps of',
  retry: 'retry the steps of',
  rollback: 'roll back the steps of',
  done: 'mark done the steps of',
  approve: 'approve the contract of',
};

/** What the steps' routes need from the main router. */
export type StepRouteOptions = {
  migrations: Pick<MigrationService, 'require'>;
  steps: StepService;
  httpAuth: HttpAuthService;
  audited: Access['audited'];
  authorize: Access['authorize'];
};

/**
 * The steps' routes (docs/steps.md): the plan with every statement (the
 * dry run), and each step's actions. Every action is a user's, needs
 * `ripple.step.run` on the migration's dataset (its owners in the dev
 * portal's policy, as cancelling), and is audited; the store records each
 * as a `step-*` event on the timeline.
 */
export function addStepRoutes(
  router: ApiRouter,
  options: StepRouteOptions,
): void {
  const { steps, httpAuth, audited, authorize } = options;

  async function act<T>(
    req: express.Request<{ id: string; step?: string }>,
    action: string,
    meta: JsonObject,
    run: (actor: string, migration: Migration) => Promise<T>,
  ): Promise<T> {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    return audited(
      req,
      `step-${action}`,
      {
        migrationId: req.params.id,
        ...(req.params.step ? { step: req.params.step } : {}),
        ...meta,
      },
      async () => {
        const migration = await options.migrations.require(req.params.id);
        await authorize(
          credentials,
          rippleStepRunPermission,
          migration.datasetRef,
          `${VERBS[action] ?? action} the migrations of`,
        );
        return run(credentials.principal.userEntityRef, migration);
      },
    );
  }

  router.get('/migrations/:id/steps', async (req, res) => {
    await httpAuth.credentials(req);
    res.json(await steps.get(await options.migrations.require(req.params.id)));
  });

  router.post('/migrations/:id/steps', async (req, res) => {
    const body = req.body ?? {};
    const view = await act(
      req,
      'plan',
      {
        ...(body.key !== undefined ? { key: body.key } : {}),
        ...(body.batchRows !== undefined ? { batchRows: body.batchRows } : {}),
      },
      (actor, migration) => steps.create(migration, body, actor),
    );
    res.status(201).json(view);
  });

  router.get('/migrations/:id/steps/:step', async (req, res) => {
    await httpAuth.credentials(req);
    const view = await steps.get(
      await options.migrations.require(req.params.id),
    );
    res.json(view.steps.find(s => s.name === req.params.step)!);
  });

  router.post('/migrations/:id/steps/:step/run', async (req, res) => {
    const name = req.params.step as StepName;
    res.json(
      await act(req, 'run', {}, (actor, migration) =>
        steps.run(migration, name, actor),
      ),
    );
  });

  router.post('/migrations/:id/steps/:step/retry', async (req, res) => {
    const name = req.params.step as StepName;
    res.json(
      await act(req, 'retry', {}, (actor, migration) =>
        steps.retry(migration, name, actor),
      ),
    );
  });

  router.post('/migrations/:id/steps/:step/rollback', async (req, res) => {
    const name = req.params.step as StepName;
    const note = req.body?.note;
    res.json(
      await act(req, 'rollback', note ? { note } : {}, (actor, migration) =>
        steps.rollback(migration, name, actor, note),
      ),
    );
  });

  router.post('/migrations/:id/steps/:step/done', async (req, res) => {
    const name = req.params.step as StepName;
    const note = req.body?.note;
    res.json(
      await act(req, 'done', note ? { note } : {}, (actor, migration) =>
        steps.markDone(migration, name, actor, note),
      ),
    );
  });

  router.post('/migrations/:id/steps/:step/approve', async (req, res) => {
    const name = req.params.step as StepName;
    const note = req.body?.note;
    res.json(
      await act(req, 'approve', note ? { note } : {}, (actor, migration) =>
        steps.approve(migration, name, actor, note),
      ),
    );
  });
}
