import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  RippleWarehouse,
  WarehouseSteps,
  WarehouseValue,
} from '@ripple/backstage-plugin-ripple-node';
import { randomUUID } from 'node:crypto';
import type {
  BackfillCheckpoint,
  StepLease,
  StepOutcome,
  StepRecord,
  StepStore,
  VerificationResult,
} from '../database/StepStore';
import { planStep, type PlanStep, type StepPlan } from './stepPlan';

/** The warehouses steps run on (`RippleWarehouses`). */
export type StepWarehouses = {
  get(id: string): Promise<RippleWarehouse> | undefined;
};

/** How often a held lease is renewed: three times per lease. */
const RENEWALS_PER_LEASE = 3;

/**
 * Runs the steps people asked to run (docs/steps.md, "Resume"): each
 * scheduled run leases the running steps one at a time (a lease in the
 * plugin's database, renewed while the step runs, as the rollout's claims
 * are), and runs each on its warehouse. A runner killed in the middle
 * stops renewing; once its lease runs out another runner takes the step
 * over, and resumes it:
 *
 * - expand, switch, contract: their statements are one warehouse
 *   transaction, so they ran entirely or not at all; the step's `applied`
 *   query tells which, and they run only if not;
 * - backfill: from its checkpoint. A batch is a copy in one warehouse
 *   transaction, then the checkpoint in the plugin's database; a kill
 *   between the two redoes that one batch, which the resuming run clears
 *   first (in the same transaction) so that it is not copied twice;
 * - verify: only reads, run again.
 *
 * Every write of a runner is fenced by its lease: one that lost it (a
 * stall past the lease) writes nothing.
 */
export class StepRunner {
  constructor(
    private readonly options: {
      steps: StepStore;
      warehouses: StepWarehouses;
      logger: LoggerService;
      /** How long a lease lasts without renewal. */
      leaseMs: number;
      /** This runner's name in leases (a new one per runner by default). */
      owner?: string;
      /** Why no step runs now (a freeze: `stepFreeze`); undefined when they may. */
      wait?: () => string | undefined;
    },
  ) {}

  /** Runs every running step it can lease, until none is left or `signal` aborts. */
  async runOnce(signal?: AbortSignal): Promise<void> {
    const owner = this.options.owner ?? randomUUID();
    for (;;) {
      if (signal?.aborted || this.options.wait?.()) return;
      const lease = await this.options.steps.claim(owner, this.options.leaseMs);
      if (!lease) return;
      await this.withRenewal(lease, signal, held => this.run(lease, held));
    }
  }

  /**
   * Runs `work` while renewing the lease; `held()` turns false once the
   * lease is lost, or once `signal` aborts (the scheduler's timeout, or a
   * shutdown: the lease is then left to run out, as a dead runner's does).
   */
  private async withRenewal(
    lease: StepLease,
    signal: AbortSignal | undefined,
    work: (held: () => boolean) => Promise<void>,
  ): Promise<void> {
    let lost = false;
    let inFlight: Promise<void> | undefined;
    const timer = setInterval(() => {
      if (signal?.aborted) {
        lost = true;
        clearInterval(timer);
        return;
      }
      if (inFlight) return;
      inFlight = this.options.steps
        .renew(lease, this.options.leaseMs)
        .then(
          renewed => {
            if (!renewed) lost = true;
          },
          // The database did not answer: the lease stands until it runs out.
          () => undefined,
        )
        .finally(() => {
          inFlight = undefined;
        });
    }, Math.max(1, this.options.leaseMs / RENEWALS_PER_LEASE));
    timer.unref?.();
    try {
      // A freeze that starts mid-step stops it between two batches, as
      // the kill switch does; the step resumes once the freeze ends.
      await work(() => !lost && !signal?.aborted && !this.options.wait?.());
    } finally {
      clearInterval(timer);
      await inFlight;
    }
  }

  private async run(lease: StepLease, held: () => boolean): Promise<void> {
    const { steps, logger } = this.options;
    const record = await steps.getPlan(lease.migrationId);
    const step = record?.steps.find(s => s.name === lease.name);
    if (!record || !step) return;
    const definition = planStep(record.plan, lease.name);
    const finish = (outcome: StepOutcome) => steps.finish(lease, outcome);
    let warehouse: RippleWarehouse | undefined;
    try {
      warehouse = await this.options.warehouses.get(record.warehouse);
    } catch (error) {
      await finish(failure(lease, (error as Error).message));
      return;
    }
    if (!warehouse?.steps) {
      await finish(
        failure(
          lease,
          `the warehouse ${record.warehouse} does not let Ripple run steps (ripple.warehouses.${record.warehouse}.steps is not run)`,
        ),
      );
      return;
    }
    logger.info(
      `Migration ${lease.migrationId}: running step ${lease.name} (attempt ${lease.attempt})`,
    );
    try {
      switch (lease.name) {
        case 'backfill':
          await this.backfill(lease, step, record.plan, warehouse.steps, held);
          return;
        case 'verify':
          await finish(await verify(definition, warehouse.steps));
          return;
        default:
          await finish(await runOnce(lease, definition, warehouse.steps, held));
      }
    } catch (error) {
      // The warehouse's own message: what a person needs to fix it.
      if (!held()) return;
      await finish(failure(lease, (error as Error).message));
    }
  }

