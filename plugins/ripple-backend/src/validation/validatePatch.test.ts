import type { RippleWarehouse } from '@ripple/backstage-plugin-ripple-node';
import { loadEngine, type ChangeSpec, type RippleEngine } from '@ripple/engine';
import {
  onEachWarehouse,
  SHOP_COLUMNS as COLUMNS,
} from '../__testUtils__/validationWarehouses';
import { validatePatch } from './validatePatch';

/** The validation cases, each with a right patch (from the engine) and a wrong one (by hand). */
const CASES: {
  name: string;
  change: ChangeSpec;
  consumer: string;
  wrong: (patched: string) => string;
}[] = [
  {
    name: 'a renamed column',
    change: {
      dataset: 'shop.orders',
      changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
    } as ChangeSpec,
    consumer:
      'SELECT status, sum(amount) AS total FROM shop.orders GROUP BY status;\n',
    wrong: patched => patched.replace('sum(amount_usd)', 'sum(id)'),
  },
  {
    name: 'a moved table',
    change: {
      dataset: 'shop.orders',
      changes: [{ kind: 'rename_table', to: 'sales.orders' }],
    } as ChangeSpec,
    consumer: "SELECT id FROM shop.orders WHERE status = 'paid';\n",
    wrong: patched => patched.replace("'paid'", "'open'"),
  },
  {
    name: 'a retyped column',
    change: {
      dataset: 'shop.orders',
      changes: [{ kind: 'change_type', column: 'amount', to: 'BIGINT' }],
    } as ChangeSpec,
    consumer: 'SELECT id, amount FROM shop.orders;\n',
    wrong: patched =>
      patched.replace('SELECT id, amount', 'SELECT id, amount + 1 AS amount'),
  },
  {
    name: 'a replaced table with a mapping',
    change: {
      dataset: 'shop.orders',
      changes: [
        {
          kind: 'replace_table',
          to: 'core.orders',
          columns: { id: 'order_id' },
        },
      ],
      // (The generated type says Map; the engine takes a plain object, as JSON.)
    } as unknown as ChangeSpec,
    consumer: 'SELECT o.id, o.status FROM shop.orders o WHERE o.id > 1;\n',
    wrong: patched => patched.replace('> 1', '> 2'),
  },
];

