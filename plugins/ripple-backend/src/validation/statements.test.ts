import type { RippleWarehouse } from '@ripple/backstage-plugin-ripple-node';
import { loadEngine, type ChangeSpec, type RippleEngine } from '@ripple/engine';
import fs from 'node:fs';
import path from 'node:path';
import {
  onEachWarehouse,
  SHOP_COLUMNS,
} from '../__testUtils__/validationWarehouses';
import type { SampleValues } from './sampleValues';
import type { PatchedFile } from './statements';
import { validatePatch } from './validatePatch';

// Queries that cannot run as written, on real warehouses: parameters bound
// from the consumer's sample values, the query part of a statement that
// writes, and a dbt model run from the compiled SQL in its repository.

const FIXTURE = path.join(__dirname, '__fixtures__', 'dbt-report');
const MODEL = 'models/report.sql';
const COMPILED = 'target/compiled/shop_report/models/report.sql';
const read = (file: string) =>
  fs.readFileSync(path.join(FIXTURE, file), 'utf8');

function behaves(
  name: string,
  connect: () => Promise<RippleWarehouse>,
  catalog: string,
) {
  describe(`queries that cannot run as written, on ${name}`, () => {
    let engine: RippleEngine;
    let warehouse: RippleWarehouse;
    let change: ChangeSpec;
    beforeAll(async () => {
      engine = await loadEngine();
      warehouse = await connect();
      change = {
        dataset: 'shop.orders',
        dialect: warehouse.dialect,
        changes: [
          { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        ],
      } as ChangeSpec;
    });
    afterAll(() => warehouse?.close());

    /** The file, patched by the engine (then made wrong, when asked). */
    const patchedFile = (
      file: string,
      text: string,
      wrong?: (patched: string) => string,
    ): PatchedFile => {
      const rewrite = engine.rewrite(file, text, change, {
        dialect: warehouse.dialect as never,
      });
      expect(rewrite.status).toBe('rewritten');
      const patched = rewrite.content!;
      return { path: file, text, patched: wrong ? wrong(patched) : patched };
    };
    const validate = (files: PatchedFile[], sampleValues?: SampleValues) =>
      validatePatch({
        engine,
        warehouse,
        change,
        columns: SHOP_COLUMNS,
        files,
        sampleValues,
      });
    const wrongSum = (patched: string) =>
      patched.replace('sum(amount_usd)', 'sum(id)');

    describe('parameters', () => {
      const NAMED =
        'SELECT status, sum(amount) AS total FROM shop.orders\nWHERE amount > :min AND status <> :skipped\nGROUP BY status';
      const POSITIONAL =
        'SELECT status, sum(amount) AS total FROM shop.orders WHERE amount > $1 GROUP BY status';

      it('are bound from the sample values: the patch passes, a wrong one fails', async () => {
        const values: SampleValues = { values: { min: 2, skipped: 'none' } };
        const right = await validate([patchedFile('q.sql', NAMED)], values);
        expect(right.status).toBe('passed');
        // Bound, `amount > 2` leaves out the order of 1.
        expect(right.statements[0].rows).toEqual({ before: 2, after: 2 });
        const wrong = await validate(
          [patchedFile('q.sql', NAMED, wrongSum)],
          values,
        );
        expect(wrong.status).toBe('failed');
        expect(wrong.statements[0].differences!.length).toBeGreaterThan(0);
        const positional = await validate([patchedFile('p.sql', POSITIONAL)], {
          values: [5],
        });
        expect(positional.statements[0]).toMatchObject({
          status: 'passed',
          rows: { before: 1, after: 1 },
        });
      });

      it('without values skip with the reason, naming the parameters', async () => {
        const none = await validate([patchedFile('q.sql', NAMED)]);
        expect(none.status).toBe('skipped');
        expect(none.statements[0].reason).toBe(
          "the statement at line 1 has parameters (:min, :skipped) and no sample values to bind: declare them in the consumer's annotation ripple.io/sample-values",
        );
        const missing = await validate([patchedFile('q.sql', NAMED)], {
          values: { min: 2 },
        });
        expect(missing.statements[0]).toMatchObject({
          status: 'skipped',
          reason:
            'the statement at line 1: cannot bind the parameter `:skipped` at line 2, column 35: no value named `skipped` (sample values of ripple.io/sample-values)',
        });
      });

      it('an annotation that cannot be used is an error naming it', async () => {
        const error =
          'component:default/report: annotation ripple.io/sample-values: not JSON (...)';
        const result = await validate([patchedFile('q.sql', NAMED)], {
          error,
        });
        expect(result.status).toBe('error');
        expect(result.statements[0]).toMatchObject({
          status: 'error',
          reason: error,
        });
      });
    });

    describe('statements that write', () => {
      const INSERT =
        'INSERT INTO mart.totals (status, total)\nSELECT status, sum(amount) FROM shop.orders GROUP BY status;\n';

      it('run their query part alone: the patch passes, a wrong one fails, nothing is written', async () => {
        const right = await validate([patchedFile('load.sql', INSERT)]);
        expect(right.statements[0]).toMatchObject({
          path: 'load.sql',
          line: 1,
          status: 'passed',
          rows: { before: 2, after: 2 },
        });
        const wrong = await validate([
          patchedFile('load.sql', INSERT, wrongSum),
        ]);
        expect(wrong.statements[0].status).toBe('failed');
        // The INSERT never ran: its schema does not even exist.
        const schemas = await warehouse.query(
          "SELECT schema_name FROM information_schema.schemata WHERE schema_name = 'mart'",
          { timeoutMs: 5000, maxRows: 10 },
        );
        expect(schemas.rows).toEqual([]);
      });

      it('with parameters bind them first', async () => {
        const sql =
          'CREATE TABLE mart.big AS SELECT id, amount FROM shop.orders WHERE amount > $1';
        const result = await validate([patchedFile('big.sql', sql)], {
          values: [5],
        });
        expect(result.statements[0]).toMatchObject({
          status: 'passed',
          rows: { before: 2, after: 2 },
        });
      });

      it('a MERGE has no query part and is skipped with the reason', async () => {
        const sql =
          'MERGE INTO mart.totals t USING shop.orders o ON t.status = o.status\nWHEN MATCHED THEN UPDATE SET total = o.amount';
        const result = await validate([patchedFile('merge.sql', sql)]);
        expect(result.status).toBe('skipped');
        expect(result.statements[0].reason).toBe(
          "the statement at line 1 writes (mart.totals) and has no query part to run alone (what MERGE, UPDATE and DELETE write depends on the target's own rows): Ripple never writes outside its scratch schema",
        );
      });
    });

    describe('dbt models', () => {
      // dbt wrote the fixture's compiled SQL for DuckDB, whose database it
      // names; dbt-postgres names the database the same way.
      const compiledText = () =>
        read(COMPILED).replace('"warehouse"', `"${catalog}"`);
      const model = (
        wrong?: (patched: string) => string,
        compiled: string | null = compiledText(),
      ): PatchedFile => ({
        ...patchedFile(MODEL, read(MODEL), wrong),
        ...(compiled === null
          ? {}
          : { compiled: { path: COMPILED, text: compiled } }),
      });

      it('run from target/compiled, patched as their source is: the patch passes, a wrong one fails', async () => {
        const right = await validate([model()]);
        expect(right.statements).toEqual([
          expect.objectContaining({
            path: COMPILED,
            line: 4,
            status: 'passed',
            rows: { before: 2, after: 2 },
          }),
        ]);
        const wrong = await validate([model(wrongSum)]);
        expect(wrong.statements[0].status).toBe('failed');
      });

      it('skip with the reason when the compiled SQL is stale or absent, or the patch edits Jinja', async () => {
        const stale = await validate([
          model(undefined, compiledText().replace('amount > 0', 'amount >= 0')),
        ]);
        expect(stale.statements[0]).toMatchObject({
          path: MODEL,
          status: 'skipped',
          reason: `${COMPILED} is stale: line 9 of ${MODEL} is not in it (or is in a Jinja branch dbt did not render); run \`dbt compile\` again`,
        });
        const absent = await validate([model(undefined, null)]);
        expect(absent.statements[0].reason).toMatch(
          /run `dbt compile` and commit its target\//,
        );
        const jinja = await validate([
          model(patched =>
            patched.replace("source('shop', 'orders')", "ref('orders')"),
          ),
        ]);
        expect(jinja.statements[0].reason).toBe(
          `the patch edits Jinja at line 8 of ${MODEL}, which ${COMPILED} holds rendered`,
        );
      });
    });
  });
}

onEachWarehouse('ripple_statements', behaves);
