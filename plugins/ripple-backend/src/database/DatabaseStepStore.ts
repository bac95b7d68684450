import type { WarehouseStepsMode } from '@ripple/backstage-plugin-ripple-node';
import type { Knex } from 'knex';
import type { MigrationEventType } from '@ripple/backstage-plugin-ripple-common';
import { STEP_NAMES, type StepName, type StepPlan } from '../steps/stepPlan';
import { insertEvent, timestamp, type Timestamp } from './rows';
import type {
  StepLease,
  StepOutcome,
  StepPlanRecord,
  StepRecord,
  StepState,
  StepStore,
} from './StepStore';

type PlanRow = {
  migration_id: string;
  plan: string;
  warehouse: string;
  mode: string;
  created_by: string;
  created_at: Timestamp;
};

type StepRow = {
  migration_id: string;
  name: string;
  position: number;
  state: string;
  attempt: number;
  checkpoint: string | null;
  rows_total: number | string | null;
  rows_done: number | string | null;
  batches: number | null;
  rate: number | null;
  error: string | null;
  result: string | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: Timestamp;
  lease_owner: string | null;
  lease_until: Timestamp | null;
  done_by: string | null;
  approved_by: string | null;
  approved_at: Timestamp | null;
};

const date = (value: Timestamp | null) =>
  value === null ? undefined : new Date(timestamp(value));
const num = (value: number | string | null) =>
  value === null ? undefined : Number(value);

function toStep(row: StepRow): StepRecord {
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    migrationId: row.migration_id,
    name: row.name as StepName,
    state: row.state as StepState,
    attempt: row.attempt,
    updatedAt: new Date(timestamp(row.updated_at)),
    ...optional(
      'checkpoint',
      row.checkpoint ? JSON.parse(row.checkpoint) : undefined,
    ),
    ...optional('rowsTotal', num(row.rows_total)),
    ...optional('rowsDone', num(row.rows_done)),
    ...optional('batches', num(row.batches)),
    ...optional('rate', num(row.rate)),
    ...optional('error', row.error ?? undefined),
    ...optional('result', row.result ? JSON.parse(row.result) : undefined),
    ...optional('startedAt', date(row.started_at)),
    ...optional('finishedAt', date(row.finished_at)),
    ...optional('doneBy', row.done_by ?? undefined),
    ...optional('approvedBy', row.approved_by ?? undefined),
    ...optional('approvedAt', date(row.approved_at)),
  };
}

/** {@link StepStore} on the plugin's database (knex: PostgreSQL, SQLite). */
export class DatabaseStepStore implements StepStore {
  constructor(private readonly db: Knex) {}

  async createPlan(input: {
    migrationId: string;
    plan: StepPlan;
    warehouse: string;
    mode: WarehouseStepsMode;
    actor: string;
  }): Promise<boolean> {
    return this.db.transaction(async trx => {
      const existing = await trx<PlanRow>('migration_step_plan')
        .where({ migration_id: input.migrationId })
        .first('migration_id');
      if (existing) return false;
      const now = new Date();
      try {
        await trx<PlanRow>('migration_step_plan').insert({
          migration_id: input.migrationId,
          plan: JSON.stringify(input.plan),
          warehouse: input.warehouse,
          mode: input.mode,
          created_by: input.actor,
          created_at: now,
        });
      } catch (error) {
        // Another replica made it first: the primary key says so.
        if (/unique|duplicate/i.test(String((error as Error).message))) {
          return false;
        }
        throw error;
      }
      await trx('migration_step').insert(
        STEP_NAMES.map((name, position) => ({
          migration_id: input.migrationId,
          name,
          position,
          state: 'pending',
          attempt: 0,
          updated_at: now,
        })),
      );
      return true;
    });
  }

