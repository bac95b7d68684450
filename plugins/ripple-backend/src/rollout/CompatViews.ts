import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import type { Entity } from '@backstage/catalog-model';
import { ConflictError } from '@backstage/errors';
import {
  engineSchema,
  isRippleError,
  type CompatView,
  type Dataset,
  type Migration,
} from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, Dialect, RippleEngine } from '@ripple/engine';
import knexFactory from 'knex';
import type { RolloutStore } from '../database/RolloutStore';
import type { CompatViewMark } from '../database/compatViewRows';
import type { DatasetReader } from '../dataset/DatasetReader';
import type { StepStore } from '../database/StepStore';

/**
 * What the compatibility view's gate lets a rollout start with: nothing to
 * record, or the view to record as applied (or overridden) in the start's
 * transaction.
 */
export type CompatViewGate = {
  record?: Omit<CompatViewMark, 'migrationId'>;
};

/**
 * The compatibility view of each migration (docs/rollout.md): its DDL from
 * the engine, whether its owner applied it, and its cleanup once every
 * consumer is merged and healthy. In development a configured connection
 * (`ripple.compatView.connection`) applies it when the rollout starts.
 */
export class CompatViews {
  constructor(
    private readonly options: {
      engine: RippleEngine;
      rollouts: RolloutStore;
      config: Config;
      logger: LoggerService;
      /** Reads the dataset's schema and dialect, which the view is built from. */
      datasets: Pick<DatasetReader, 'read'>;
      /** The dataset's entity (with the plugin's own credentials). */
      entity: (entityRef: string) => Promise<Entity | undefined>;
      /** The step plans: a done `switch` created the view (docs/steps.md). */
      steps?: Pick<StepStore, 'switchState'>;
    },
  ) {}

  async get(migration: Migration): Promise<CompatView> {
    const ddl = await this.ddl(migration);
    const required = movesTable(migration);
    const recorded = await this.options.rollouts.getCompatViewApplied(
      migration.id,
    );
    if (recorded?.overrideReason) {
      return {
        ...('reason' in ddl
          ? { state: 'unavailable', reason: ddl.reason }
          : { state: 'pending', ddl: ddl.create }),
        cleanupOffered: false,
        required,
        overriddenBy: recorded.appliedBy,
        overriddenAt: recorded.appliedAt,
        overrideReason: recorded.overrideReason,
      };
    }
    if ('reason' in ddl) {
      return {
        state: 'unavailable',
        cleanupOffered: false,
        reason: ddl.reason,
        required,
      };
    }
    const applied = recorded;
    if (!applied) {
      return {
        ddl: ddl.create,
        state: 'pending',
        cleanupOffered: false,
        required,
      };
    }
    const notDone = await this.consumersNotDone(migration.id);
    return {
      ddl: ddl.create,
      state: 'applied',
      required,
      ...applied,
      ...(notDone === undefined
        ? { cleanupOffered: true, cleanupDdl: ddl.cleanup }
        : { cleanupOffered: false, reason: notDone }),
    };
  }

  /** Records that the view was applied (by its owner, or by the configured connection). */
  async markApplied(migration: Migration, by: string): Promise<CompatView> {
    const view = await this.get(migration);
    if (view.state === 'unavailable') {
      throw new ConflictError(
        `Migration ${migration.id} has no compatibility view: ${view.reason}`,
      );
    }
    await this.options.rollouts.markCompatViewApplied({
      migrationId: migration.id,
      by,
      how: `by ${by}`,
    });
    return this.get(migration);
  }

