import { screen } from '@testing-library/react';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { loadEngine } from '@ripple/engine';
import {
  mockRippleApi,
  renderWithRipple,
} from '../../__testUtils__/rippleTestApp';
import { EntityRippleMigrationsContent } from '../EntityContent/EntityRippleMigrationsContent';
import { draftsFromLink } from './changeFromLink';

const orders: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name: 'orders', namespace: 'default' },
  spec: { type: 'dataset', owner: 'data-platform' },
};

const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [
    { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
    { kind: 'drop_column', column: 'status' },
  ],
};

/** The dataset's tab as `ripple check`'s link opens it. */
async function openLink(query: string) {
  const api = mockRippleApi({
    listMigrations: async () => ({ items: [], totalCount: 0 }),
    getDataset: async () => ({
      ref: 'resource:default/orders',
      table: 'proj.ds.orders',
      dialect: 'bigquery',
      columns: [
        { name: 'id', type: 'INT64' },
        { name: 'amount', type: 'NUMERIC' },
        { name: 'status', type: 'STRING' },
      ],
    }),
    getDatasetCode: async () => ({ consumers: [] }),
  });
  await renderWithRipple(
    <EntityProvider entity={orders}>
      <EntityRippleMigrationsContent />
    </EntityProvider>,
    { api, routeEntries: [`/catalog/default/resource/orders/ripple?${query}`] },
  );
  return api;
}

describe('a link that opens the new-migration form with a change', () => {
  beforeAll(() => loadEngine());

  it('opens the form filled in with the change', async () => {
    await openLink(
      new URLSearchParams({
        newMigration: 'true',
        change: JSON.stringify(change),
      }).toString(),
    );
    expect(
      await screen.findByRole('heading', {
        name: 'New migration of proj.ds.orders',
      }),
    ).toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Change 1' })).toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Change 2' })).toBeInTheDocument();
    expect(screen.getByLabelText('New name')).toHaveValue('amount_usd');
    expect(
      screen.getByPlaceholderText('Rename amount to amount_usd, drop status'),
    ).toBeInTheDocument();
    expect(
      screen.queryByText('The change in the link was left out'),
    ).not.toBeInTheDocument();
  });

  it('opens an empty form with a visible message for a change it cannot use', async () => {
    await openLink(
      new URLSearchParams({
        newMigration: 'true',
        change: JSON.stringify({ ...change, dataset: 'proj.ds.customers' }),
      }).toString(),
    );
    expect(
      await screen.findByText('The change in the link was left out'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'The link’s change is of another table than proj.ds.orders: start from an empty form.',
      ),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('New name')).toHaveValue('');
  });

  it('stays closed without newMigration=true', async () => {
    await openLink(`change=${encodeURIComponent(JSON.stringify(change))}`);
    expect(
      await screen.findByText('No migration of this dataset yet'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('heading', {
        name: 'New migration of proj.ds.orders',
      }),
    ).not.toBeInTheDocument();
  });
});

describe('draftsFromLink', () => {
  it.each([
    ['not JSON', '{"dataset":', 'notJson'],
    ['no changes', JSON.stringify({ dataset: 'proj.ds.orders' }), 'notAChange'],
    [
      'an unknown kind',
      JSON.stringify({ dataset: 'orders', changes: [{ kind: 'truncate' }] }),
      'notAChange',
    ],
    [
      'a rename without its new name',
      JSON.stringify({
        dataset: 'orders',
        changes: [{ kind: 'rename_column', column: 'amount' }],
      }),
      'notAChange',
    ],
    [
      'a field that is not a string',
      JSON.stringify({
        dataset: 'orders',
        changes: [{ kind: 'drop_column', column: { $gt: '' } }],
      }),
      'notAChange',
    ],
    [
      'another table',
      JSON.stringify({ ...change, dataset: 'x.y' }),
      'otherTable',
    ],
    ['a huge value', `"${'x'.repeat(30_000)}"`, 'notAChange'],
  ])('refuses %s', (_what, raw, problem) => {
    expect(draftsFromLink(raw, 'proj.ds.orders')).toEqual({ problem });
  });

  it('takes a less qualified table and a replace_table mapping', () => {
    expect(
      draftsFromLink(
        JSON.stringify({
          dataset: 'ds.orders',
          changes: [
            {
              kind: 'replace_table',
              to: 'proj.core.orders',
              columns: { amount: 'amount_usd' },
            },
          ],
        }),
        'proj.ds.orders',
      ),
    ).toEqual({
      drafts: [
        {
          kind: 'replace_table',
          column: '',
          to: 'proj.core.orders',
          mapping: { amount: 'amount_usd' },
        },
      ],
    });
  });
});
