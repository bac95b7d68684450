import {
  createServiceFactory,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { loadEngine, type ChangeSpec } from '@ripple/engine';
import { rippleEngineServiceRef } from '../../engine/engineService';
import type { StepPlan, StepPlanEngine, StepPlanOptions } from '../stepPlan';

// STAND-IN FOR THE ENGINE'S `stepPlan` UNTIL IT LANDS (branch steps-engine).
//
// The step plan of issue 20's contract (docs/steps.md), in the engine's own
// shape, for ONE change: a column rename (`rename_column`) on a table of a
// DuckDB or PostgreSQL warehouse, written as the engine writes it (its
// snapshots `duckdb_column_rename_is_versioned_and_the_view_exposes_both_names`
// and `postgres_...`). Real SQL that really runs on both. At the merge,
// delete this file and let the tests use the real engine: nothing else
// refers to it.

type Column = { name: string; type: string };

/** The fixture's `stepPlan(change, options)`, with the engine's checks that the tests meet. */
export function contractStepPlan(
  change: ChangeSpec,
  options: StepPlanOptions,
): StepPlan {
  const dialect = (options.dialect ?? change.dialect) as string;
  if (dialect !== 'duckdb' && dialect !== 'postgres') {
    throw engineError(
      `dialect: the step plan fixture is written for duckdb and postgres, not ${dialect}`,
    );
  }
  const rename = change.changes?.[0] as
    | { kind: string; column: string; to: string }
    | undefined;
  if (change.changes?.length !== 1 || rename?.kind !== 'rename_column') {
    throw engineError('changes: the fixture plans one rename_column only');
  }
  const tables = (
    options.schema as unknown as {
      tables: Record<string, { columns: Column[] }>;
    }
  ).tables;
  const columns = tables[change.dataset]?.columns;
  if (!columns?.length) {
    throw engineError(`schema: no table ${change.dataset} in the schema`);
  }
  const key = options.key ?? columns[0].name;
  if (!columns.some(c => c.name === key)) {
    throw engineError(`key: ${key} is not a column of ${change.dataset}`);
  }
  const batchRows = options.batch_rows ?? 100_000;
  const dataset = change.dataset;
  const [schema, table] = dataset.split('.');
  const v2 = `${dataset}__ripple_v2`;
  const old = `${dataset}__ripple_old`;
  const renamed = (c: Column) =>
    c.name === rename.column ? rename.to : c.name;
  const newNames = columns.map(renamed).join(', ');
  const oldNames = columns.map(c => c.name).join(', ');
  const type = (c: Column) =>
    dialect === 'postgres' && c.type.toUpperCase() === 'VARCHAR'
      ? 'TEXT'
      : c.type;
  const create = `CREATE TABLE ${v2} (\n${columns
    .map(c => `  ${renamed(c)} ${type(c)}`)
    .join(',\n')}\n);`;
  const copy = (where: string) =>
    `INSERT INTO ${v2} (${newNames})\nSELECT ${oldNames}\nFROM ${dataset}${
      where ? `\nWHERE ${where}` : ''
    };`;
  const exists = (name: string, extra = '') =>
    dialect === 'duckdb'
      ? `(SELECT count(*) FROM information_schema.tables WHERE lower(table_name) = '${name}' AND lower(table_schema) = '${schema}'${extra})`
      : `(SELECT count(*) FROM information_schema.tables WHERE table_name = '${name}' AND table_schema = '${schema}'${extra})`;
  const checksum = (column: string) =>
    dialect === 'duckdb'
      ? `sum(hash(${column}))`
      : `sum(coalesce(CAST(CAST('x' || substr(md5(CAST(${column} AS text)), 1, 16) AS bit(64)) AS bigint), 1))`;
  const view = `CREATE OR REPLACE VIEW ${dataset} AS\nSELECT\n${[
    ...columns.map(c =>
      c.name === rename.column ? `  ${rename.to} AS ${c.name}` : `  ${c.name}`,
    ),
    `  ${rename.to}`,
  ].join(',\n')}\nFROM ${v2};`;
  const aliased = columns
    .map(c => (c.name === rename.column ? `${c.name} AS ${rename.to}` : c.name))
    .join(', ');
  return {
    dataset,
    dialect,
    layout: 'versioned',
    new_table: v2,
    old_table: old,
    final_table: dataset,
    key,
    batch_rows: batchRows,
    steps: [
      {
        name: 'expand',
        statements: [create],
        rollback: [`DROP TABLE IF EXISTS ${v2};`],
        applied: `SELECT ${exists(`${table}__ripple_v2`)} > 0;`,
      },
      {
        name: 'backfill',
        statements: [copy('')],
        rollback: [`DELETE FROM ${v2};`],
        batch: {
          count: `SELECT count(*) FROM ${dataset};`,
          next: `SELECT max(${key}) FROM (SELECT ${key} FROM ${dataset} WHERE ${key} > $1 ORDER BY ${key} LIMIT ${batchRows}) AS next_keys;`,
          next_first: `SELECT max(${key}) FROM (SELECT ${key} FROM ${dataset} WHERE ${key} IS NOT NULL ORDER BY ${key} LIMIT ${batchRows}) AS next_keys;`,
          copy: copy(`${key} > $1 AND ${key} <= $2`),
          copy_first: copy(`${key} <= $1`),
          clear: `DELETE FROM ${v2} WHERE ${renamed({
            name: key,
            type: '',
          })} > $1 AND ${renamed({ name: key, type: '' })} <= $2;`,
          clear_first: `DELETE FROM ${v2} WHERE ${renamed({
            name: key,
            type: '',
          })} <= $1;`,
          copy_nulls: copy(`${key} IS NULL`),
          clear_nulls: `DELETE FROM ${v2} WHERE ${renamed({
            name: key,
            type: '',
          })} IS NULL;`,
        },
      },
      {
        name: 'verify',
        statements: [
          `SELECT (SELECT count(*) FROM ${dataset}) = (SELECT count(*) FROM ${v2});`,
          ...columns.map(
            c =>
              `SELECT (SELECT ${checksum(
                c.name,
              )} FROM ${dataset}) IS NOT DISTINCT FROM (SELECT ${checksum(
                renamed(c),
              )} FROM ${v2});`,
          ),
        ],
        rollback: [],
        differences: `SELECT * FROM (\n  (SELECT 'old' AS side, ${aliased} FROM ${dataset} EXCEPT SELECT 'old' AS side, ${newNames} FROM ${v2})\n  UNION ALL\n  (SELECT 'new' AS side, ${newNames} FROM ${v2} EXCEPT SELECT 'new' AS side, ${aliased} FROM ${dataset})\n) AS differences LIMIT 20;`,
      },
      {
        name: 'switch',
        statements: [
          `ALTER TABLE ${dataset} RENAME TO ${table}__ripple_old;`,
          view,
        ],
        rollback: [
          `DROP VIEW IF EXISTS ${dataset};`,
          `ALTER TABLE ${old} RENAME TO ${table};`,
        ],
        applied: `SELECT ${exists(`${table}__ripple_old`)} > 0 AND ${exists(
          table,
          " AND table_type = 'VIEW'",
        )} > 0;`,
      },
      {
        name: 'contract',
        statements: [
          `DROP VIEW IF EXISTS ${dataset};`,
          `ALTER TABLE ${v2} RENAME TO ${table};`,
        ],
        rollback: [
          `ALTER TABLE ${dataset} RENAME TO ${table}__ripple_v2;`,
          view,
        ],
        applied: `SELECT ${exists(`${table}__ripple_v2`)} = 0 AND ${exists(
          table,
          " AND table_type = 'BASE TABLE'",
        )} > 0;`,
        approval: [`DROP TABLE IF EXISTS ${old};`],
      },
    ],
  };
}

/** An error as the engine throws its refusals. */
function engineError(message: string): Error {
  const error = new Error(message);
  error.name = 'RippleError';
  return Object.assign(error, { kind: 'step_plan' });
}

/**
 * The engine's `stepPlan` where the build has it: `@ripple/engine`'s own
 * (once the engine's branch is merged), else the WebAssembly build's export
 * (a build made from that branch, before `@ripple/engine` wraps it), else
 * this file's stand-in.
 */
export function stepPlanOf(engine: StepPlanEngine): StepPlanEngine['stepPlan'] {
  if (engine.stepPlan) return engine.stepPlan.bind(engine);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wasm = require(resolvePackagePath(
      '@ripple/engine',
      'node/ripple_engine.js',
    ));
    if (typeof wasm.stepPlan === 'function') return wasm.stepPlan;
  } catch {
    // No build there: the stand-in.
  }
  return contractStepPlan;
}

/** The real engine with {@link stepPlanOf}'s `stepPlan`, as a backend's engine service. */
export const contractStepPlanEngineFactory = createServiceFactory({
  service: rippleEngineServiceRef,
  deps: {},
  factory: async () => {
    const engine = (await loadEngine()) as StepPlanEngine;
    return engine.stepPlan
      ? engine
      : Object.assign(Object.create(engine), { stepPlan: stepPlanOf(engine) });
  },
});
