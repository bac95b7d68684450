import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import type { Migration } from '@ripple/backstage-plugin-ripple-common';
import {
  aMigration,
  mockRippleApi,
  renderWithRipple,
  responseError,
} from '../../__testUtils__/rippleTestApp';
import { EntityRippleMigrationsContent } from './EntityRippleMigrationsContent';

const orders: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name: 'orders', namespace: 'default' },
  spec: { type: 'dataset', owner: 'data-platform' },
};

const suggestion = {
  id: 's1',
  change: { kind: 'rename_column' as const, column: 'status', to: 'state' },
  replaces: [{ kind: 'drop_column' as const, column: 'status' }],
  reason: '`state` has the type of `status` and its place',
  file: 'file:///repo/orders/schema.yaml',
  line: 4,
};

function aDraft(overrides: Partial<Migration> = {}): Migration {
  return aMigration({
    id: 'd1',
    state: 'draft',
    origin: 'schema-change',
    title: 'Schema change to proj.ds.orders',
    createdBy: 'plugin:default/ripple',
    change: {
      dataset: 'proj.ds.orders',
      changes: [
        { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        { kind: 'drop_column', column: 'status' },
      ],
    },
    suggestions: [suggestion],
    undecided: [
      {
        file: 'file:///repo/orders/schema.yaml',
        line: 6,
        reason: '`tags` changed its nested fields',
      },
    ],
    impactSummary: { total: 3, breaking: 2, partiallyBreaking: 1, unaffected: 0, unknown: 0 },
    ...overrides,
  });
}

function render(api: ReturnType<typeof mockRippleApi>, allowed = true) {
  return renderWithRipple(
    <EntityProvider entity={orders}>
      <EntityRippleMigrationsContent />
    </EntityProvider>,
    { api, authorize: () => (allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY) },
  );
}

describe('a draft on the dataset’s Migrations tab', () => {
  it('comes first, with its change, the impact by verdict, the renames to confirm and what is undecided', async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [aMigration(), aDraft()], totalCount: 2 }),
    });
    await render(api);
    const draft = await screen.findByRole('region', { name: 'Drafts' });
    expect(draft).toHaveTextContent('Drafted by Ripple from a change of the dataset’s schema');
    expect(draft).toHaveTextContent('amount → amount_usd');
    const impact = within(draft).getByLabelText('Consumers by verdict');
    expect(impact).toHaveTextContent('Breaking2');
    expect(impact).toHaveTextContent('Partially breaking1');
    expect(impact).toHaveTextContent('Unaffected0');
    const renames = within(draft).getByRole('region', { name: 'Renames to confirm' });
    expect(renames).toHaveTextContent('file:///repo/orders/schema.yaml, line 4');
    const undecided = within(draft).getByRole('region', { name: 'Not decided' });
    expect(undecided).toHaveTextContent('file:///repo/orders/schema.yaml, line 6: `tags` changed its nested fields');
    // The other migration stays in the table, after the draft.
    const rows = screen.getAllByRole('row');
    expect(rows[1]).toHaveTextContent('Rename amount to amount_usd');
    expect(
      draft.compareDocumentPosition(rows[1]) & Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();
  });

  it('confirms a suggested rename and shows the draft as the backend returns it', async () => {
    let current = aDraft();
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [current], totalCount: 1 }),
      decideDraftSuggestion: async () => {
        current = aDraft({
          suggestions: [],
          change: {
            dataset: 'proj.ds.orders',
            changes: [
              { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
              { kind: 'rename_column', column: 'status', to: 'state' },
            ],
          },
        });
        return current;
      },
    });
    await render(api);
    const confirm = await screen.findByRole('button', { name: /^Confirm .*status → state/ });
    await userEvent.click(confirm);
    expect(api.decideDraftSuggestion).toHaveBeenCalledWith('d1', 's1', 'confirm');
    await waitFor(() =>
      expect(screen.queryByRole('region', { name: 'Renames to confirm' })).not.toBeInTheDocument(),
    );
    expect(screen.getByRole('region', { name: 'Drafts' })).toHaveTextContent('status → state');
  });

  it('rejects a suggested rename, and says why the backend refused', async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [aDraft()], totalCount: 1 }),
      decideDraftSuggestion: async () =>
        Promise.reject(responseError(409, 'Migration d1 is analyzing, not a draft')),
    });
    await render(api);
    await userEvent.click(await screen.findByRole('button', { name: /^Reject / }));
    expect(api.decideDraftSuggestion).toHaveBeenCalledWith('d1', 's1', 'reject');
    expect(await screen.findByText('Could not update the draft')).toBeInTheDocument();
    expect(screen.getByText('Migration d1 is analyzing, not a draft')).toBeInTheDocument();
  });

  it('starts a draft through its analysis and opens the migration', async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [aDraft()], totalCount: 1 }),
      analyzeMigration: async () => aDraft({ state: 'analyzing' }),
    });
    await render(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Start' }));
    expect(api.analyzeMigration).toHaveBeenCalledWith('d1');
  });

  it('discards a draft', async () => {
    let items = [aDraft()];
    const api = mockRippleApi({
      listMigrations: async () => ({ items, totalCount: items.length }),
      discardDraft: async () => {
        items = [aDraft({ state: 'cancelled' })];
        return items[0];
      },
    });
    await render(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Discard' }));
    expect(api.discardDraft).toHaveBeenCalledWith('d1');
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Drafts' })).not.toBeInTheDocument());
    expect(screen.getAllByRole('row')[1]).toHaveTextContent('Cancelled');
  });

  it('offers no buttons to those who may not create the dataset’s migrations', async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [aDraft()], totalCount: 1 }),
    });
    await render(api, false);
    const draft = await screen.findByRole('region', { name: 'Drafts' });
    expect(draft).toHaveTextContent('status → state');
    expect(within(draft).queryByRole('button')).not.toBeInTheDocument();
  });
});
