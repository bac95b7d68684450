import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import fs from 'node:fs';
import path from 'node:path';
import {
  exampleConsumers,
  readTree,
  runAction,
} from '../__testUtils__/runAction';
import { shopProject } from '../__testUtils__/dbtProject';
import { createRippleRewriteAction } from './rewrite';

const renameAmount = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

describe('ripple:rewrite', () => {
  const action = createRippleRewriteAction();
  const workspace = createMockDirectory();

  // A consumer repository as fetch:plain leaves it in the workspace: the
  // example finance-reports job, a file that does not read the dataset, and
  // a README that is not code.
  beforeEach(() => {
    workspace.setContent({
      'consumer/README.md': 'Month-end close.',
      'consumer/sql/other.sql': 'SELECT id FROM `proj.ds.customers`;\n',
    });
    fs.cpSync(
      path.join(exampleConsumers, 'finance-reports/sql/monthly_close.sql'),
      workspace.resolve('consumer/sql/monthly_close.sql'),
    );
  });
  const original = () =>
    fs.readFileSync(
      path.join(exampleConsumers, 'finance-reports/sql/monthly_close.sql'),
      'utf8',
    );

  it('writes only the changed files to outputDir, at their paths, and leaves the sources alone', async () => {
    const output = await runAction(action, workspace.path, {
      change: renameAmount,
      sourcePath: 'consumer',
      outputDir: 'patch',
    });

    const patch = readTree(workspace.resolve('patch'));
    expect(Object.keys(patch)).toEqual(['sql/monthly_close.sql']);
    // Only the column's name changes: the INSERT's column list names the
    // unpaid_orders table's own column, which the change does not touch.
    expect(patch['sql/monthly_close.sql']).toBe(
      original().replace(
        'SELECT id, amount, ts',
        'SELECT id, amount_usd AS amount, ts',
      ),
    );
    expect(
      readTree(workspace.resolve('consumer'))['sql/monthly_close.sql'],
    ).toBe(original());

    expect(output.changed).toEqual(['sql/monthly_close.sql']);
    expect(output.summary).toEqual({
      files: 2,
      rewritten: 1,
      unaffected: 1,
      needs_edit: 0,
      // Its old name, until 0.3.
      needs_review: 0,
      error: 0,
      // The name, and its alias keeping the output column's name.
      edits: 2,
    });
    expect(output.files).toEqual([
      {
        path: 'sql/monthly_close.sql',
        status: 'rewritten',
        reasons: [],
        findings: [],
        edits: 2,
      },
      {
        path: 'sql/other.sql',
        status: 'unaffected',
        reasons: [],
        findings: [],
        edits: 0,
      },
    ]);
    expect(output.diff).toContain(
      '--- a/sql/monthly_close.sql\n+++ b/sql/monthly_close.sql\n',
    );
    expect(output.diff).toContain(
      '-SELECT id, amount, ts\n+SELECT id, amount_usd AS amount, ts\n',
    );
  });

  it('rewrites the files in place without outputDir', async () => {
    const output = await runAction(action, workspace.path, {
      change: JSON.stringify(renameAmount),
      sourcePath: 'consumer',
      paths: ['sql/*.sql'],
    });
    const tree = readTree(workspace.resolve('consumer'));
    expect(tree['sql/monthly_close.sql']).toContain(
      'SELECT id, amount_usd AS amount, ts',
    );
    expect(tree['sql/other.sql']).toBe('SELECT id FROM `proj.ds.customers`;\n');
    expect(output.changed).toEqual(['sql/monthly_close.sql']);
  });

  it('writes nothing on a dry run, and still reports the statuses and the diff', async () => {
    const before = readTree(workspace.path);
    const output = await runAction(action, workspace.path, {
      change: renameAmount,
      sourcePath: 'consumer',
      outputDir: 'patch',
      dryRun: true,
    });
    expect(readTree(workspace.path)).toEqual(before);
    expect(fs.existsSync(workspace.resolve('patch'))).toBe(false);
    expect(output.changed).toEqual(['sql/monthly_close.sql']);
    expect(output.diff).toContain('+SELECT id, amount_usd AS amount, ts');
  });

  it("writes to the workspace in the scaffolder's own dry run, which runs in a throwaway workspace", async () => {
    await runAction(
      action,
      workspace.path,
      { change: renameAmount, sourcePath: 'consumer', outputDir: 'patch' },
      { isDryRun: true },
    );
    expect(Object.keys(readTree(workspace.resolve('patch')))).toEqual([
      'sql/monthly_close.sql',
    ]);
  });

  it('marks a file that still reads a dropped column for review, naming the line and column', async () => {
    const output = await runAction(action, workspace.path, {
      change: {
        dataset: 'proj.ds.orders',
        dialect: 'bigquery',
        changes: [{ kind: 'drop_column', column: 'amount' }],
      },
      sourcePath: 'consumer',
      outputDir: 'patch',
    });
    expect(output.files[0]).toMatchObject({
      path: 'sql/monthly_close.sql',
      status: 'needs_edit',
    });
    expect(output.files[0].reasons).toEqual([
      'line 12, column 12: reads `amount`, which the change drops',
    ]);
    expect(output.files[0].findings).toEqual([
      {
        kind: 'dropped_column_used',
        severity: 'needs_edit',
        line: 12,
        column: 12,
        endLine: 12,
        endColumn: 18,
        message: 'reads `amount`, which the change drops',
      },
    ]);
    expect(output.summary.needs_edit).toBe(1);
    expect(output.summary.needs_review).toBe(1);
    // Nothing could be edited, so nothing is proposed.
    expect(output.changed).toEqual([]);
    expect(readTree(workspace.resolve('patch'))).toEqual({});
  });

  it('refuses paths that leave the workspace, naming the input', async () => {
    fs.symlinkSync(
      path.resolve(exampleConsumers, '..'),
      workspace.resolve('escape'),
    );
    const run = (input: object) =>
      runAction(action, workspace.path, { change: renameAmount, ...input });

    await expect(run({ paths: ['../outside.sql'] })).rejects.toThrow(
      "paths[0]: '../outside.sql' is outside the task workspace; paths must stay inside it",
    );
    await expect(run({ paths: ['consumer', '/etc/passwd'] })).rejects.toThrow(
      "paths[1]: '/etc/passwd' is outside the task workspace",
    );
    await expect(run({ sourcePath: '../..' })).rejects.toThrow(
      "sourcePath: '../..' is outside the task workspace",
    );
    await expect(run({ outputDir: '../patch' })).rejects.toThrow(
      "outputDir: '../patch' is outside the task workspace",
    );
    await expect(run({ paths: ['consumer/../../**/*.sql'] })).rejects.toThrow(
      "paths[0]: 'consumer/../../**/*.sql' is outside the task workspace",
    );
    // Through a link: named, it is refused; walked, it is not followed.
    await expect(run({ paths: ['escape/consumers'] })).rejects.toThrow(
      "paths[0]: 'escape/consumers' is outside the task workspace",
    );
    const walked = await runAction(action, workspace.path, {
      change: renameAmount,
      dryRun: true,
    });
    expect(walked.files.map((f: { path: string }) => f.path)).toEqual([
      'consumer/sql/monthly_close.sql',
      'consumer/sql/other.sql',
    ]);
  });

  it('refuses a bad change spec with the field at fault, or the line and column of malformed JSON, and writes nothing', async () => {
    const before = readTree(workspace.path);
    await expect(
      runAction(action, workspace.path, {
        change: {
          dataset: 'proj.ds.orders',
          changes: [{ kind: 'rename_column', column: 'amount' }],
        },
        outputDir: 'patch',
      }),
    ).rejects.toThrow(/^change\.changes\[0\]: missing field `to`/);
    await expect(
      runAction(action, workspace.path, {
        change: '{"dataset": "proj.ds.orders",\n "changes": [}',
        outputDir: 'patch',
      }),
    ).rejects.toThrow(/^change: .* at line 2, column 14$/);
    await expect(
      runAction(action, workspace.path, {
        change: { ...renameAmount, dialect: 'cobol' },
      }),
    ).rejects.toThrow(/^change\.dialect: unknown variant `cobol`/);
    await expect(
      runAction(action, workspace.path, {
        change: renameAmount,
        schema: { tables: { 'proj.ds.orders': { columns: [{ nam: 'id' }] } } },
      }),
    ).rejects.toThrow(
      /^schema\.tables\.proj\.ds\.orders\.columns\[0\]\.nam: unknown field/,
    );
    expect(readTree(workspace.path)).toEqual(before);
  });

  it('refuses an outputDir that already holds files, a missing path and a glob that matches nothing', async () => {
    await expect(
      runAction(action, workspace.path, {
        change: renameAmount,
        outputDir: 'consumer',
      }),
    ).rejects.toThrow(/^outputDir: 'consumer' already holds files/);
    await expect(
      runAction(action, workspace.path, {
        change: renameAmount,
        paths: ['consumer/dags'],
      }),
    ).rejects.toThrow(
      "paths[0]: 'consumer/dags' does not exist in the workspace",
    );
    await expect(
      runAction(action, workspace.path, {
        change: renameAmount,
        paths: ['consumer/**/*.py'],
      }),
    ).rejects.toThrow(
      "paths[0]: 'consumer/**/*.py' matches no file in the workspace",
    );
  });

  it("rewrites a dbt model that reads the dataset through a source, mapped by the project's sources.yml", async () => {
    fs.cpSync(
      path.join(exampleConsumers, 'jaffle-dbt'),
      workspace.resolve('jaffle'),
      {
        recursive: true,
      },
    );
    const model = () =>
      fs.readFileSync(
        path.join(exampleConsumers, 'jaffle-dbt/models/stg_orders.sql'),
        'utf8',
      );

    const columns = ['id', 'cust', 'amount', 'status', 'ts', 'legacy_flag'];
    const output = await runAction(action, workspace.path, {
      change: JSON.stringify(renameAmount),
      schema: {
        tables: {
          'proj.ds.orders': { columns: columns.map(name => ({ name })) },
        },
      },
      sourcePath: 'jaffle',
      outputDir: 'patch',
    });

    // `{{ source('shop', 'orders') }}` is proj.ds.orders (sources.yml): its
    // `*` is the dataset's columns, `amount` among them. daily_revenue reads
    // the model, which still outputs `amount`, and is left alone.
    expect(output.changed).toEqual(['models/stg_orders.sql']);
    expect(readTree(workspace.resolve('patch'))).toEqual({
      'models/stg_orders.sql': model().replace(
        "select * from {{ source('shop', 'orders') }}",
        "select id, cust, amount_usd AS amount, status, ts, legacy_flag from {{ source('shop', 'orders') }}",
      ),
    });
  });
});

