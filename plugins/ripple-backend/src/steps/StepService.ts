import type { Entity } from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  engineSchema,
  type Migration,
} from '@ripple/backstage-plugin-ripple-common';
import type {
  RippleWarehouse,
  WarehouseStepsMode,
} from '@ripple/backstage-plugin-ripple-node';
import type { ChangeSpec, Dialect, RippleEngine } from '@ripple/engine';
import type { RolloutStore } from '../database/RolloutStore';
import type {
  StepPlanRecord,
  StepRecord,
  StepStore,
} from '../database/StepStore';
import { datasetWarehouse } from '../dataset/warehouse';
import type { DatasetReader } from '../dataset/DatasetReader';
import type { RolloutService } from '../rollout/RolloutService';
import type { StepPlanView } from '../schema/openapi/generated/models';
import { isTrue } from './StepRunner';
import { makeStepPlan, planStep, STEP_NAMES, type StepName } from './stepPlan';
import { stepPlanView } from './stepView';

/** The warehouses of `ripple.warehouses`, as the steps use them. */
export type StepServiceWarehouses = {
  ids(): string[];
  stepsMode(id: string): WarehouseStepsMode;
  get(id: string): Promise<RippleWarehouse> | undefined;
};

export type StepServiceOptions = {
  steps: StepStore;
  engine: RippleEngine;
  warehouses: StepServiceWarehouses;
  datasets: Pick<DatasetReader, 'read'>;
  /** The dataset's entity (with the plugin's own credentials). */
  entity(entityRef: string): Promise<Entity | undefined>;
  rollouts: Pick<RolloutStore, 'getRollout' | 'listConsumers'>;
  rollout: Pick<RolloutService, 'rollback'>;
  /** How many consumers the migration has (none: no rollout to wait for). */
  consumerCount(migrationId: string): Promise<number>;
  /** Every consumer merged and healthy this long before the contract. */
  retentionHours: number;
  now(): Date;
  /** Asks for a run of the step runner now. */
  trigger(): Promise<void>;
  /** Why no step runs now (a freeze); undefined when they may. */
  wait?: () => string | undefined;
};

/**
 * A migration's steps on the dataset's warehouse (docs/steps.md): the plan
 * from the engine, and what people do with it. The runner
 * (`StepRunner`) runs what they start; rollbacks and approvals run here,
 * while the person waits, each one warehouse transaction.
 */
export class StepService {
  constructor(private readonly options: StepServiceOptions) {}

  async get(migration: Migration): Promise<StepPlanView> {
    const record = await this.require(migration.id);
    // The contract's wait reads every consumer of the rollout: only asked
    // when the contract is the next step (the page polls this every 2 s).
    const next = record.steps.find(s => s.state !== 'done');
    const contractWait =
      next?.name === 'contract'
        ? await this.contractWait(migration.id)
        : undefined;
    return stepPlanView(record, contractWait, {
      frozen: this.options.wait?.(),
      stopped: migration.stopped
        ? `automation stopped by ${migration.stopped.by} (the kill switch)`
        : undefined,
    });
  }

  async create(
    migration: Migration,
    body: { key?: string; batchRows?: number },
    actor: string,
  ): Promise<StepPlanView> {
    const { steps, warehouses } = this.options;
    if (await steps.getPlan(migration.id)) {
      throw new ConflictError(
        `Migration ${migration.id} has a step plan already`,
      );
    }
    const entity = await this.options.entity(migration.datasetRef);
    if (!entity) {
      throw new NotFoundError(
        `No dataset ${migration.datasetRef} in the catalog`,
      );
    }
    const target = datasetWarehouse(entity, warehouses.ids());
    if (!target) {
      throw new InputError(
        `${migration.datasetRef} names no warehouse (annotation ripple.io/warehouse): a step plan runs on the dataset's warehouse`,
      );
    }
    if (target.error) throw new InputError(target.error);
    const dataset = await this.options.datasets.read(entity);
    const change = migration.change as unknown as ChangeSpec;
    const schema = engineSchema(change.dataset, dataset.columns);
    if (!schema) {
      throw new InputError(
        `${migration.datasetRef} has no columns (annotation ripple.io/schema): the new table is created from them`,
      );
    }
    const plan = makeStepPlan(this.options.engine, change, {
      ...(dataset.dialect ?? change.dialect
        ? { dialect: (dataset.dialect ?? change.dialect) as Dialect }
        : {}),
      schema,
      ...(body.key !== undefined ? { key: body.key } : {}),
      ...(body.batchRows !== undefined ? { batch_rows: body.batchRows } : {}),
    });
    const created = await steps.createPlan({
      migrationId: migration.id,
      plan,
      warehouse: target.id,
      mode: warehouses.stepsMode(target.id),
      actor,
    });
    if (!created) {
      throw new ConflictError(
        `Migration ${migration.id} has a step plan already`,
      );
    }
    return this.get(migration);
  }

