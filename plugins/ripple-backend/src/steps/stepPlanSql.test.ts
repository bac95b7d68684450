import {
  loadEngine,
  type Batch,
  type ChangeSpec,
  type RippleEngine,
  type Step,
  type StepPlan,
} from '@ripple/engine';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  duckDbWarehouse,
  postgresWarehouse,
  resetShop,
  shopSchema,
  sortedRows,
  warehouseState,
  type SqlWarehouse,
} from './stepPlanSql.fixtures';

// The engine's step plans (issue 20) run for real, statement by statement,
// on DuckDB and PostgreSQL, as the runner and a person handed the script
// would run them: every step, each one rolled back right after it runs and
// again in reverse from the end, with the warehouse compared to what it was
// (catalog and rows); the consumers' old query reading the same rows until
// the contract and the patched one from the switch on; and a copy that no
// longer matches caught by `verify`, whose `differences` shows the rows.

jest.setTimeout(120_000);

const postgresUrl = Object.entries(process.env).find(([k]) =>
  /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(k),
)?.[1];

interface Case {
  name: string;
  changes: (db: SqlWarehouse) => ChangeSpec['changes'];
  /** A consumer's query before its patch; its patch is the engine's rewrite. */
  consumer: string;
  /** The backfill in batches (as the runner does) or as one statement. */
  batched: boolean;
  layout: StepPlan['layout'];
}

