import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { runAction } from '../__testUtils__/runAction';
import { createRippleCompatViewAction } from './compatView';

describe('ripple:compat-view', () => {
  const action = createRippleCompatViewAction();
  const workspace = createMockDirectory();
  const schema = {
    tables: {
      'proj.ds.orders': {
        columns: [
          { name: 'id', type: 'INT64' },
          { name: 'amount', type: 'NUMERIC' },
          { name: 'legacy_flag', type: 'BOOL' },
        ],
      },
    },
  };
  const move = {
    dataset: 'proj.ds.orders',
    changes: [
      { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
      { kind: 'drop_column', column: 'legacy_flag' },
      { kind: 'rename_table', to: 'proj.sales.orders_v2' },
    ],
  };

  it('outputs the DDL of the view and of its cleanup', async () => {
    const output = await runAction(action, workspace.path, {
      change: move,
      dialect: 'bigquery',
      schema,
    });
    expect(output).toEqual({
      view: 'proj.ds.orders',
      table: 'proj.sales.orders_v2',
      ddl: [
        'CREATE OR REPLACE VIEW proj.ds.orders AS',
        'SELECT',
        '  id,',
        '  amount_usd AS amount,',
        '  CAST(NULL AS BOOL) AS legacy_flag',
        'FROM proj.sales.orders_v2;',
      ].join('\n'),
      cleanupDdl: 'DROP VIEW IF EXISTS proj.ds.orders;',
    });
  });

  it('takes the change and the schema as JSON text, the dialect from the change', async () => {
    const output = await runAction(action, workspace.path, {
      change: JSON.stringify({ ...move, dialect: 'postgres' }),
      schema: JSON.stringify(schema),
    });
    expect(output.ddl).toMatch(/^CREATE OR REPLACE VIEW/);
    expect(output.ddl).toContain('amount_usd AS amount');
  });

  it('refuses a change that keeps the table in place, and a dropped column without its type, saying why', async () => {
    await expect(
      runAction(action, workspace.path, {
        change: { dataset: 'proj.ds.orders', changes: [move.changes[0]] },
      }),
    ).rejects.toThrow(
      /^change: cannot build a compatibility view: the change keeps proj\.ds\.orders in place/,
    );
    await expect(
      runAction(action, workspace.path, {
        change: move,
        schema: {
          tables: {
            'proj.ds.orders': {
              columns: [
                { name: 'id' },
                { name: 'amount' },
                { name: 'legacy_flag' },
              ],
            },
          },
        },
      }),
    ).rejects.toThrow(/gives no type for column legacy_flag/);
    await expect(
      runAction(action, workspace.path, {
        change: { dataset: 'proj.ds.orders', changes: [{ kind: 'rename' }] },
      }),
    ).rejects.toThrow(/^change\.changes\[0\]\.kind: /);
  });

  it('works on as a deprecated alias: its description and a warning point to ripple:plan', async () => {
    expect(action.description).toMatch(/^Deprecated: use ripple:plan/);
    const logger = mockServices.logger.mock();
    const output = await runAction(
      action,
      workspace.path,
      { change: move, dialect: 'bigquery', schema },
      { logger },
    );
    expect(output.view).toBe('proj.ds.orders');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /^ripple:compat-view is deprecated: use ripple:plan/,
      ),
    );
  });
});
