import type {
  AuditorService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import { ConflictError } from '@backstage/errors';
import type {
  Migration,
  Validation,
  ValidationStatement,
} from '@ripple/backstage-plugin-ripple-common';
import type {
  RippleWarehouse,
  ValidationSample,
} from '@ripple/backstage-plugin-ripple-node';
import type { ChangeSpec, RippleEngine } from '@ripple/engine';
import type { ConsumerFinder } from '../agent/ConsumerFinder';
import type { ConsumerSources } from '../agent/ConsumerSources';
import { hashCode } from '../agent/proposePatch';
import type { MigrationStore } from '../database/MigrationStore';
import type {
  ValidationResult,
  ValidationStore,
  ValidationTask,
} from '../database/ValidationStore';
import type { DatasetReader } from '../dataset/DatasetReader';
import {
  ANNOTATION_RIPPLE_WAREHOUSE,
  datasetWarehouse,
} from '../dataset/warehouse';
import { patchedFiles } from './patchedFiles';
import { consumerSampleValues, type SampleValues } from './sampleValues';
import type { PatchedFile } from './statements';
import { type PatchLimits, validatePatch } from './validatePatch';

/** The warehouses validations run on (`RippleWarehouses`). */
export type Warehouses = {
  ids(): string[];
  get(id: string): Promise<RippleWarehouse> | undefined;
};

/** `ripple.validation`: how much a validation may cost, and how many run at once. */
export type ValidationLimits = PatchLimits & {
  /** Validations running at once on one warehouse. */
  concurrencyPerWarehouse: number;
  /** After this long a claimed validation is taken again (its runner died). */
  claimTimeoutMs: number;
  /** Tasks taken per run. */
  batch: number;
};

/** A dataset whose consumers are validated, and where. */
type Target = {
  warehouse: string;
  error?: string;
  sample?: ValidationSample;
  entity: Entity;
};

/**
 * Validates consumers' patches on their dataset's warehouse in the
 * background (docs/validation.md): each current patch with an edit of a
 * dataset that names a warehouse (`ripple.io/warehouse`) once per version,
 * and again when someone asks. Each result is recorded on the patch version
 * with its `validation-recorded` event and an audit event. A warehouse's
 * failures, an unknown warehouse id and a patch that does not apply are
 * `error` results naming the cause; nothing here stops the other
 * validations.
 */
export class ValidationService {
  constructor(
    private readonly options: {
      validations: ValidationStore;
      store: Pick<MigrationStore, 'getCurrentPatch'>;
      engine: Pick<
        RippleEngine,
        'analyze' | 'rewrite' | 'forwardView' | 'bindParameters'
      >;
      finder: Pick<ConsumerFinder, 'get'>;
      sources: ConsumerSources;
      datasets: Pick<DatasetReader, 'read'>;
      warehouses: Warehouses;
      limits: ValidationLimits;
      logger: LoggerService;
      auditor?: AuditorService;
      /** Runs the background task soon (after a request). */
      trigger?: () => Promise<void>;
      /**
       * Told of each validation recorded: the plugin runs the rollout's
       * step then, so that a plan requiring validation auto-approves,
       * delivers or advances as soon as a validation passes (and pauses as
       * soon as one fails), not only at its next scheduled run.
       */
      onRecorded?: (validation: Validation) => Promise<void>;
    },
  ) {}

  /** One pass of the background task: a batch of due validations. */
  async runOnce(signal?: AbortSignal): Promise<void> {
    const { validations, limits } = this.options;
    const targets = await this.targets();
    if (!targets.size) return;
    const claimedBefore = new Date(Date.now() - limits.claimTimeoutMs);
    const tasks = await validations.listTasks({
      datasetRefs: [...targets.keys()],
      claimedBefore,
      limit: limits.batch,
    });
    const byWarehouse = new Map<string, ValidationTask[]>();
    for (const task of tasks) {
      const target = targets.get(task.datasetRef)!;
      byWarehouse.set(target.warehouse, [
        ...(byWarehouse.get(target.warehouse) ?? []),
        task,
      ]);
    }
    const columns = new Map<string, Promise<DatasetColumns>>();
    await Promise.all(
      [...byWarehouse.values()].map(queue =>
        // The cap per warehouse: that many workers take its tasks in turn.
        Promise.all(
          Array.from(
            { length: Math.min(limits.concurrencyPerWarehouse, queue.length) },
            async () => {
              while (queue.length && !signal?.aborted) {
                const task = queue.shift()!;
                const target = targets.get(task.datasetRef)!;
                if (!columns.has(task.datasetRef)) {
                  columns.set(task.datasetRef, this.columns(target.entity));
                }
                await this.validate(
                  task,
                  target,
                  await columns.get(task.datasetRef)!,
                  claimedBefore,
                ).catch(error =>
                  // Code that cannot be read now: tried again next run.
                  this.options.logger.warn(
                    `Validation of ${task.consumerRef} in migration ${task.migrationId} left for the next run: ${error}`,
                  ),
                );
              }
            },
          ),
        ),
      ),
    );
  }

  /**
   * Asks for the consumer's current patch to be validated again (a 409 when
   * there is nothing to validate: no patch with an edit, a stale one, a
   * dataset naming no warehouse). The consumer was checked by the caller.
   */
  async request(
    migration: Migration,
    consumerRef: string,
    requestedBy: string,
  ): Promise<Validation> {
    const { store, finder, validations, warehouses } = this.options;
    const patch = await store.getCurrentPatch(migration.id, consumerRef);
    if (!patch) {
      throw new ConflictError(
        `${consumerRef} has no patch to validate: the migration is ${migration.state}`,
      );
    }
    if (patch.stale) {
      throw new ConflictError(
        `Patch ${patch.id} of ${consumerRef} is stale: its new version is validated once the agent proposes it`,
      );
    }
    if (!patch.diff) {
      throw new ConflictError(
        `Patch ${patch.id} of ${consumerRef} has no edit: there is no patched query to validate`,
      );
    }
    const dataset = await finder.get(migration.datasetRef);
    const target = dataset && datasetWarehouse(dataset, warehouses.ids());
    if (!target) {
      throw new ConflictError(
        `${migration.datasetRef} names no warehouse (annotation ${ANNOTATION_RIPPLE_WAREHOUSE}): its consumers are not validated`,
      );
    }
    const validation = await validations.request({
      migrationId: migration.id,
      consumerRef,
      patchId: patch.id,
      warehouse: target.id,
      requestedBy,
    });
    await this.options.trigger?.().catch(() => {});
    return validation;
  }

  /** The datasets of open migrations that name a warehouse, by ref. */
  private async targets(): Promise<Map<string, Target>> {
    const { validations, finder, warehouses } = this.options;
    const targets = new Map<string, Target>();
    for (const datasetRef of await validations.listDatasets()) {
      const entity = await finder.get(datasetRef).catch(() => undefined);
      const target = entity && datasetWarehouse(entity, warehouses.ids());
      if (entity && target) {
        targets.set(datasetRef, {
          warehouse: target.id,
          error: target.error,
          sample: target.sample,
          entity,
        });
      }
    }
    return targets;
  }

  private async columns(entity: Entity): Promise<DatasetColumns> {
    try {
      return { columns: (await this.options.datasets.read(entity)).columns };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  private async validate(
    task: ValidationTask,
    target: Target,
    dataset: DatasetColumns,
    claimedBefore: Date,
  ): Promise<void> {
    const { finder, sources, validations, warehouses, engine, limits } =
      this.options;
    let failure = target.error ?? dataset.error;
    let files: PatchedFile[] = [];
    let sampleValues: SampleValues | undefined;
    if (!failure) {
      const consumer = await finder.get(task.consumerRef);
      sampleValues = consumer && consumerSampleValues(consumer);
      const code = consumer && (await sources.read(consumer));
      // Changed code: the refresh makes the patch stale and proposes a new
      // version, which is validated then.
      if (!code || hashCode(code) !== task.baseHash) return;
      const applied = await patchedFiles(code, task.diff);
      if ('conflict' in applied) {
        failure = `the patch does not apply to the code it was made from: ${applied.conflict}`;
      } else {
        files = applied.files;
      }
    }
    const claim = await validations.claim(
      task,
      target.warehouse,
      claimedBefore,
    );
    if (!claim) return;
    let result: ValidationResult;
    if (failure) {
      result = {
        status: 'error',
        reason: failure,
        statements: [],
        durationMs: 0,
      };
    } else {
      const started = Date.now();
      try {
        const warehouse = await warehouses.get(target.warehouse)!;
        const validation = await validatePatch({
          engine,
          warehouse,
          change: task.change as unknown as ChangeSpec,
          columns: dataset.columns,
          files,
          sample: target.sample,
          sampleValues,
          limits,
        });
        result = {
          status: validation.status,
          reason: validation.reason,
          statements: validation.statements as ValidationStatement[],
          durationMs: validation.durationMs,
          sample: validation.sample,
          bytesProcessed: validation.bytesProcessed,
        };
      } catch (error) {
        // The warehouse could not even be connected to.
        result = {
          status: 'error',
          reason: (error as Error).message,
          statements: [],
          durationMs: Date.now() - started,
        };
      }
    }
    if (result.status === 'skipped' && !result.reason?.trim()) {
      // validatePatch names the reason of every skip; a skip without one
      // would be a defect here, and must not count as validated for a
      // rollout plan that requires validation.
      result = {
        ...result,
        status: 'error',
        reason:
          'the validation was skipped without a reason (a defect of Ripple: every skip names its reason)',
      };
    }
    const recorded = await validations.finish(claim, result);
    if (!recorded) return;
    await this.options
      .onRecorded?.(recorded)
      .catch(error =>
        this.options.logger.warn(
          `After the validation of ${task.consumerRef} in migration ${task.migrationId}: ${error}`,
        ),
      );
    const event = await this.options.auditor?.createEvent({
      eventId: 'patch-validation',
      severityLevel: 'low',
      meta: {
        migrationId: task.migrationId,
        consumerRef: task.consumerRef,
        patchId: task.patchId,
        validationId: recorded.id,
        warehouse: target.warehouse,
        status: recorded.status,
      },
    });
    await (recorded.status === 'error'
      ? event?.fail({ error: new Error(recorded.reason ?? 'error') })
      : event?.success());
  }
}

type DatasetColumns = {
  columns?: { name: string; type?: string }[];
  error?: string;
};
