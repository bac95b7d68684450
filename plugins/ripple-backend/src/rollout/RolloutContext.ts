import type {
  AuditorService,
  AuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { ConflictError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type {
  RippleDeliveryMethod,
  RippleHealthProvider,
} from '@ripple/backstage-plugin-ripple-node';
import type { MigrationStore } from '../database/MigrationStore';
import type { LineageStore } from '../database/LineageStore';
import type { RolloutRecord, RolloutStore } from '../database/RolloutStore';
import type { ValidationStore } from '../database/ValidationStore';
import type { StepStore } from '../database/StepStore';

/** Sends a notification to entities (Backstage's notifications service, when installed). */
export type RolloutNotifier = (notification: {
  recipients: string[];
  title: string;
  description: string;
  link: string;
  scope: string;
  /** Default: high. */
  severity?: 'critical' | 'high' | 'normal' | 'low';
  /** Default: ripple-rollout. */
  topic?: string;
}) => Promise<void>;

export type RolloutServiceOptions = {
  store: MigrationStore;
  rollouts: RolloutStore;
  /** The patches' validations, which a plan with `requireValidation` waits for. */
  validations: Pick<ValidationStore, 'latest'>;
  catalog: CatalogService;
  auth: AuthService;
  config: Config;
  logger: LoggerService;
  deliveryMethods: RippleDeliveryMethod[];
  healthProviders: RippleHealthProvider[];
  notify?: RolloutNotifier;
  /** Audits the auto-approvals as a person's reviews are ('patch-review'). */
  auditor?: AuditorService;
  /** Asks for a run of the rollout task now (after an action). */
  trigger?: () => Promise<void>;
  /**
   * The time windows, freezes and schedules are judged at (docs/rollout.md,
   * "Timing"); the system clock by default, the test's in tests.
   */
  clock?: RolloutClock;
  /** The OpenLineage jobs' datasets: who reads whose output (upstream first). */
  lineage?: Pick<LineageStore, 'datasetsOf'>;
  /**
   * The migrations' step plans (docs/steps.md): with one, no consumer is
   * delivered before its `switch` is done.
   */
  steps?: Pick<StepStore, 'switchState'>;
};

/** Where the rollout reads the time from. */
export type RolloutClock = { now(): Date };

/**
 * What every part of the rollout reads: its options (the stores, the
 * catalog, the config) and a few lookups on them.
 */
export class RolloutContext {
  constructor(readonly options: RolloutServiceOptions) {}

  get store(): MigrationStore {
    return this.options.store;
  }

  get rollouts(): RolloutStore {
    return this.options.rollouts;
  }

  get validations(): Pick<ValidationStore, 'latest'> {
    return this.options.validations;
  }

  get config(): Config {
    return this.options.config;
  }

  get logger(): LoggerService {
    return this.options.logger;
  }

  /** The time, by the options' clock. */
  now(): Date {
    return this.options.clock?.now() ?? new Date();
  }

  /** The started rollout of a migration; 404 without the migration, 409 before the start. */
  async requireRollout(migrationId: string): Promise<RolloutRecord> {
    const record = await this.rollouts.getRollout(migrationId);
    if (!record) {
      const migration = await this.store.getMigration(migrationId);
      if (!migration) throw new NotFoundError(`No migration ${migrationId}`);
      throw new ConflictError(
        `The rollout of migration ${migrationId} has not started (it is ${migration.state})`,
      );
    }
    return record;
  }

  migrationUrl(migrationId: string): string {
    const base = this.config.getOptionalString('app.baseUrl') ?? '';
    return `${base}/ripple/migrations/${migrationId}`;
  }

  /** An entity, read with the plugin's own credentials. */
  async entity(entityRef: string): Promise<Entity | undefined> {
    return this.options.catalog.getEntityByRef(entityRef, {
      credentials: await this.options.auth.getOwnServiceCredentials(),
    });
  }

  /** Entities by ref (those in the catalog), read in chunks of 500. */
  async entities(refs: string[]): Promise<Map<string, Entity>> {
    const result = new Map<string, Entity>();
    if (!refs.length) return result;
    const credentials = await this.options.auth.getOwnServiceCredentials();
    for (let i = 0; i < refs.length; i += 500) {
      const chunk = refs.slice(i, i + 500);
      const { items } = await this.options.catalog.getEntitiesByRefs(
        { entityRefs: chunk },
        { credentials },
      );
      items.forEach((entity, j) => {
        if (entity) result.set(chunk[j], entity);
      });
    }
    return result;
  }

  /** Asks for a run of the scheduled step now; a failure only delays it. */
  async trigger(): Promise<void> {
    await this.options
      .trigger?.()
      .catch(error =>
        this.logger.debug(`Could not trigger the rollout task: ${error}`),
      );
  }
}
