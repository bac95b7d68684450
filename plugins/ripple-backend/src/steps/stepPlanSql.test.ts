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
} from '../__testUtils__/stepPlanWarehouses';

// The engine's step plans (issue 20) run for real, statement by statement,
// on DuckDB and PostgreSQL, as the runner and a person handed the script
// would run them: every step, each one rolled back right after it runs and
// again in reverse from the end, with the warehouse compared to what it was
// (catalog and rows); the consumers' old query reading the same rows until
// the contract and the patched one from the switch on; and a copy that no
// longer matches caught by `verify`, whose `differences` shows the rows.

jest.setTimeout(120_000);

const STEPS = ['expand', 'backfill', 'verify', 'switch', 'contract'];

/** Deep equality, as `toEqual` has it, for the observations asserted together. */
function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const postgresUrl = Object.entries(process.env).find(([k]) =>
  /^BACKSTAGE_TEST_DATABASE_POSTGRES\d+_CONNECTION_STRING$/.test(k),
)?.[1];

interface Case {
  name: string;
  changes: (db: SqlWarehouse) => unknown[];
  /** A consumer's query before its patch; its patch is the engine's rewrite. */
  consumer: string;
  /** The backfill in batches (as the runner does) or as one statement. */
  batched: boolean;
  layout: StepPlan['layout'];
  /** Whether the consumer's patch edits it (else the change leaves it as it is). */
  edited: boolean;
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
    edited: true,
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
    edited: false,
  },
  {
    name: 'a drop',
    changes: () => [{ kind: 'drop_column', column: 'legacy' }],
    consumer: 'SELECT id, status FROM shop.orders WHERE id > 2',
    batched: true,
    layout: 'versioned',
    edited: false,
  },
  {
    name: 'a table move',
    changes: () => [{ kind: 'rename_table', to: 'shop.orders_v2' }],
    consumer: 'SELECT o.id, o.legacy FROM shop.orders o WHERE o.legacy',
    batched: true,
    layout: 'move',
    edited: true,
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
    edited: true,
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

/** Each verify query's answer: true when its check passes (none for other steps). */
async function checks(db: SqlWarehouse, step: Step): Promise<boolean[]> {
  const answers: boolean[] = [];
  if (step.name !== 'verify') {
    return answers;
  }
  for (const statement of step.statements) {
    const answer = await value(db, statement.replace(/;$/, ''));
    // `true`, or a count of differences of 0 (never `false`, which is 0 too).
    answers.push(typeof answer === 'boolean' ? answer : Number(answer) === 0);
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

    // The schema as JSON text: tsify types the engine's maps as `Map`s.
    const schemaText = () => JSON.stringify(shopSchema(db));
    const planOf = (c: Case) => {
      const change = {
        dataset: 'shop.orders',
        dialect: db.dialect,
        changes: c.changes(db),
      } as unknown as ChangeSpec;
      const plan = engine.stepPlan(change, {
        schema: schemaText(),
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
        expect(plan.steps.map(s => s.name)).toEqual(STEPS);
        const patch = engine.rewrite('consumer.sql', c.consumer, change, {
          schema: schemaText(),
        });
        expect(patch.status).toBe(c.edited ? 'rewritten' : 'unaffected');
        const patched = patch.content ?? c.consumer;
        const expected = sortedRows(await db.rows(c.consumer));
        expect(expected.length).toBeGreaterThan(1);

        // What each step left, observed as it ran; asserted below.
        const states = [before];
        const seen = {
          appliedBefore: [] as Array<boolean | null>,
          appliedAfter: [] as Array<boolean | null>,
          changed: [] as boolean[],
          rolledBack: [] as unknown[],
          appliedAfterRollback: [] as Array<boolean | null>,
          again: [] as unknown[],
          checks: [] as boolean[][],
          differences: [] as unknown[][][],
          oldReader: [] as string[][],
          newReader: [] as string[][],
        };
        const applied = async (step: Step) =>
          step.applied ? ((await value(db, step.applied)) as boolean) : null;
        for (const [i, step] of plan.steps.entries()) {
          seen.appliedBefore.push(await applied(step));
          await runStep(db, step, c.batched);
          const after = await warehouseState(db);
          seen.changed.push(!isEqual(after, states[i]));
          seen.appliedAfter.push(await applied(step));
          seen.checks.push(await checks(db, step));
          seen.differences.push(
            step.differences ? await db.rows(step.differences) : [],
          );
          // Rolled back right after it ran, then run again.
          await db.exec(step.rollback);
          seen.rolledBack.push(await warehouseState(db));
          seen.appliedAfterRollback.push(await applied(step));
          await runStep(db, step, c.batched);
          seen.again.push(await warehouseState(db));
          states.push(after);
          // Readers not yet patched until the contract; patched ones from the switch.
          seen.oldReader.push(
            step.name === 'contract'
              ? expected
              : sortedRows(await db.rows(c.consumer)),
          );
          seen.newReader.push(
            i >= STEPS.indexOf('switch')
              ? sortedRows(await db.rows(patched))
              : expected,
          );
        }
        const each = <T>(f: (stepName: string) => T) => STEPS.map(f);
        const withApplied = (v: boolean) =>
          each(s => (s === 'backfill' || s === 'verify' ? null : v));
        expect(seen.appliedBefore).toEqual(withApplied(false));
        expect(seen.appliedAfter).toEqual(withApplied(true));
        expect(seen.appliedAfterRollback).toEqual(withApplied(false));
        expect(seen.changed).toEqual(each(s => s !== 'verify'));
        expect(seen.rolledBack).toEqual(states.slice(0, -1));
        expect(seen.again).toEqual(states.slice(1));
        // verify: every query true (the row count, then each of the 4
        // columns), no row differs; the other steps have no checks.
        expect(seen.checks).toEqual(
          each(s => (s === 'verify' ? Array(5).fill(true) : [])),
        );
        expect(seen.differences).toEqual(each(() => []));
        expect(seen.oldReader).toEqual(each(() => expected));
        expect(seen.newReader).toEqual(each(() => expected));

        // Rolled back in reverse from the end: each step's rollback gives
        // the state before it, and at last the warehouse as it was.
        const reversed: unknown[] = [];
        for (let i = plan.steps.length - 1; i >= 0; i--) {
          await db.exec(plan.steps[i].rollback);
          reversed.unshift(await warehouseState(db));
        }
        expect(plan.steps[2].rollback).toEqual([]);
        expect(reversed).toEqual(states.slice(0, -1));
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
        await db.exec(contract.approval ?? []);
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
      expect(await checks(db, verify)).toEqual(
        verify.statements.map(() => true),
      );

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
      expect(await checks(db, verify)).toEqual(
        verify.statements.map(() => true),
      );
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
