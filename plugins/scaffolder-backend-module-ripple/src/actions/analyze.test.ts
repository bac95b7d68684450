import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import fs from 'node:fs';
import path from 'node:path';
import { exampleConsumers, runAction } from '../__testUtils__/runAction';
import { shopProject } from '../__testUtils__/dbtProject';
import { createRippleAnalyzeAction } from './analyze';

describe('ripple:analyze', () => {
  const action = createRippleAnalyzeAction();
  const workspace = createMockDirectory();

  beforeEach(() => {
    workspace.clear();
    fs.cpSync(
      path.join(exampleConsumers, 'orders-export'),
      workspace.resolve('consumer'),
      { recursive: true },
    );
    workspace.addContent({
      'consumer/sql/broken.sql':
        'SELECT id,\n  FROM `proj.ds.orders` WHERE (;\n',
      'consumer/sql/orders_star.sql': 'SELECT * FROM `proj.ds.orders`\n',
    });
  });

  it("sums up the tables, columns and references of the workspace's consumer code", async () => {
    const output = await runAction(action, workspace.path, {
      sourcePath: 'consumer',
      dialect: 'bigquery',
    });

    expect(output.files.map((f: { path: string }) => f.path)).toEqual([
      'export_orders.py',
      'sql/broken.sql',
      'sql/orders_star.sql',
    ]);
    const [python, broken, star] = output.files;
    expect(python).toMatchObject({
      language: 'python',
      tables: ['proj.ds.customers', 'proj.ds.orders'],
      diagnostics: [],
    });
    expect(python.references).toBeGreaterThan(8);
    expect(broken.diagnostics).toEqual([
      '2:32: error: Expected: an expression, found: ;',
    ]);
    expect(star.tables).toEqual(['proj.ds.orders']);

    const orders = output.tables.find(
      (t: { table: string }) => t.table === 'proj.ds.orders',
    );
    expect(orders.columns).toEqual(
      expect.arrayContaining(['id', 'amount', 'ts', 'cust', 'status', '*']),
    );
    expect(orders.files).toEqual([
      'export_orders.py',
      'sql/broken.sql',
      'sql/orders_star.sql',
    ]);

    expect(output.summary).toEqual({
      files: 3,
      statements: 3,
      files_with_errors: 1,
      tables: output.tables.length,
      // proj.ds.orders: id, amount, ts, cust, status; proj.ds.customers:
      // email, id ('*' is not a column).
      columns: 7,
      references: output.files.reduce(
        (sum: number, f: { references: number }) => sum + f.references,
        0,
      ),
    });
  });

  it('expands SELECT * with a schema given as JSON text', async () => {
    const output = await runAction(action, workspace.path, {
      sourcePath: 'consumer',
      paths: ['sql/orders_star.sql'],
      schema: JSON.stringify({
        tables: {
          'proj.ds.orders': {
            columns: [{ name: 'id' }, { name: 'amount' }],
          },
        },
      }),
    });
    expect(output.tables).toEqual([
      {
        table: 'proj.ds.orders',
        columns: ['id', 'amount'],
        files: ['sql/orders_star.sql'],
      },
    ]);
    expect(output.summary.columns).toBe(2);
  });

  it("names a dbt model's sources by the tables the project's sources.yml maps them to", async () => {
    fs.cpSync(
      path.join(exampleConsumers, 'jaffle-dbt'),
      workspace.resolve('jaffle'),
      {
        recursive: true,
      },
    );
    const output = await runAction(action, workspace.path, {
      sourcePath: 'jaffle',
    });

    expect(
      output.files.map((f: { path: string; tables: string[] }) => [
        f.path,
        f.tables,
      ]),
    ).toEqual([
      ['models/daily_revenue.sql', ['proj.ds.customers', 'stg_orders']],
      ['models/stg_orders.sql', ['proj.ds.orders']],
    ]);
    expect(output.tables.map((t: { table: string }) => t.table)).toEqual([
      'proj.ds.customers',
      'proj.ds.orders',
      'stg_orders',
    ]);
  });

  it('refuses a malformed schema naming the field, and paths outside the workspace', async () => {
    await expect(
      runAction(action, workspace.path, {
        schema: { tables: { t: { columns: 'id' } } },
      }),
    ).rejects.toThrow(/^schema\.tables\.t\.columns: /);
    await expect(
      runAction(action, workspace.path, { paths: ['consumer', '..'] }),
    ).rejects.toThrow("paths[1]: '..' is outside the task workspace");
  });
});

