import type { ChangeSpec } from '@ripple/backstage-plugin-ripple-common';
import { coversChange, openStates } from './coverage';

const orders = 'resource:default/orders';
const spec = (changes: object[]): ChangeSpec =>
  ({ dataset: 'proj.ds.orders', changes } as unknown as ChangeSpec);
const asked = spec([
  { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
  { kind: 'change_type', column: 'ts', to: 'TIMESTAMP' },
]);

describe('coversChange', () => {
  it('covers a change whose every operation the open migration holds, whatever the case, spacing and extra operations', () => {
    const migration = {
      state: 'proposed' as const,
      datasetRef: orders,
      change: spec([
        { kind: 'drop_column', column: 'status' },
        { kind: 'change_type', column: 'TS', to: 'timestamp' },
        { kind: 'rename_column', column: 'Amount', to: 'AMOUNT_USD' },
      ]),
    };
    expect(coversChange(migration, orders, asked)).toBe(true);
    expect(
      coversChange(
        {
          ...migration,
          change: spec([
            { kind: 'change_type', column: 'price', to: 'NUMERIC(10, 2)' },
          ]),
        },
        orders,
        spec([{ kind: 'change_type', column: 'price', to: 'numeric(10,2)' }]),
      ),
    ).toBe(true);
  });

  it('does not cover it with an operation missing or different, another dataset, or a closed migration', () => {
    const held = spec([
      { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
      { kind: 'change_type', column: 'ts', to: 'TIMESTAMP' },
    ]);
    const open = { state: 'draft' as const, datasetRef: orders, change: held };
    expect(coversChange(open, orders, asked)).toBe(true);
    const partial = spec([
      { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
    ]);
    expect(coversChange({ ...open, change: partial }, orders, asked)).toBe(
      false,
    );
    const other = spec([
      { kind: 'rename_column', column: 'amount', to: 'total' },
      { kind: 'change_type', column: 'ts', to: 'TIMESTAMP' },
    ]);
    expect(coversChange({ ...open, change: other }, orders, asked)).toBe(false);
    expect(
      coversChange(
        { ...open, datasetRef: 'resource:default/customers' },
        orders,
        asked,
      ),
    ).toBe(false);
    expect(coversChange({ ...open, state: 'completed' }, orders, asked)).toBe(
      false,
    );
    expect(coversChange({ ...open, state: 'cancelled' }, orders, asked)).toBe(
      false,
    );
    expect(coversChange({ ...open, state: 'rolled_back' }, orders, asked)).toBe(
      true,
    );
  });

  it('lists the open states for the store', () => {
    expect(
      openStates(['draft', 'proposed', 'completed', 'cancelled', 'paused']),
    ).toEqual(['draft', 'proposed', 'paused']);
  });
});
