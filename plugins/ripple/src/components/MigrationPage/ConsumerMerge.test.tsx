import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  aConsumer,
  migrationPageApi,
  renderWithRipple,
} from '../../__testUtils__/rippleTestApp';
import { MigrationView } from './MigrationPage';

// A delivered consumer is not running the patch until it is merged: the
// page says how long it has waited (yellow), whether it is overdue (it holds
// its wave), and lets its owners mark it merged.

const DAY = 24 * 60 * 60 * 1000;
const waiting = aConsumer('component:default/orders-export', {
  delivery: {
    status: 'delivered',
    method: 'download',
    updatedAt: new Date(Date.now() - 3 * DAY).toISOString(),
  },
  waitingForMerge: {
    since: new Date(Date.now() - 3 * DAY - 60_000).toISOString(),
    overdue: true,
  },
});
const merged = aConsumer('component:default/finance-reports', {
  delivery: {
    status: 'merged',
    method: 'git-branch',
    updatedAt: new Date().toISOString(),
  },
});

const rowOf = async (name: RegExp) =>
  within(
    (await screen.findByRole('rowheader', { name })).closest(
      '[role="row"]',
    ) as HTMLElement,
  );

describe('a delivered consumer waiting for its merge', () => {
  it('shows how long it has waited, in yellow, and that it is overdue', async () => {
    await renderWithRipple(<MigrationView id="m1" />, {
      api: migrationPageApi([waiting, merged]),
    });
    const status = (await rowOf(/orders-export/)).getByText(
      'Not merged · waited 3 d',
    );
    expect(status.closest('[data-tone]')).toHaveAttribute(
      'data-tone',
      'active',
    );
    // Overdue: why, in its tooltip.
    expect(status.closest('[data-tone]')).toHaveAttribute(
      'title',
      expect.stringMatching(/it holds its wave until it is merged/),
    );
    expect(
      (await rowOf(/finance-reports/)).queryByText(/Not merged/),
    ).not.toBeInTheDocument();
  });

  it('is marked merged by an owner, and the page reloads it', async () => {
    const api = migrationPageApi([waiting]);
    api.markConsumerMerged.mockResolvedValue({
      ...waiting,
      delivery: { ...waiting.delivery!, status: 'merged' },
      waitingForMerge: undefined,
    });
    await renderWithRipple(<MigrationView id="m1" />, { api });
    await userEvent.click(
      await screen.findByRole('rowheader', { name: /orders-export/ }),
    );
    const detail = await screen.findByRole('region', {
      name: 'Consumer component:default/orders-export',
    });
    expect(
      within(detail).getByText(/it holds its wave until it is merged/),
    ).toBeInTheDocument();
    const loads = api.listConsumers.mock.calls.length;
    await userEvent.click(
      within(detail).getByRole('button', { name: 'Mark as merged' }),
    );
    expect(api.markConsumerMerged).toHaveBeenCalledWith(
      'm1',
      'component:default/orders-export',
    );
    await waitFor(() =>
      expect(api.listConsumers.mock.calls.length).toBeGreaterThan(loads),
    );
  });

  it('offers no button to those who may not review its patch', async () => {
    await renderWithRipple(<MigrationView id="m1" />, {
      api: migrationPageApi([waiting]),
      authorize: () => AuthorizeResult.DENY,
    });
    await userEvent.click(
      await screen.findByRole('rowheader', { name: /orders-export/ }),
    );
    const detail = await screen.findByRole('region', {
      name: 'Consumer component:default/orders-export',
    });
    expect(
      within(detail).queryByRole('button', { name: 'Mark as merged' }),
    ).not.toBeInTheDocument();
  });
});