describe('ripple:analyze with a dbt project', () => {
  const action = createRippleAnalyzeAction();
  const workspace = createMockDirectory();

  beforeEach(() => {
    workspace.setContent(shopProject);
  });
  const columnsOf = (output: Record<string, any>, table: string) =>
    output.tables.find((t: { table: string }) => t.table === table)?.columns;

  it("reads a model's import CTE over a ref with the columns the project knows", async () => {
    const alone = await runAction(action, workspace.path, {
      sourcePath: 'shop',
      paths: ['models/orders.sql'],
    });
    expect(columnsOf(alone, 'stg_orders')).toContain('*');
    expect(alone).not.toHaveProperty('project');

    const output = await runAction(action, workspace.path, {
      sourcePath: 'shop',
      paths: ['models/orders.sql'],
      project: 'shop',
    });
    // The import CTE's `*` is every column of the model.
    expect(columnsOf(output, 'stg_orders')).toEqual([
      'order_id',
      'customer',
      'amount',
    ]);
    expect(output.project.origins).toContainEqual({
      table: 'stg_orders',
      origin: 'sql',
      path: 'models/staging/stg_orders.sql',
      columns: ['order_id', 'customer', 'amount'],
    });
    expect(output.warnings).toEqual([]);
  });

  it('lets the schema input win over the project, and outputs its origin as explicit', async () => {
    const output = await runAction(action, workspace.path, {
      sourcePath: 'shop',
      paths: ['models/orders.sql'],
      project: 'shop',
      schema: {
        tables: {
          stg_orders: { columns: [{ name: 'order_id' }, { name: 'customer' }] },
        },
      },
    });
    expect(output.project.origins).toContainEqual({
      table: 'stg_orders',
      origin: 'explicit',
      columns: ['order_id', 'customer'],
    });
  });

  it('reads target/catalog.json, and nothing else of target/, dbt_packages/ or logs/', async () => {
    workspace.addContent({
      'shop/target/catalog.json': JSON.stringify({
        nodes: {
          'model.shop.orders': {
            metadata: { name: 'orders' },
            columns: {
              order_id: { name: 'order_id', index: 1 },
              customer: { name: 'customer', index: 2 },
            },
          },
        },
        sources: {},
      }),
      // A compiled copy that disagrees with the model: not the project's.
      'shop/target/run/shop/models/staging/stg_orders.sql': 'select 1 as one\n',
    });
    const output = await runAction(action, workspace.path, {
      sourcePath: 'shop',
      paths: ['models/orders.sql'],
      project: 'shop',
    });
    expect(output.project.origins).toContainEqual({
      table: 'orders',
      origin: 'catalog',
      path: 'target/catalog.json',
      columns: ['order_id', 'customer'],
    });
    expect(output.project.conflicts).toEqual([]);
    expect(
      output.project.origins.map((o: { path?: string }) => o.path),
    ).not.toContainEqual(
      expect.stringMatching(/^(dbt_packages|logs|target\/run)\//),
    );
  });

  it('outputs the files the project could not read, and logs each as a warning', async () => {
    workspace.addContent({ 'shop/models/broken.yml': 'models: [\n' });
    const logger = mockServices.logger.mock();
    const output = await runAction(
      action,
      workspace.path,
      { sourcePath: 'shop', paths: ['models/orders.sql'], project: 'shop' },
      { logger },
    );
    expect(output.project.problems).toEqual([
      expect.stringMatching(/^models\/broken\.yml: /),
    ]);
    expect(logger.warn).toHaveBeenCalledWith(
      `shop: ${output.project.problems[0]}`,
    );
    // The rest of the project is still read.
    expect(columnsOf(output, 'stg_orders')).not.toContain('*');
  });

  it('warns when no file names the dataset, and not once the project declares it as the source the models read', async () => {
    // sources.yml is outside sourcePath.
    const warned = await runAction(action, workspace.path, {
      sourcePath: 'shop/models/staging',
      dataset: 'raw.raw_orders',
    });
    expect(warned.warnings).toEqual([
      {
        dataset: 'raw.raw_orders',
        closest: ["source('ecom', 'raw_orders')"],
        message: expect.stringContaining('no file names `raw.raw_orders`'),
      },
    ]);
    const named = await runAction(action, workspace.path, {
      sourcePath: 'shop/models/staging',
      project: 'shop',
      dataset: 'raw.raw_orders',
    });
    expect(named.warnings).toEqual([]);
  });

  it('refuses a project outside the workspace and a folder without dbt_project.yml, naming the input', async () => {
    await expect(
      runAction(action, workspace.path, { project: '../..' }),
    ).rejects.toThrow("project: '../..' is outside the task workspace");
    await expect(
      runAction(action, workspace.path, { project: 'shop/models' }),
    ).rejects.toThrow(
      "project: 'shop/models' holds no dbt_project.yml; it is not a dbt project",
    );
  });
});
