import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { ConflictError } from '@backstage/errors';
import type {
  CompatView,
  Migration,
} from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, RippleEngine } from '@ripple/engine';
import knexFactory from 'knex';
import { RolloutStore } from '../database/RolloutStore';
import { isRippleError } from '../service/changeSpec';

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
    },
  ) {}

  async get(migration: Migration): Promise<CompatView> {
    const ddl = this.ddl(migration);
    if ('reason' in ddl) {
      return { state: 'unavailable', cleanupOffered: false, reason: ddl.reason };
    }
    const applied = await this.options.rollouts.getCompatViewApplied(
      migration.id,
    );
    if (!applied) {
      return { ddl: ddl.create, state: 'pending', cleanupOffered: false };
    }
    const notDone = await this.consumersNotDone(migration.id);
    return {
      ddl: ddl.create,
      state: 'applied',
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
   * Before a rollout starts: the view must be applied (when the change has
   * one), through the configured connection if there is one. Otherwise a
   * 409 says what to do.
   */
  async ensureApplied(migration: Migration, actor: string): Promise<void> {
    const view = await this.get(migration);
    if (view.state !== 'pending') return;
    const connection = this.options.config.getOptional(
      'ripple.compatView.connection',
    );
    if (connection === undefined) {
      if (
        this.options.config.getOptionalBoolean(
          'ripple.rollout.requireCompatView',
        ) === false
      ) {
        return;
      }
      throw new ConflictError(
        `Apply the compatibility view of migration ${migration.id} first (GET /migrations/${migration.id}/compat-view gives its DDL), then mark it applied (POST /migrations/${migration.id}/compat-view/applied): consumers not yet patched read the dataset through it`,
      );
    }
    const db = knexFactory({
      client:
        this.options.config.getOptionalString('ripple.compatView.client') ??
        'pg',
      connection: connection as any,
    });
    try {
      await db.raw(view.ddl!);
    } catch (error) {
      throw new ConflictError(
        `The compatibility view of migration ${migration.id} could not be applied through ripple.compatView.connection: ${
          (error as Error).message
        }`,
      );
    } finally {
      await db.destroy();
    }
    this.options.logger.info(
      `Compatibility view of migration ${migration.id} applied through ripple.compatView.connection`,
    );
    await this.options.rollouts.markCompatViewApplied({
      migrationId: migration.id,
      by: actor,
      how: 'through the configured connection (ripple.compatView.connection)',
    });
  }

  private ddl(
    migration: Migration,
  ): { create: string; cleanup: string } | { reason: string } {
    try {
      const view = this.options.engine.compatView(
        migration.change as unknown as ChangeSpec,
      );
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