  async getPlan(migrationId: string): Promise<StepPlanRecord | undefined> {
    const plan = await this.db<PlanRow>('migration_step_plan')
      .where({ migration_id: migrationId })
      .first();
    if (!plan) return undefined;
    const steps = await this.db<StepRow>('migration_step')
      .where({ migration_id: migrationId })
      .orderBy('position');
    return {
      migrationId,
      plan: JSON.parse(plan.plan),
      warehouse: plan.warehouse,
      mode: plan.mode as WarehouseStepsMode,
      createdBy: plan.created_by,
      createdAt: new Date(timestamp(plan.created_at)),
      steps: steps.map(toStep),
    };
  }

  async start(input: {
    migrationId: string;
    name: StepName;
    from: StepState[];
    actor: string;
  }): Promise<boolean> {
    return this.transition(
      input.migrationId,
      input.name,
      q => q.whereIn('state', input.from),
      now => ({
        state: 'running',
        attempt: this.db.raw('attempt + 1'),
        error: null,
        result: null,
        started_at: now,
        finished_at: null,
        lease_owner: null,
        lease_until: null,
      }),
      {
        type: 'step-started',
        actor: input.actor,
        message: `Step ${input.name} started by ${input.actor}`,
      },
    );
  }

  async claim(owner: string, leaseMs: number): Promise<StepLease | undefined> {
    const now = new Date();
    const candidates = await this.db<StepRow>('migration_step as s')
      .join('migration as m', 'm.id', 's.migration_id')
      .where('s.state', 'running')
      .whereNull('m.stopped_at')
      .where(q =>
        q.whereNull('s.lease_until').orWhere('s.lease_until', '<', now),
      )
      .orderBy('s.updated_at')
      .limit(5)
      .select('s.migration_id', 's.name', 's.attempt', 's.lease_owner');
    for (const row of candidates) {
      // Compare-and-set on the lease as read: of two runners, one takes it.
      const taken = await this.db<StepRow>('migration_step')
        .where({
          migration_id: row.migration_id,
          name: row.name,
          state: 'running',
        })
        .where(q =>
          row.lease_owner === null
            ? q.whereNull('lease_owner')
            : q.where('lease_owner', row.lease_owner),
        )
        .where(q => q.whereNull('lease_until').orWhere('lease_until', '<', now))
        .update({
          lease_owner: owner,
          lease_until: new Date(now.getTime() + leaseMs),
        });
      if (taken) {
        return {
          migrationId: row.migration_id,
          name: row.name as StepName,
          owner,
          attempt: row.attempt,
        };
      }
    }
    return undefined;
  }

  async renew(lease: StepLease, leaseMs: number): Promise<boolean> {
    const renewed = await this.running(lease).update({
      lease_until: new Date(Date.now() + leaseMs),
    });
    return renewed > 0;
  }

  async checkpoint(
    lease: StepLease,
    progress: {
      checkpoint: StepRecord['checkpoint'] & object;
      rowsTotal: number;
      rate?: number;
    },
  ): Promise<boolean> {
    const written = await this.running(lease).update({
      checkpoint: JSON.stringify(progress.checkpoint),
      rows_total: progress.rowsTotal,
      rows_done: progress.checkpoint.rowsDone,
      batches: progress.checkpoint.batches,
      rate: progress.rate ?? null,
      updated_at: new Date(),
    });
    return written > 0;
  }

  async finish(lease: StepLease, outcome: StepOutcome): Promise<boolean> {
    return this.db.transaction(async trx => {
      const now = new Date();
      const written = await this.held(lease, trx).update({
        state: outcome.state,
        error: outcome.error ?? null,
        result: outcome.result ? JSON.stringify(outcome.result) : null,
        finished_at: now,
        updated_at: now,
        lease_owner: null,
        lease_until: null,
        // `doneBy` names a person who ran a handed-over step; Ripple's own
        // runs have none.
        done_by: null,
      });
      if (!written) return false;
      await insertEvent(trx, {
        migrationId: lease.migrationId,
        type: outcome.state === 'done' ? 'step-done' : 'step-failed',
        message: outcome.message,
        data: {
          step: lease.name,
          ...(outcome.error ? { error: outcome.error } : {}),
          ...outcome.data,
        },
        now,
      });
      return true;
    });
  }

