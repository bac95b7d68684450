import { makeDuckDbFile } from '../__testUtils__/warehouseFiles';
// The validation time for many consumers on DuckDB (issue 19's figure):
// 100 consumers of one dataset, each a query of its own, their patches made
// by the engine, validated one after another on a 100,000-row table. A
// benchmark, skipped in the test command: RIPPLE_BENCH=1 runs it (see
// docs/validation.md, "Figures"); RIPPLE_BENCH_CONSUMERS and
// RIPPLE_BENCH_ROWS change the sizes.
import { createDuckDbWarehouse } from '@ripple/backstage-plugin-ripple-node';
import { loadEngine, type ChangeSpec } from '@ripple/engine';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { validatePatch } from './validatePatch';

const CONSUMERS = Number(process.env.RIPPLE_BENCH_CONSUMERS ?? 100);
const ROWS = Number(process.env.RIPPLE_BENCH_ROWS ?? 100_000);

const bench = process.env.RIPPLE_BENCH ? it : it.skip;

bench(
  `validates ${CONSUMERS} consumers on DuckDB`,
  async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-bench-'));
    try {
      const file = path.join(dir, 'bench.duckdb');
      await makeDuckDbFile(
        file,
        `CREATE SCHEMA shop;
      CREATE TABLE shop.orders AS SELECT i AS id, i % 97 AS customer, (i * 7) % 1000 AS amount,
        CASE WHEN i % 3 = 0 THEN 'paid' ELSE 'open' END AS status FROM range(${ROWS}) t(i)`,
      );

      const engine = await loadEngine();
      const warehouse = await createDuckDbWarehouse({
        id: 'bench',
        path: file,
      });
      const change = {
        dataset: 'shop.orders',
        dialect: 'duckdb',
        changes: [
          { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        ],
      } as ChangeSpec;
      const columns = ['id', 'customer', 'amount', 'status'].map(name => ({
        name,
      }));
      const consumers = Array.from({ length: CONSUMERS }, (_, i) => {
        const text = `SELECT customer, status, sum(amount) AS total, count(*) AS n FROM shop.orders WHERE customer % ${
          (i % 7) + 2
        } = ${i % 2} GROUP BY customer, status;\n`;
        const patched = engine.rewrite(`c${i}.sql`, text, change, {
          dialect: 'duckdb',
        }).content!;
        return { path: `c${i}.sql`, text, patched };
      });

      const started = process.hrtime.bigint();
      const durations: number[] = [];
      for (const consumer of consumers) {
        const result = await validatePatch({
          engine,
          warehouse,
          change,
          columns,
          files: [consumer],
        });
        if (result.status !== 'passed') {
          throw new Error(
            `${consumer.path}: ${result.status}: ${JSON.stringify(
              result.statements,
            )}`,
          );
        }
        durations.push(result.durationMs);
      }
      const total = Number(process.hrtime.bigint() - started) / 1e6;
      durations.sort((a, b) => a - b);
      // eslint-disable-next-line no-console
      console.log(
        `${CONSUMERS} consumers, ${ROWS} rows: ${Math.round(
          total,
        )} ms in all, ${(total / CONSUMERS).toFixed(1)} ms each; median ${
          durations[Math.floor(durations.length / 2)]
        } ms, slowest ${durations[durations.length - 1]} ms`,
      );
      await warehouse.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  },
  600_000,
);