  /**
   * Before a rollout starts, once its own checks passed: a change that
   * moves the table needs its view applied, since consumers not yet patched
   * read the old name. Refused (409, saying why and what to do) when the
   * view is not applied, or when the engine cannot build it, unless a
   * person gives `overrideReason`, which the start records (timeline and
   * audit). In development the configured connection applies a pending
   * view here; the start records it applied in its own transaction, so a
   * start refused later marks nothing (the DDL, `CREATE OR REPLACE`, is
   * run again by the next start).
   */
  async gate(
    migration: Migration,
    actor: string,
    overrideReason?: string,
  ): Promise<CompatViewGate> {
    const view = await this.get(migration);
    if (
      view.state === 'applied' ||
      view.overrideReason ||
      (view.state === 'unavailable' && !view.required)
    ) {
      return {};
    }
    // The step plan's switch made the view under the dataset's name: it is
    // applied, by the switch.
    if ((await this.options.steps?.switchState(migration.id)) === 'done') {
      return {
        record: { by: actor, how: "by the step plan's switch" },
      };
    }
    if (overrideReason) {
      return {
        record: {
          by: actor,
          how: 'overridden',
          overrideReason,
        },
      };
    }
    if (view.state === 'unavailable') {
      throw new ConflictError(
        `Migration ${migration.id} moves the table, but its compatibility view cannot be built: ${view.reason}. Consumers not yet patched would break when the table moves; to start anyway, give overrideCompatView with the reason`,
      );
    }
    const connection = this.options.config.getOptional(
      'ripple.compatView.connection',
    );
    if (connection === undefined) {
      if (
        this.options.config.getOptionalBoolean(
          'ripple.rollout.requireCompatView',
        ) === false
      ) {
        return {};
      }
      throw new ConflictError(
        `Apply the compatibility view of migration ${migration.id} first (GET /migrations/${migration.id}/compat-view gives its DDL), then mark it applied (POST /migrations/${migration.id}/compat-view/applied): consumers not yet patched read the dataset through it`,
      );
    }
    await this.applyThroughConnection(migration, view.ddl!, connection);
    return {
      record: {
        by: actor,
        how: 'through the configured connection (ripple.compatView.connection)',
      },
    };
  }

  private async applyThroughConnection(
    migration: Migration,
    ddl: string,
    connection: unknown,
  ): Promise<void> {
    const db = knexFactory({
      client:
        this.options.config.getOptionalString('ripple.compatView.client') ??
        'pg',
      connection: connection as any,
    });
    try {
      await db.raw(ddl);
    } catch (error) {
      throw new ConflictError(
        `The compatibility view of migration ${
          migration.id
        } could not be applied through ripple.compatView.connection: ${
          (error as Error).message
        }`,
      );
    } finally {
      await db.destroy();
    }
    this.options.logger.info(
      `Compatibility view of migration ${migration.id} applied through ripple.compatView.connection`,
    );
  }

  /**
   * The view's DDL from the engine, given the dataset's columns (with their
   * types) and dialect: without them the engine cannot write a dropped or
   * retyped column, nor leave a renamed one out in a dialect without
   * `* EXCEPT`, and would refuse the view exactly when it matters.
   */
  private async ddl(
    migration: Migration,
  ): Promise<{ create: string; cleanup: string } | { reason: string }> {
    const change = migration.change as unknown as ChangeSpec;
    let dataset: Dataset | undefined;
    try {
      const entity = await this.options.entity(migration.datasetRef);
      dataset = entity && (await this.options.datasets.read(entity));
    } catch (error) {
      return {
        reason: `the dataset ${migration.datasetRef} cannot be read: ${
          (error as Error).message
        }`,
      };
    }
    const dialect = (dataset?.dialect ?? change.dialect) as Dialect | undefined;
    try {
      const view = this.options.engine.compatView(change, {
        ...(dialect ? { dialect } : {}),
        ...(dataset?.columns.length
          ? { schema: engineSchema(change.dataset, dataset.columns) }
          : {}),
      });
      return { create: view.create, cleanup: view.cleanup };
    } catch (error) {
      if (isRippleError(error)) {
        return { reason: error.message };
      }
      throw error;
    }
  }

  /** Why cleanup is not offered yet, or undefined when every consumer is merged and healthy. */
  private async consumersNotDone(
    migrationId: string,
  ): Promise<string | undefined> {
    const rollout = await this.options.rollouts.getRollout(migrationId);
    if (!rollout) {
      return 'the rollout has not started';
    }
    const consumers = await this.options.rollouts.listConsumers(migrationId);
    const notMerged = consumers.filter(c => c.delivery?.status !== 'merged');
    const unhealthy = consumers.filter(c => c.health === 'unhealthy');
    if (!notMerged.length && !unhealthy.length) {
      return undefined;
    }
    const parts = [];
    if (notMerged.length) {
      parts.push(`${notMerged.length} consumer(s) not merged yet`);
    }
    if (unhealthy.length) {
      parts.push(`${unhealthy.length} unhealthy`);
    }
    return `kept: ${parts.join(', ')}`;
  }
}

/** Whether the change moves the table, so that its old name must become a view. */
function movesTable(migration: Migration): boolean {
  const change = migration.change as unknown as ChangeSpec;
  return (change.changes ?? []).some(
    c => c.kind === 'rename_table' || c.kind === 'replace_table',
  );
}