describe('ripple:rewrite with a dbt project', () => {
  const action = createRippleRewriteAction();
  const workspace = createMockDirectory();
  const renameCustomer = (dataset: string) => ({
    dataset,
    dialect: 'duckdb',
    changes: [{ kind: 'rename_column', column: 'customer', to: 'customer_id' }],
  });

  beforeEach(() => {
    workspace.setContent(shopProject);
  });
  const file = (name: string) => shopProject[`shop/${name}`];

  it("rewrites a model's import CTE over a ref with the project's schema, then the property file that tests the column", async () => {
    // Without the project, the `*` over the ref cannot be expanded.
    const alone = await runAction(action, workspace.path, {
      change: renameCustomer('stg_orders'),
      sourcePath: 'shop',
      dryRun: true,
    });
    expect(
      alone.files.find((f: { path: string }) => f.path === 'models/orders.sql'),
    ).toMatchObject({ status: 'needs_edit' });

    const output = await runAction(action, workspace.path, {
      change: renameCustomer('stg_orders'),
      sourcePath: 'shop',
      project: 'shop',
      outputDir: 'patch',
    });
    expect(readTree(workspace.resolve('patch'))).toEqual({
      'models/orders.sql': file('models/orders.sql').replace(
        'select * from',
        'select order_id, customer_id AS customer, amount from',
      ),
      'models/orders.yml': file('models/orders.yml').replace(
        'field: customer\n',
        'field: customer_id\n',
      ),
    });
    expect(output.changed).toEqual(['models/orders.sql', 'models/orders.yml']);
    // The property files count like the models: dbt_project.yml, the
    // sources and the producer's own entry are unaffected.
    expect(output.summary).toMatchObject({
      files: 6,
      rewritten: 2,
      unaffected: 4,
      needs_edit: 0,
      error: 0,
    });
    expect(
      output.files.map((f: { path: string; status: string }) => [
        f.path,
        f.status,
      ]),
    ).toEqual([
      ['dbt_project.yml', 'unaffected'],
      ['models/orders.sql', 'rewritten'],
      ['models/orders.yml', 'rewritten'],
      ['models/sources.yml', 'unaffected'],
      ['models/staging/stg_orders.sql', 'unaffected'],
      ['models/staging/stg_orders.yml', 'unaffected'],
    ]);
    expect(output.diff).toContain('+              field: customer_id\n');
    expect(output.warnings).toEqual([]);

    // Where each table's columns came from; dbt_packages/ and logs/ are
    // not the project's.
    expect(output.project.conflicts).toEqual([]);
    expect(output.project.problems).toEqual([]);
    expect(output.project.origins).toContainEqual({
      table: 'stg_orders',
      origin: 'sql',
      path: 'models/staging/stg_orders.sql',
      columns: ['order_id', 'customer', 'amount'],
    });
    expect(output.project.origins).toContainEqual({
      table: 'ecom.raw_orders',
      origin: 'properties',
      path: 'models/sources.yml',
      columns: ['id', 'customer', 'amount'],
    });
  });

  it("rewrites a dataset named by its warehouse relation as the project's source, in the model and in its property file, in place", async () => {
    // sources.yml is outside sourcePath: only the project declares the
    // source.
    const output = await runAction(action, workspace.path, {
      change: renameCustomer('raw.raw_orders'),
      sourcePath: 'shop/models/staging',
      project: 'shop',
    });
    const tree = readTree(workspace.resolve('shop/models/staging'));
    expect(tree['stg_orders.sql']).toBe(
      file('models/staging/stg_orders.sql').replace(
        'customer, amount',
        'customer_id AS customer, amount',
      ),
    );
    // The test names the source's column; its comment is kept.
    expect(tree['stg_orders.yml']).toBe(
      file('models/staging/stg_orders.yml').replace(
        'field: customer\n',
        'field: customer_id\n',
      ),
    );
    expect(output.changed).toEqual(['stg_orders.sql', 'stg_orders.yml']);
    expect(output.summary).toMatchObject({ files: 2, rewritten: 2 });
    expect(output.warnings).toEqual([]);
  });

  it('warns, with the closest names, when no file names the dataset', async () => {
    const logger = mockServices.logger.mock();
    const output = await runAction(
      action,
      workspace.path,
      {
        change: renameCustomer('raw.raw_orders'),
        sourcePath: 'shop/models/staging',
        paths: ['stg_orders.sql'],
        dryRun: true,
      },
      { logger },
    );
    expect(output.summary).toMatchObject({ files: 1, unaffected: 1 });
    expect(output.warnings).toEqual([
      {
        dataset: 'raw.raw_orders',
        closest: ["source('ecom', 'raw_orders')"],
        message: expect.stringMatching(
          /^no file names `raw\.raw_orders` .*source\('ecom', 'raw_orders'\)$/,
        ),
      },
    ]);
    expect(logger.warn).toHaveBeenCalledWith(output.warnings[0].message);
  });

  it('gives no warning when only a property file names the dataset', async () => {
    const run = (paths: string[]) =>
      runAction(action, workspace.path, {
        change: renameCustomer('stg_orders'),
        sourcePath: 'shop/models',
        paths,
        dryRun: true,
      });
    // The staging model is the dataset itself; no file reads it...
    const model = await run(['staging/stg_orders.sql']);
    expect(model.warnings.map((w: { dataset: string }) => w.dataset)).toEqual([
      'stg_orders',
    ]);
    // ...but orders.yml tests a column of it.
    const withProperties = await run(['staging/stg_orders.sql', 'orders.yml']);
    expect(withProperties.changed).toEqual(['orders.yml']);
    expect(withProperties.warnings).toEqual([]);
  });

  it('refuses a project outside the workspace, through a link too, and a folder without dbt_project.yml', async () => {
    const outside = createMockDirectory();
    outside.setContent({ 'dbt_project.yml': 'name: elsewhere\n' });
    fs.symlinkSync(outside.path, workspace.resolve('escape'));
    const run = (project: string) =>
      runAction(action, workspace.path, {
        change: renameCustomer('stg_orders'),
        sourcePath: 'shop',
        project,
        dryRun: true,
      });
    await expect(run('../elsewhere')).rejects.toThrow(
      "project: '../elsewhere' is outside the task workspace; paths must stay inside it",
    );
    await expect(run(outside.path)).rejects.toThrow(
      /^project: '.*' is outside the task workspace/,
    );
    await expect(run('escape')).rejects.toThrow(
      /^project: 'escape' is outside the task workspace \(through a link, it is /,
    );
    await expect(run('shop/models')).rejects.toThrow(
      "project: 'shop/models' holds no dbt_project.yml; it is not a dbt project",
    );
    await expect(run('nowhere')).rejects.toThrow(
      "project: 'nowhere' is not a folder in the workspace",
    );
  });
});