  async markDone(input: {
    migrationId: string;
    name: StepName;
    actor: string;
    note?: string;
  }): Promise<boolean> {
    return this.transition(
      input.migrationId,
      input.name,
      q => q.whereIn('state', ['pending', 'failed', 'rolled-back']),
      now => ({
        state: 'done',
        done_by: input.actor,
        error: null,
        finished_at: now,
      }),
      {
        type: 'step-marked-done',
        actor: input.actor,
        message: `Step ${input.name} marked done by ${input.actor}${
          input.note ? `: ${input.note}` : ''
        }`,
        note: input.note,
      },
    );
  }

  async rolledBack(input: {
    migrationId: string;
    name: StepName;
    from: StepState[];
    actor: string;
    note?: string;
  }): Promise<boolean> {
    return this.transition(
      input.migrationId,
      input.name,
      q => q.whereIn('state', input.from),
      now => ({
        state: 'rolled-back',
        checkpoint: null,
        rows_done: null,
        rows_total: null,
        batches: null,
        rate: null,
        error: null,
        result: null,
        done_by: null,
        finished_at: now,
      }),
      {
        type: 'step-rolled-back',
        actor: input.actor,
        message: `Step ${input.name} rolled back by ${input.actor}${
          input.note ? `: ${input.note}` : ''
        }`,
        note: input.note,
      },
    );
  }

  async approve(input: {
    migrationId: string;
    actor: string;
    note?: string;
  }): Promise<boolean> {
    return this.transition(
      input.migrationId,
      'contract',
      q => q.where('state', 'done').whereNull('approved_at'),
      now => ({ approved_by: input.actor, approved_at: now }),
      {
        type: 'step-approved',
        actor: input.actor,
        message: `The contract's approval statements approved by ${
          input.actor
        }${input.note ? `: ${input.note}` : ''}`,
        note: input.note,
      },
    );
  }

  async switchState(migrationId: string): Promise<StepState | undefined> {
    const row = await this.db<StepRow>('migration_step')
      .where({ migration_id: migrationId, name: 'switch' })
      .first('state');
    return row?.state as StepState | undefined;
  }

  /** The step's row while `lease` holds it. */
  private held(lease: StepLease, db: Knex = this.db) {
    return db<StepRow>('migration_step').where({
      migration_id: lease.migrationId,
      name: lease.name,
      state: 'running',
      lease_owner: lease.owner,
    });
  }

  /**
   * The step's row while `lease` holds it and the migration's automation
   * is not stopped: the kill switch stops a runner at its next renewal or
   * checkpoint, between two batches (the batch after the stop is copied
   * again, cleared first, once the migration is resumed).
   */
  private running(lease: StepLease) {
    return this.held(lease).whereNotExists(q =>
      q
        .select('id')
        .from('migration')
        .whereRaw('?? = ??', ['migration.id', 'migration_step.migration_id'])
        .whereNotNull('stopped_at'),
    );
  }

  /** A compare-and-set of a step's state and its event, in one transaction. */
  private async transition(
    migrationId: string,
    name: StepName,
    where: (q: Knex.QueryBuilder) => Knex.QueryBuilder,
    update: (now: Date) => Record<string, unknown>,
    event: {
      type: MigrationEventType;
      actor: string;
      message: string;
      note?: string;
    },
  ): Promise<boolean> {
    return this.db.transaction(async trx => {
      const now = new Date();
      const changed = await where(
        trx('migration_step').where({ migration_id: migrationId, name }),
      ).update({ ...update(now), updated_at: now });
      if (!changed) return false;
      await insertEvent(trx, {
        migrationId,
        type: event.type,
        message: event.message,
        actor: event.actor,
        data: { step: name, ...(event.note ? { note: event.note } : {}) },
        now,
      });
      return true;
    });
  }
}