  /** Starts the next step (run mode); the runner runs it. */
  async run(migration: Migration, name: StepName, actor: string) {
    const record = await this.require(migration.id);
    if (record.mode !== 'run') {
      throw new ConflictError(
        `The steps of migration ${migration.id} are handed over (ripple.warehouses.${record.warehouse}.steps): a person runs them and marks each done`,
      );
    }
    const step = await this.nextStep(record, name, migration.id);
    if (step.state !== 'pending' && step.state !== 'rolled-back') {
      throw new ConflictError(
        `Step ${name} is ${step.state}${
          step.state === 'failed' ? ': retry it, or roll it back' : ''
        }`,
      );
    }
    return this.start(migration, name, ['pending', 'rolled-back'], actor);
  }

  /** Runs a failed step again, from its checkpoint for a backfill. */
  async retry(migration: Migration, name: StepName, actor: string) {
    const record = await this.require(migration.id);
    if (record.mode !== 'run') {
      throw new ConflictError(
        `The steps of migration ${migration.id} are handed over: a person runs them and marks each done`,
      );
    }
    const step = stepOf(record, name);
    if (step.state !== 'failed') {
      throw new ConflictError(`Step ${name} is ${step.state}, not failed`);
    }
    if (name === 'contract') await this.requireContractReady(migration.id);
    return this.start(migration, name, ['failed'], actor);
  }

  /** Hand-over: a person ran the next step. */
  async markDone(
    migration: Migration,
    name: StepName,
    actor: string,
    note?: string,
  ) {
    const record = await this.require(migration.id);
    if (record.mode !== 'hand-over') {
      throw new ConflictError(
        `Ripple runs the steps of migration ${migration.id} (ripple.warehouses.${record.warehouse}.steps: run): run the step instead`,
      );
    }
    const step = await this.nextStep(record, name, migration.id);
    if (step.state === 'running') {
      throw new ConflictError(`Step ${name} is running`);
    }
    if (
      !(await this.options.steps.markDone({
        migrationId: migration.id,
        name,
        actor,
        note,
      }))
    ) {
      throw new ConflictError(`Step ${name} changed meanwhile: read it again`);
    }
    return this.get(migration);
  }

  /**
   * Rolls back the last step done (or failed): its rollback statements in
   * one warehouse transaction (run mode), restoring the state before it.
   * The switch, once consumers were delivered, first reverts their
   * deliveries through the rollout's rollback: their patches read the new
   * names, which the rollback takes away.
   */
  async rollback(
    migration: Migration,
    name: StepName,
    actor: string,
    note?: string,
  ) {
    const record = await this.require(migration.id);
    const step = stepOf(record, name);
    const later = record.steps.slice(STEP_NAMES.indexOf(name) + 1);
    if (step.state !== 'done' && step.state !== 'failed') {
      throw new ConflictError(
        `Step ${name} is ${step.state}: only a step done (or failed) is rolled back`,
      );
    }
    const blocking = [...later]
      .reverse()
      .find(s => s.state !== 'pending' && s.state !== 'rolled-back');
    if (blocking) {
      throw new ConflictError(
        `Roll back ${blocking.name} first (it is ${blocking.state}): steps are rolled back from the last one`,
      );
    }
    if (name === 'contract' && step.approvedAt) {
      throw new ConflictError(
        "The contract's approval statements ran: the old data is gone, and the contract has no rollback",
      );
    }
    if (name === 'switch') await this.revertDeliveries(migration.id, actor);
    if (record.mode === 'run') {
      const steps = await this.warehouseSteps(record);
      const definition = planStep(record.plan, name);
      // Idempotent after a kill: a step whose effect is not in place (its
      // rollback committed, or it failed before committing) runs nothing.
      const inPlace = definition.applied
        ? isTrue((await steps.query(definition.applied)).rows[0]?.[0] ?? null)
        : true;
      if (inPlace && definition.rollback.length) {
        await steps.run(definition.rollback).catch(error => {
          throw new ConflictError(
            `The rollback of step ${name} failed on the warehouse: ${
              (error as Error).message
            }`,
          );
        });
      }
    }
    if (
      !(await this.options.steps.rolledBack({
        migrationId: migration.id,
        name,
        from: ['done', 'failed'],
        actor,
        note,
      }))
    ) {
      throw new ConflictError(`Step ${name} changed meanwhile: read it again`);
    }
    return this.get(migration);
  }