  private async backfill(
    lease: StepLease,
    step: StepRecord,
    plan: StepPlan,
    warehouse: WarehouseSteps,
    held: () => boolean,
  ): Promise<void> {
    const batch = planStep(plan, 'backfill').batch;
    if (!batch) throw new Error('The step plan has no batches for backfill');
    const total = Number(await value(warehouse, batch.count));
    let checkpoint: BackfillCheckpoint = step.checkpoint ?? {
      lastKey: null,
      rowsDone: 0,
      batches: 0,
    };
    const started = Date.now();
    let copied = 0;
    // Only this run's first batch can find rows already copied: the one
    // batch a killed runner may have committed past its checkpoint (the
    // same key range, read from the same table). It is cleared before it
    // is copied; the batches after it start on keys no runner copied, and
    // copy without the clear (a clear scans the new table, which has no
    // index: every batch clearing made the backfill quadratic).
    let resumed = true;
    while (!checkpoint.nullsDone) {
      if (!held()) return;
      const from = checkpoint.lastKey as WarehouseValue;
      const to =
        from === null
          ? await value(warehouse, batch.next_first)
          : await value(warehouse, batch.next, [from]);
      let rows: number;
      if (to === null) {
        // Every keyed row is copied; the rows without a key go last.
        ({ rowsChanged: rows } = await warehouse.run([
          batch.clear_nulls,
          batch.copy_nulls,
        ]));
        checkpoint = { ...checkpoint, nullsDone: true };
      } else {
        ({ rowsChanged: rows } =
          from === null
            ? await warehouse.run([batch.clear_first, batch.copy_first], [to])
            : await warehouse.run(
                resumed ? [batch.clear, batch.copy] : [batch.copy],
                [from, to],
              ));
        checkpoint = { ...checkpoint, lastKey: to };
        resumed = false;
      }
      copied += rows;
      checkpoint = {
        ...checkpoint,
        rowsDone: checkpoint.rowsDone + rows,
        batches: checkpoint.batches + 1,
      };
      const seconds = (Date.now() - started) / 1000;
      const written = await this.options.steps.checkpoint(lease, {
        checkpoint,
        rowsTotal: total,
        ...(seconds > 0 ? { rate: Math.round(copied / seconds) } : {}),
      });
      // Taken over (a stall past the lease): the new holder goes on.
      if (!written) return;
    }
    await this.options.steps.finish(lease, {
      state: 'done',
      message: `Step backfill done: ${checkpoint.rowsDone} rows copied in ${checkpoint.batches} batches`,
      data: { rowsDone: checkpoint.rowsDone, batches: checkpoint.batches },
    });
  }
}

/**
 * Expand, switch or contract: one warehouse transaction, unless its
 * `applied` query says its effect is in place already (it committed before
 * a kill).
 */
async function runOnce(
  lease: StepLease,
  step: PlanStep,
  warehouse: WarehouseSteps,
  held: () => boolean,
): Promise<StepOutcome> {
  if (step.applied && isTrue(await value(warehouse, step.applied))) {
    return {
      state: 'done',
      message: `Step ${lease.name} done (found in place on the warehouse)`,
      data: { resumed: true },
    };
  }
  if (!held()) throw new Error('lease lost');
  await warehouse.run(step.statements);
  return { state: 'done', message: `Step ${lease.name} done` };
}

/**
 * Runs each check; a failing one fails the step with the rows that differ
 * (the plan's `differences` query), which pauses the plan.
 */
async function verify(
  step: PlanStep,
  warehouse: WarehouseSteps,
): Promise<StepOutcome> {
  const started = Date.now();
  const checks: VerificationResult['checks'] = [];
  for (const statement of step.statements) {
    const result = await value(warehouse, statement);
    checks.push({ statement, passed: truthy(result), value: result });
  }
  const failed = checks.filter(c => !c.passed);
  let differences: VerificationResult['differences'];
  if (failed.length && step.differences) {
    const { columns, rows } = await warehouse.query(step.differences);
    differences = { columns, rows };
  }
  const result: VerificationResult = {
    passed: !failed.length,
    checks,
    ...(differences ? { differences } : {}),
    durationMs: Date.now() - started,
  };
  if (!failed.length) {
    return {
      state: 'done',
      result,
      message: `Step verify done: ${checks.length} checks passed`,
    };
  }
  return {
    state: 'failed',
    result,
    error: `The copy differs from the dataset: ${failed.length} of ${
      checks.length
    } checks failed (${failed.map(c => c.statement).join(' ')})`,
    message: `Step verify failed: ${failed.length} of ${checks.length} checks failed; the plan is paused`,
    data: { failed: failed.length },
  };
}

function failure(lease: StepLease, error: string): StepOutcome {
  return {
    state: 'failed',
    error,
    message: `Step ${lease.name} failed; the plan is paused: ${error}`,
  };
}

/** The one value of a one-row, one-column query. */
async function value(
  warehouse: WarehouseSteps,
  sql: string,
  params?: WarehouseValue[],
): Promise<WarehouseValue> {
  const { rows } = await warehouse.query(sql, params);
  return rows[0]?.[0] ?? null;
}

/** An `applied` query's answer. */
export function isTrue(result: WarehouseValue): boolean {
  return result === true || result === 't' || result === 'true';
}

/** A check's answer: true, or 0 (no difference). */
export function truthy(result: WarehouseValue): boolean {
  return isTrue(result) || result === 0 || result === '0';
}
