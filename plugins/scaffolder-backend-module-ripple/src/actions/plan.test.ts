import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { loadEngine } from '@ripple/engine';
import fs from 'node:fs';
import path from 'node:path';
import { readTree, runAction } from '../__testUtils__/runAction';
import {
  defaultPlanDirectory,
  stepPlanFiles,
  type StepPlan,
} from '../stepPlan';
import { createRipplePlanAction } from './plan';

const schema = {
  tables: {
    'shop.orders': {
      columns: [
        { name: 'id', type: 'BIGINT' },
        { name: 'amount', type: 'DOUBLE' },
        { name: 'note', type: 'VARCHAR' },
      ],
    },
  },
};
const rename = {
  dataset: 'shop.orders',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

// The plan of the shared contract's shape (docs/scaffolder.md), as the
// engine's stepPlan returns it, for the file layout alone.
const versioned: StepPlan = {
  dataset: 'shop.orders',
  dialect: 'duckdb',
  layout: 'versioned',
  new_table: 'shop.orders__ripple_v2',
  old_table: 'shop.orders__ripple_old',
  final_table: 'shop.orders',
  key: 'id',
  batch_rows: 100000,
  steps: [
    {
      name: 'expand',
      statements: ['CREATE TABLE shop.orders__ripple_v2 (id BIGINT);'],
      rollback: ['DROP TABLE IF EXISTS shop.orders__ripple_v2;'],
    },
    {
      name: 'backfill',
      statements: [
        'INSERT INTO shop.orders__ripple_v2 (id) SELECT id FROM shop.orders;',
      ],
      rollback: ['DELETE FROM shop.orders__ripple_v2;'],
    },
    {
      name: 'verify',
      statements: ['SELECT 1 = 1;', 'SELECT 0;'],
      rollback: [],
    },
    {
      name: 'switch',
      statements: [
        'ALTER TABLE shop.orders RENAME TO orders__ripple_old;',
        'CREATE VIEW shop.orders AS SELECT id FROM shop.orders__ripple_v2;',
      ],
      rollback: [
        'DROP VIEW IF EXISTS shop.orders;',
        'ALTER TABLE shop.orders__ripple_old RENAME TO orders;',
      ],
    },
    {
      name: 'contract',
      statements: [
        'DROP VIEW IF EXISTS shop.orders;',
        'ALTER TABLE shop.orders__ripple_v2 RENAME TO orders;',
      ],
      rollback: ['ALTER TABLE shop.orders RENAME TO orders__ripple_v2;'],
      approval: ['DROP TABLE IF EXISTS shop.orders__ripple_old;'],
    },
  ],
};

describe('the step plan as files', () => {
  it('writes one file per step in order, each rollback next to it, verify without one, and the approval on its own', () => {
    const files = stepPlanFiles(versioned);
    expect(files.map(f => f.path)).toEqual([
      '01_expand.sql',
      '01_expand.rollback.sql',
      '02_backfill.sql',
      '02_backfill.rollback.sql',
      '03_verify.sql',
      '04_switch.sql',
      '04_switch.rollback.sql',
      '05_contract.sql',
      '05_contract.rollback.sql',
      '05_contract.approval.sql',
    ]);
    const file = (name: string) => files.find(f => f.path === name)!.content;
    expect(file('04_switch.sql')).toBe(
      [
        '-- Step 4 of 5: switch',
        '-- shop.orders (duckdb, versioned): shop.orders -> shop.orders__ripple_v2',
        '-- It moves the old table aside and puts a view under its name for readers not yet migrated.',
        '',
        'ALTER TABLE shop.orders RENAME TO orders__ripple_old;',
        'CREATE VIEW shop.orders AS SELECT id FROM shop.orders__ripple_v2;',
        '',
      ].join('\n'),
    );
    expect(file('02_backfill.sql')).toContain(
      '-- Ripple runs it in batches of 100000 rows by id; run by hand, it is one statement.',
    );
    expect(file('05_contract.approval.sql')).toMatch(
      /-- Approval: DELETES DATA FOR GOOD, with no rollback\.\n.*\n\nDROP TABLE IF EXISTS shop\.orders__ripple_old;\n$/,
    );
    expect(file('05_contract.sql')).not.toContain('DROP TABLE');
  });

  it('keeps the default folder one path segment below migrations/, whatever the dataset is called', () => {
    expect(defaultPlanDirectory('shop.orders')).toBe('migrations/shop.orders');
    expect(defaultPlanDirectory('../../etc/passwd')).toBe(
      'migrations/__.._etc_passwd',
    );
    expect(defaultPlanDirectory('"my-proj".ds.t')).toBe(
      'migrations/_my-proj_.ds.t',
    );
    expect(defaultPlanDirectory('..')).toBe('migrations/_');
    expect(defaultPlanDirectory('')).toBe('migrations/dataset');
  });
});

describe('ripple:plan', () => {
  const action = createRipplePlanAction();
  const workspace = createMockDirectory();
  beforeEach(() => workspace.clear());

  it('refuses a folder outside the workspace, and one that already holds files, naming the input', async () => {
    await expect(
      runAction(action, workspace.path, {
        change: rename,
        dialect: 'duckdb',
        schema,
        directory: '../out',
      }),
    ).rejects.toThrow(/^directory: '\.\.\/out' is outside the task workspace/);
    workspace.setContent({
      'migrations/shop.orders/01_expand.sql': 'SELECT 1;\n',
    });
    await expect(
      runAction(action, workspace.path, {
        change: rename,
        dialect: 'duckdb',
        schema,
      }),
    ).rejects.toThrow(
      "directory: 'migrations/shop.orders' already holds files; name a new folder for this plan",
    );
  });

  it('refuses a dialect a step plan does not support before anything is written', async () => {
    await expect(
      runAction(action, workspace.path, {
        change: rename,
        dialect: 'mysql',
        schema,
      }),
    ).rejects.toThrow(/invalid input: .*dialect/);
    await expect(
      runAction(action, workspace.path, { change: rename, schema }),
    ).rejects.toThrow(
      /^dialect: a step plan needs a warehouse's dialect \(duckdb, postgres, bigquery, snowflake\)/,
    );
    expect(fs.existsSync(path.join(workspace.path, 'migrations'))).toBe(false);
  });
});

describe('ripple:plan on the engine', () => {
  const action = createRipplePlanAction();
  const workspace = createMockDirectory();
  beforeAll(() => loadEngine());
  beforeEach(() => workspace.clear());

  it('writes the plan of a column rename on DuckDB into migrations/<dataset>', async () => {
    const logger = mockServices.logger.mock();
    const output = await runAction(
      action,
      workspace.path,
      {
        change: rename,
        dialect: 'duckdb',
        schema,
        key: 'id',
        batchRows: 5000,
      },
      { logger },
    );
    expect(output).toMatchObject({
      directory: 'migrations/shop.orders',
      layout: 'versioned',
      oldTable: expect.stringContaining('orders'),
      newTable: expect.stringContaining('orders'),
    });
    const tree = readTree(workspace.path);
    expect(Object.keys(tree).sort()).toEqual([...output.files].sort());
    expect(output.files).toEqual([
      'migrations/shop.orders/01_expand.sql',
      'migrations/shop.orders/01_expand.rollback.sql',
      'migrations/shop.orders/02_backfill.sql',
      'migrations/shop.orders/02_backfill.rollback.sql',
      'migrations/shop.orders/03_verify.sql',
      'migrations/shop.orders/04_switch.sql',
      'migrations/shop.orders/04_switch.rollback.sql',
      'migrations/shop.orders/05_contract.sql',
      'migrations/shop.orders/05_contract.rollback.sql',
      'migrations/shop.orders/05_contract.approval.sql',
    ]);
    expect(tree['migrations/shop.orders/01_expand.sql']).toMatch(
      /CREATE TABLE/i,
    );
    expect(tree['migrations/shop.orders/02_backfill.sql']).toContain(
      'batches of 5000 rows by id',
    );
    expect(tree['migrations/shop.orders/05_contract.approval.sql']).toMatch(
      /DROP TABLE IF EXISTS/i,
    );
    expect(logger.info).toHaveBeenCalledWith(
      expect.stringMatching(
        /^Step plan of shop\.orders \(versioned\) in migrations\/shop\.orders: 01_expand\.sql/,
      ),
    );
  });

  it('takes the change and schema as JSON text, the dialect from the change, into the folder given', async () => {
    const output = await runAction(action, workspace.path, {
      change: JSON.stringify({
        ...rename,
        dialect: 'postgres',
        changes: [{ kind: 'rename_table', to: 'sales.orders' }],
      }),
      schema: JSON.stringify(schema),
      directory: 'warehouse/orders-move',
    });
    expect(output.layout).toBe('move');
    expect(output.newTable).toBe('sales.orders');
    expect(output.files[0]).toBe('warehouse/orders-move/01_expand.sql');
  });

  it('names the input at fault when the engine refuses: a column without a type, an unknown key', async () => {
    await expect(
      runAction(action, workspace.path, {
        change: rename,
        dialect: 'duckdb',
        schema: {
          tables: {
            'shop.orders': { columns: [{ name: 'id' }, { name: 'amount' }] },
          },
        },
      }),
    ).rejects.toThrow(/^schema\.tables\.shop\.orders\.columns\[0\]\.type: /);
    await expect(
      runAction(action, workspace.path, {
        change: rename,
        dialect: 'duckdb',
        schema,
        key: 'nope',
      }),
    ).rejects.toThrow(/^key: nope is not a column of shop\.orders/);
    expect(fs.existsSync(path.join(workspace.path, 'migrations'))).toBe(false);
  });
});
