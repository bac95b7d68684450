import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  aMigration,
  mockRippleApi,
  renderWithRipple,
  responseError,
} from '../../__testUtils__/rippleTestApp';
import { FleetDashboard } from './FleetDashboard';

const migrations = [
  aMigration(),
  aMigration({
    id: 'm2',
    title: 'Drop legacy email',
    datasetRef: 'resource:default/customers',
    owner: 'group:default/analytics',
    state: 'rolling_out',
    createdAt: '2026-11-21T09:00:00.000Z',
    progress: {
      total: 10,
      approved: 8,
      rejected: 0,
      awaitingDecision: 2,
      delivered: 6,
      merged: 5,
      failed: 1,
      unhealthy: 1,
    },
  }),
];

describe('FleetDashboard', () => {
  it('lists every migration with its state in words, its progress and counts by status', async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: migrations, totalCount: 2 }),
    });
    await renderWithRipple(<FleetDashboard />, { api });

    const totals = await screen.findByLabelText('Totals');
    expect(within(totals).getByText('Consumers').nextSibling).toHaveTextContent(
      '14',
    );
    expect(within(totals).getByText('Merged').closest('div')).toHaveTextContent(
      '6',
    );

    const rows = screen.getAllByRole('row').slice(1);
    // Newest first.
    expect(rows[0]).toHaveTextContent('Drop legacy email');
    expect(rows[0]).toHaveTextContent('Rolling out');
    expect(rows[0]).toHaveTextContent('5 / 10');
    expect(rows[0]).toHaveTextContent(
      '2 to review · 8 approved · 5 merged · 1 failed · 1 unhealthy',
    );
    expect(within(rows[0]).getByRole('progressbar')).toHaveAttribute(
      'aria-valuetext',
      'Drop legacy email: consumers migrated: 5 of 10 done, 2 blocked',
    );
    expect(
      within(rows[1]).getByRole('link', {
        name: 'Rename amount to amount_usd',
      }),
    ).toHaveAttribute('href', '/ripple/migrations/m1');
    expect(api.listMigrations).toHaveBeenCalledWith({ limit: 500, offset: 0 });
  });

  it('filters by owner and searches by title', async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: migrations, totalCount: 2 }),
    });
    await renderWithRipple(<FleetDashboard />, { api });
    await screen.findByText('Drop legacy email');

    await userEvent.type(
      screen.getByRole('searchbox', { name: 'Search migrations' }),
      'rename',
    );
    expect(await screen.findAllByRole('row')).toHaveLength(2);
    expect(screen.queryByText('Drop legacy email')).not.toBeInTheDocument();
    await userEvent.clear(
      screen.getByRole('searchbox', { name: 'Search migrations' }),
    );

    await userEvent.click(screen.getByRole('button', { name: /Owner/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'group:default/analytics' }),
    );
    expect(await screen.findByText('Drop legacy email')).toBeInTheDocument();
    expect(
      screen.queryByText('Rename amount to amount_usd'),
    ).not.toBeInTheDocument();
  });

  it('says what to do when there is no migration yet', async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [], totalCount: 0 }),
    });
    await renderWithRipple(<FleetDashboard />, { api });
    expect(await screen.findByText('No migrations yet')).toBeInTheDocument();
  });

  it("shows the backend's error message", async () => {
    const api = mockRippleApi({
      listMigrations: async () => {
        throw responseError(503, 'The database is not reachable');
      },
    });
    await renderWithRipple(<FleetDashboard />, { api });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the migrations');
    expect(alert).toHaveTextContent('The database is not reachable');
  });
});