function behaves(name: string, connect: () => Promise<RippleWarehouse>) {
  describe(`validation on ${name}`, () => {
    let engine: RippleEngine;
    let warehouse: RippleWarehouse;
    beforeAll(async () => {
      engine = await loadEngine();
      warehouse = await connect();
    });
    afterAll(() => warehouse?.close());

    // One case, outside the loop: its closures read the suite's engine and warehouse.
    const checkCase = async (c: (typeof CASES)[number]) => {
      const change = {
        ...c.change,
        dialect: warehouse.dialect,
      } as ChangeSpec;
      const rewrite = engine.rewrite('q.sql', c.consumer, change, {
        dialect: warehouse.dialect as never,
      });
      const patched = rewrite.content ?? c.consumer;
      const validate = (text: string) =>
        validatePatch({
          engine,
          warehouse,
          change,
          columns: COLUMNS,
          files: [{ path: 'q.sql', text: c.consumer, patched: text }],
        });
      const right = await validate(patched);
      expect(right).toMatchObject({
        status: 'passed',
        warehouse: warehouse.id,
      });
      expect(right.statements[0].rows!.before).toBeGreaterThan(0);

      const wrong = await validate(c.wrong(patched));
      expect(wrong.status).toBe('failed');
      expect(wrong.statements[0].differences!.length).toBeGreaterThan(0);
      // The forward view is gone after each validation.
      const views = await warehouse.query(
        `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'ripple_%'`,
        { timeoutMs: 5000, maxRows: 10 },
      );
      expect(views.rows).toEqual([]);
    };

    for (const c of CASES) {
      it(`${c.name}: the engine's patch passes, a wrong one fails with the differing rows`, async () => {
        expect.hasAssertions();
        await checkCase(c);
      });
    }

    it('runs validations of one change side by side, each on its own forward view', async () => {
      // Two consumers of one migration (or of two migrations of the same
      // table) validated at once: one dropping its view must not break the
      // other, which a shared view name did ("Table ... does not exist").
      const change = {
        ...CASES[0].change,
        dialect: warehouse.dialect,
      } as ChangeSpec;
      const patched = engine.rewrite('q.sql', CASES[0].consumer, change, {
        dialect: warehouse.dialect as never,
      }).content!;
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          validatePatch({
            engine,
            warehouse,
            change,
            columns: COLUMNS,
            files: [{ path: `q${i}.sql`, text: CASES[0].consumer, patched }],
          }),
        ),
      );
      expect(results.map(r => r.status)).toEqual(Array(6).fill('passed'));
      const views = await warehouse.query(
        `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'ripple_%'`,
        { timeoutMs: 5000, maxRows: 10 },
      );
      expect(views.rows).toEqual([]);
    });

    it('skips what cannot run as written, with the reason', async () => {
      const change = {
        dataset: 'shop.orders',
        dialect: warehouse.dialect,
        changes: [
          { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        ],
      } as ChangeSpec;
      const files = [
        {
          path: 'model.sql',
          text: "select amount from {{ source('shop', 'orders') }}",
          patched:
            "select amount_usd as amount from {{ source('shop', 'orders') }}",
        },
        {
          path: 'load.py',
          text: 'cur.execute("SELECT amount FROM shop.orders")',
          patched:
            'cur.execute("SELECT amount_usd AS amount FROM shop.orders")',
        },
        {
          path: 'merge.sql',
          text: 'MERGE INTO shop.totals t USING shop.orders o ON t.id = o.id WHEN MATCHED THEN UPDATE SET total = o.amount',
          patched:
            'MERGE INTO shop.totals t USING shop.orders o ON t.id = o.id WHEN MATCHED THEN UPDATE SET total = o.amount_usd',
        },
      ];
      const result = await validatePatch({ engine, warehouse, change, files });
      expect(result.status).toBe('skipped');
      expect(result.statements.map(s => s.reason)).toEqual([
        expect.stringContaining('run `dbt compile` and commit its target/'),
        'SQL inside python code is assembled by the program at run time',
        expect.stringContaining(
          'writes (shop.totals) and has no query part to run alone',
        ),
      ]);
      // A skipped patch always says why (a plan with requireValidation
      // counts a skip only with its reason): each statement's reason, with
      // where.
      expect(result.reason).toMatch(/^every statement was skipped: /);
      for (const statement of result.statements) {
        expect(result.reason).toContain(
          `${statement.path}:${statement.line}: ${statement.reason}`,
        );
      }
    });

    it('gives a patch skipped for reading nothing of the dataset its reason', async () => {
      const change = {
        dataset: 'shop.orders',
        dialect: warehouse.dialect,
        changes: [
          { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        ],
      } as ChangeSpec;
      const result = await validatePatch({
        engine,
        warehouse,
        change,
        files: [
          {
            path: 'other.sql',
            text: 'SELECT amount FROM shop.refunds',
            patched: 'SELECT amount FROM shop.refunds',
          },
        ],
      });
      expect(result).toMatchObject({
        status: 'skipped',
        reason: 'no statement of the patch reads shop.orders',
        statements: [],
      });
    });

    it('reads a sample of the table on both sides, and skips an empty one', async () => {
      const change = {
        dataset: 'shop.orders',
        dialect: warehouse.dialect,
        changes: [
          { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        ],
      } as ChangeSpec;
      const files = [
        {
          path: 'a.sql',
          text: 'SELECT id, amount FROM shop.orders',
          patched: 'SELECT id, amount_usd AS amount FROM shop.orders',
        },
      ];
      const sampled = await validatePatch({
        engine,
        warehouse,
        change,
        columns: COLUMNS,
        files,
        sample: { column: 'id', from: 3 },
      });
      expect(sampled).toMatchObject({ status: 'passed', sample: 'id >= 3' });
      expect(sampled.statements[0].rows).toEqual({ before: 2, after: 2 });
      // A patch wrong only outside the window passes: the window is what is read.
      const outside = await validatePatch({
        engine,
        warehouse,
        change,
        columns: COLUMNS,
        files: [
          {
            ...files[0],
            patched:
              'SELECT id, CASE WHEN id < 3 THEN 0 ELSE amount_usd END AS amount FROM shop.orders',
          },
        ],
        sample: { column: 'id', from: 3 },
      });
      expect(outside.status).toBe('passed');

      const empty = await validatePatch({
        engine,
        warehouse,
        change,
        columns: COLUMNS,
        files,
        sample: { column: 'id', from: 100 },
      });
      expect(empty).toMatchObject({
        status: 'skipped',
        sample: 'id >= 100',
        reason: expect.stringContaining('holds no rows'),
      });
      const views = await warehouse.query(
        `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'ripple_%'`,
        { timeoutMs: 5000, maxRows: 10 },
      );
      expect(views.rows).toEqual([]);
    });

    it('a query the warehouse refuses is an error naming the cause, and the rest still runs', async () => {
      const change = {
        dataset: 'shop.orders',
        dialect: warehouse.dialect,
        changes: [
          { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        ],
      } as ChangeSpec;
      const result = await validatePatch({
        engine,
        warehouse,
        change,
        columns: COLUMNS,
        files: [
          {
            path: 'a.sql',
            text: 'SELECT amount FROM shop.orders',
            patched: 'SELECT amount_usd AS amount FROM shop.orders',
          },
          {
            path: 'b.sql',
            text: 'SELECT nothere FROM shop.orders',
            patched: 'SELECT nothere FROM shop.orders',
          },
        ],
        limits: { timeoutMs: 5000 },
      });
      expect(result.status).toBe('error');
      expect(result.statements.map(s => s.status)).toEqual(['passed', 'error']);
      expect(result.statements[1].reason).toMatch(
        /^query_failed: warehouse \w+: .*nothere/,
      );
    });
  });
}

onEachWarehouse('ripple_validation', behaves);