  /**
   * The contract's approval statements (the old table, the dropped
   * columns): run now in run mode, recorded as a person's in hand-over.
   */
  async approve(
    migration: Migration,
    name: StepName,
    actor: string,
    note?: string,
  ) {
    const record = await this.require(migration.id);
    if (name !== 'contract') {
      throw new ConflictError(
        `Only the contract has statements to approve, not ${name}`,
      );
    }
    const step = stepOf(record, 'contract');
    if (step.state !== 'done' || step.approvedAt) {
      throw new ConflictError(
        step.approvedAt
          ? `The contract's approval statements were approved by ${step.approvedBy}`
          : `The contract is ${step.state}: its approval statements run once it is done`,
      );
    }
    if (record.mode === 'run') {
      const approval = planStep(record.plan, 'contract').approval ?? [];
      if (approval.length) {
        const steps = await this.warehouseSteps(record);
        await steps.run(approval).catch(error => {
          throw new ConflictError(
            `The approval statements failed on the warehouse: ${
              (error as Error).message
            }`,
          );
        });
      }
    }
    if (
      !(await this.options.steps.approve({
        migrationId: migration.id,
        actor,
        note,
      }))
    ) {
      throw new ConflictError('The contract changed meanwhile: read it again');
    }
    return this.get(migration);
  }

  /**
   * Why the contract cannot run yet: every consumer merged and healthy for
   * the retention time (`ripple.steps.retentionHours`); undefined when it
   * can.
   */
  async contractWait(migrationId: string): Promise<string | undefined> {
    const { rollouts, retentionHours } = this.options;
    const rollout = await rollouts.getRollout(migrationId);
    if (!rollout) {
      // A migration without consumers has no rollout to wait for.
      return (await this.options.consumerCount(migrationId)) === 0
        ? undefined
        : "waiting for the consumers' rollout to start";
    }
    const consumers = await rollouts.listConsumers(migrationId);
    const notMerged = consumers.filter(c => c.delivery?.status !== 'merged');
    if (notMerged.length) {
      return `waiting for ${notMerged.length} consumer(s) to be merged`;
    }
    const unhealthy = consumers.filter(c => c.health !== 'healthy');
    if (unhealthy.length) {
      return `waiting for ${unhealthy.length} consumer(s) to be healthy`;
    }
    const lastMerged = Math.max(
      0,
      ...consumers.map(c => c.mergedAt?.getTime() ?? 0),
    );
    const until = lastMerged + retentionHours * 3_600_000;
    if (until > this.options.now().getTime()) {
      return `waiting for the retention time: every consumer merged and healthy for ${retentionHours} h (until ${new Date(
        until,
      ).toISOString()})`;
    }
    return undefined;
  }

  private async start(
    migration: Migration,
    name: StepName,
    from: StepRecord['state'][],
    actor: string,
  ) {
    if (
      !(await this.options.steps.start({
        migrationId: migration.id,
        name,
        from,
        actor,
      }))
    ) {
      throw new ConflictError(`Step ${name} changed meanwhile: read it again`);
    }
    await this.options.trigger();
    return this.get(migration);
  }

  /** The step, when it is the next one (every one before it done); 409 otherwise. */
  private async nextStep(
    record: StepPlanRecord,
    name: StepName,
    migrationId: string,
  ): Promise<StepRecord> {
    const step = stepOf(record, name);
    const next = record.steps.find(s => s.state !== 'done');
    if (!next) {
      throw new ConflictError(`Every step of migration ${migrationId} is done`);
    }
    if (next.name !== name) {
      throw new ConflictError(
        step.state === 'done'
          ? `Step ${name} is done; the next step is ${next.name}`
          : `Step ${name} is not the next step: ${next.name} is (${next.state})`,
      );
    }
    if (name === 'contract') await this.requireContractReady(migrationId);
    return step;
  }

  private async requireContractReady(migrationId: string) {
    const wait = await this.contractWait(migrationId);
    if (wait) {
      throw new ConflictError(`The contract cannot run yet: ${wait}`);
    }
  }

  private async revertDeliveries(migrationId: string, actor: string) {
    const rollout = await this.options.rollouts.getRollout(migrationId);
    if (!rollout || rollout.state === 'rolled_back') return;
    const consumers = await this.options.rollouts.listConsumers(migrationId);
    const delivered = consumers.some(
      c => c.delivery && c.delivery.status !== 'pending',
    );
    if (!delivered) return;
    await this.options.rollout.rollback(
      migrationId,
      undefined,
      'the step switch was rolled back',
      actor,
    );
  }

  private async warehouseSteps(record: StepPlanRecord) {
    const warehouse = await this.options.warehouses.get(record.warehouse);
    if (!warehouse?.steps) {
      throw new ConflictError(
        `The warehouse ${record.warehouse} does not let Ripple run steps (ripple.warehouses.${record.warehouse}.steps is not run)`,
      );
    }
    return warehouse.steps;
  }

  private async require(migrationId: string): Promise<StepPlanRecord> {
    const record = await this.options.steps.getPlan(migrationId);
    if (!record) {
      throw new NotFoundError(`Migration ${migrationId} has no step plan`);
    }
    return record;
  }
}

function stepOf(record: StepPlanRecord, name: StepName): StepRecord {
  const step = record.steps.find(s => s.name === name);
  if (!step) throw new NotFoundError(`The step plan has no step ${name}`);
  return step;
}