const CASES: Case[] = [
  {
    name: 'a column rename',
    changes: () => [
      { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
    ],
    consumer:
      'SELECT id, amount, status FROM shop.orders WHERE amount > 4 OR amount IS NULL',
    batched: true,
    layout: 'versioned',
  },
  {
    name: 'a retype',
    changes: db => [
      { kind: 'change_type', column: 'amount', to: db.types.bigint },
    ],
    consumer:
      'SELECT status, sum(amount) AS total, count(*) AS n FROM shop.orders GROUP BY status',
    batched: false,
    layout: 'versioned',
  },
  {
    name: 'a drop',
    changes: () => [{ kind: 'drop_column', column: 'legacy' }],
    consumer: 'SELECT id, status FROM shop.orders WHERE id > 2',
    batched: true,
    layout: 'versioned',
  },
  {
    name: 'a table move',
    changes: () => [{ kind: 'rename_table', to: 'shop.orders_v2' }],
    consumer: 'SELECT o.id, o.legacy FROM shop.orders o WHERE o.legacy',
    batched: true,
    layout: 'move',
  },
  {
    name: 'a replace with a name mapping',
    changes: () => [
      {
        kind: 'replace_table',
        to: 'core.orders_v2',
        columns: { id: 'order_id', status: 'state' },
      },
    ],
    consumer:
      "SELECT id, status, amount FROM shop.orders WHERE status <> 'open' OR status IS NULL",
    batched: false,
    layout: 'move',
  },
];

/** The one value of a one-row, one-column result. */
async function value(
  db: SqlWarehouse,
  sql: string,
  params?: unknown[],
): Promise<unknown> {
  const rows = await db.rows(sql, params);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toHaveLength(1);
  return rows[0][0];
}

/** The backfill as a runner does it: one key range at a time, each cleared then copied in one transaction. */
async function backfillInBatches(db: SqlWarehouse, batch: Batch) {
  expect(Number(await value(db, batch.count))).toBe(8);
  let last = await value(db, batch.next_first);
  let ranges = 0;
  if (last !== null) {
    await db.exec([
      [batch.clear_first, [last]],
      [batch.copy_first, [last]],
    ]);
    ranges++;
    for (;;) {
      const next = await value(db, batch.next, [last]);
      if (next === null) {
        break;
      }
      await db.exec([
        [batch.clear, [last, next]],
        [batch.copy, [last, next]],
      ]);
      ranges++;
      // A batch run again (a runner killed before its checkpoint) is not copied twice.
      await db.exec([
        [batch.clear, [last, next]],
        [batch.copy, [last, next]],
      ]);
      last = next;
    }
  }
  await db.exec([batch.clear_nulls, batch.copy_nulls]);
  // 7 keys, 3 a batch (the NULL key last, on its own).
  expect(ranges).toBe(3);
}

async function runStep(db: SqlWarehouse, step: Step, batched: boolean) {
  if (step.name === 'backfill' && batched) {
    await backfillInBatches(db, step.batch!);
  } else {
    await db.exec(step.statements);
  }
}

/** Each verify query's answer: true when its check passes. */
async function checks(db: SqlWarehouse, step: Step): Promise<boolean[]> {
  const answers: boolean[] = [];
  for (const statement of step.statements) {
    const answer = await value(db, statement.replace(/;$/, ''));
    // `true`, or a count of differences of 0 (never `false`, which is 0 too).
    answers.push(
      typeof answer === 'boolean' ? answer : Number(answer) === 0,
    );
  }
  return answers;
}

function onWarehouse(name: string, connect: () => Promise<SqlWarehouse>) {
  describe(`step plans run on ${name}`, () => {
    let db: SqlWarehouse;
    let engine: RippleEngine;
    beforeAll(async () => {
      engine = await loadEngine();
      db = await connect();
    });
    afterAll(async () => db?.close());

    const planOf = (c: Case) => {
      const change: ChangeSpec = {
        dataset: 'shop.orders',
        dialect: db.dialect,
        changes: c.changes(db),
      };
      const plan = engine.stepPlan(change, {
        schema: shopSchema(db),
        batch_rows: 3,
      });
      return { change, plan };
    };

    it.each(CASES)(
      '$name: every step runs, rolls back and runs again; readers old and new see the same rows',
      async c => {
        await resetShop(db);
        const before = await warehouseState(db);
        const { change, plan } = planOf(c);
        expect(plan.layout).toBe(c.layout);
        expect(plan.steps.map(s => s.name)).toEqual([
          'expand',
          'backfill',
          'verify',
          'switch',
          'contract',
        ]);
        const patch = engine.rewrite('consumer.sql', c.consumer, change, {
          schema: shopSchema(db),
        });
        expect(['rewritten', 'unaffected']).toContain(patch.status);
        const patched = patch.content ?? c.consumer;
        if (c.layout === 'move' || c.name === 'a column rename') {
          expect(patched).not.toBe(c.consumer);
        }
        const expected = sortedRows(await db.rows(c.consumer));
        expect(expected.length).toBeGreaterThan(1);

        const states = [before];
        for (const [i, step] of plan.steps.entries()) {
          const prior = states[i];
          if (step.applied) {
            expect(await value(db, step.applied)).toBe(false);
          }
          await runStep(db, step, c.batched);
          const after = await warehouseState(db);
          if (step.name !== 'verify') {
            expect(after).not.toEqual(prior);
          }
          if (step.applied) {
            expect(await value(db, step.applied)).toBe(true);
          }
          if (step.name === 'verify') {
            expect(await checks(db, step)).toEqual(
              step.statements.map(() => true),
            );
            expect(await db.rows(step.differences!)).toEqual([]);
            expect(after).toEqual(prior);
          } else {
            // Rolled back right after it ran: as before it; then run again.
            await db.exec(step.rollback);
            expect(await warehouseState(db)).toEqual(prior);
            if (step.applied) {
              expect(await value(db, step.applied)).toBe(false);
            }
            await runStep(db, step, c.batched);
            expect(await warehouseState(db)).toEqual(after);
          }
          states.push(after);
          // Readers not yet patched, until the contract; patched ones from the switch.
          if (step.name !== 'contract') {
            expect(sortedRows(await db.rows(c.consumer))).toEqual(expected);
          }
          if (step.name === 'switch' || step.name === 'contract') {
            expect(sortedRows(await db.rows(patched))).toEqual(expected);
          }
        }

        // Rolled back in reverse from the end: each step's rollback gives
        // the state before it, and at last the warehouse as it was.
        for (let i = plan.steps.length - 1; i >= 0; i--) {
          const step = plan.steps[i];
          if (step.name === 'verify') {
            expect(step.rollback).toEqual([]);
            continue;
          }
          await db.exec(step.rollback);
          expect(await warehouseState(db)).toEqual(states[i]);
        }
        expect(await warehouseState(db)).toEqual(before);
        expect(sortedRows(await db.rows(c.consumer))).toEqual(expected);
      },
    );

    it.each(CASES.filter(c => c.layout === 'versioned'))(
      "$name: the contract's approval deletes what the change drops and the old table",
      async c => {
        await resetShop(db);
        const { plan } = planOf(c);
        for (const step of plan.steps) {
          await runStep(db, step, c.batched);
        }
        const contract = plan.steps[4];
        await db.exec(contract.approval);
        const tables = await db.rows(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = 'shop' ORDER BY 1`,
        );
        expect(tables).toEqual([['orders']]);
        const columns = (
          await db.rows(
            `SELECT column_name FROM information_schema.columns WHERE table_schema = 'shop' AND table_name = 'orders' ORDER BY ordinal_position`,
          )
        ).map(([column]) => column);
        const dropped = c.name === 'a drop' ? [] : ['legacy'];
        const renamed = c.name === 'a column rename' ? 'amount_usd' : 'amount';
        expect(columns).toEqual(['id', renamed, 'status', ...dropped]);
      },
    );

    it('verify catches a changed row and a write after the backfill, and differences shows them', async () => {
      await resetShop(db);
      const { plan } = planOf(CASES[0]);
      const [expand, backfill, verify] = plan.steps;
      await runStep(db, expand, false);
      await runStep(db, backfill, true);
      expect(await checks(db, verify)).toEqual(verify.statements.map(() => true));

      // One row of the copy corrupted: only its column's checksum fails.
      await db.exec([
        `UPDATE shop.orders__ripple_v2 SET status = 'tampered' WHERE id = 2`,
      ]);
      expect(await checks(db, verify)).toEqual([true, true, true, false, true]);
      const differences = sortedRows(await db.rows(verify.differences!));
      expect(differences).toEqual(
        sortedRows([
          ['old', 2, 4, 'open', false],
          ['new', 2, 4, 'tampered', false],
        ]),
      );

      // A value made NULL counts too.
      await db.exec([
        `UPDATE shop.orders__ripple_v2 SET status = 'open', legacy = NULL WHERE id = 2`,
      ]);
      expect(await checks(db, verify)).toEqual([true, true, true, true, false]);

      // A write to the dataset after the backfill: the counts differ, and
      // the row shows on the old side.
      await db.exec([
        'UPDATE shop.orders__ripple_v2 SET legacy = false WHERE id = 2',
      ]);
      await db.exec([`INSERT INTO shop.orders VALUES (8, 3, 'paid', true)`]);
      const late = await checks(db, verify);
      expect(late[0]).toBe(false);
      expect(sortedRows(await db.rows(verify.differences!))).toEqual(
        sortedRows([['old', 8, 3, 'paid', true]]),
      );

      // The backfill rolled back and run again copies it: verified.
      await db.exec(backfill.rollback);
      await runStep(db, backfill, false);
      expect(await checks(db, verify)).toEqual(verify.statements.map(() => true));
      expect(await db.rows(verify.differences!)).toEqual([]);
    });
  });
}

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-steps-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

onWarehouse('DuckDB', () => duckDbWarehouse(dir));
if (postgresUrl || process.env.CI === 'true') {
  onWarehouse('PostgreSQL', () => {
    if (!postgresUrl) {
      throw new Error(
        'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING must be set when CI=true',
      );
    }
    return postgresWarehouse(postgresUrl);
  });
}
