import { screen, waitFor, within } from '@testing-library/react';
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
    expect(api.listMigrations).toHaveBeenCalledWith({ limit: 500 });
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

  describe('by deadline', () => {
    const dated = [
      aMigration({
        id: 'late',
        title: 'Late one',
        state: 'rolling_out',
        targetDate: '2026-11-01',
      }),
      aMigration({
        id: 'soon',
        title: 'Soon one',
        targetDate: '2099-01-10',
        createdAt: '2026-11-22T09:00:00.000Z',
      }),
      aMigration({
        id: 'none',
        title: 'No deadline',
        createdAt: '2026-11-23T09:00:00.000Z',
      }),
    ];

    it('shows each target date, overdue ones in red, and sorts by deadline through the backend', async () => {
      const api = mockRippleApi({
        listMigrations: async query => ({
          // The backend's order for sort=deadline: the earliest first, none last.
          items: query?.sort === 'deadline' ? dated : [...dated].reverse(),
          totalCount: 3,
        }),
      });
      await renderWithRipple(<FleetDashboard />, { api });
      await screen.findByText('Late one');
      const late = screen.getByText('Overdue since 2026-11-01');
      expect(late.closest('tr')).toHaveTextContent('Late one');
      expect(screen.getByText('2099-01-10').closest('tr')).toHaveTextContent(
        'Soon one',
      );

      await userEvent.click(screen.getByRole('button', { name: /Sort/ }));
      await userEvent.click(
        await screen.findByRole('option', { name: 'Earliest deadline first' }),
      );
      expect(api.listMigrations).toHaveBeenLastCalledWith({
        limit: 500,
        sort: 'deadline',
      });
      await waitFor(() => {
        const rows = screen.getAllByRole('row').slice(1);
        expect(
          rows.map(r => within(r).getAllByRole('rowheader')[0].textContent),
        ).toEqual(['Late one', 'Soon one', 'No deadline']);
      });
    });

    it('filters by deadline through the backend: overdue, due soon, with or without one', async () => {
      const now = Date.now();
      const dayFrom = (days: number) =>
        new Date(now + days * 86_400_000).toISOString().slice(0, 10);
      const api = mockRippleApi({
        listMigrations: async query => ({
          items: query?.deadlineBefore ? [dated[0]] : dated,
          totalCount: query?.deadlineBefore ? 1 : 3,
        }),
      });
      await renderWithRipple(<FleetDashboard />, { api });
      await screen.findByText('Soon one');
      const open = [
        'analyzing',
        'proposed',
        'rolling_out',
        'paused',
        'rolled_back',
      ];
      const choose = async (name: string) => {
        await userEvent.click(screen.getByRole('button', { name: /Deadline/ }));
        await userEvent.click(await screen.findByRole('option', { name }));
      };

      await choose('Overdue');
      expect(api.listMigrations).toHaveBeenLastCalledWith({
        limit: 500,
        deadlineBefore: dayFrom(-1),
        state: open,
      });
      await waitFor(() =>
        expect(screen.queryByText('Soon one')).not.toBeInTheDocument(),
      );
      expect(screen.getByText('Late one')).toBeInTheDocument();

      await choose('Due within 7 days');
      expect(api.listMigrations).toHaveBeenLastCalledWith({
        limit: 500,
        deadlineBefore: dayFrom(7),
        state: open,
      });
      await choose('Without a target date');
      expect(api.listMigrations).toHaveBeenLastCalledWith({
        limit: 500,
        hasDeadline: false,
      });
    });
  });
});
