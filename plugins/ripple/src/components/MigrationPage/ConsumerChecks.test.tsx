import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  aConsumer,
  migrationPageApi,
  renderWithRipple,
} from '../../__testUtils__/rippleTestApp';
import { MigrationView } from './MigrationPage';

// A delivered consumer whose checks fail (its pull request's CI) is red on
// the migration page: in the list with the checks' names, and in its
// detail with a link to each.

const failing = aConsumer('component:default/orders-export', {
  delivery: {
    status: 'delivered',
    method: 'github-pull-request',
    url: 'https://github.com/acme/orders/pull/3',
    checks: 'failing',
    failedChecks: [
      { name: 'dbt build', url: 'https://github.com/acme/orders/runs/7' },
      { name: 'lint' },
    ],
    updatedAt: '2026-12-06T10:00:00.000Z',
  },
  health: 'unhealthy',
  healthSource: 'checks',
  healthReason:
    'check "dbt build" failed (https://github.com/acme/orders/runs/7)',
});
const passing = aConsumer('component:default/finance-reports', {
  delivery: {
    status: 'delivered',
    method: 'github-pull-request',
    checks: 'passing',
    updatedAt: '2026-12-06T10:00:00.000Z',
  },
});


describe("a delivered consumer's checks", () => {
  it('names the failed checks in the list, and only for the consumer whose checks fail', async () => {
    await renderWithRipple(<MigrationView id="m1" />, {
      api: migrationPageApi([failing, passing]),
    });
    const rowOf = async (name: RegExp) =>
      within(
        (await screen.findByRole('rowheader', { name })).closest(
          '[role="row"]',
        ) as HTMLElement,
      );
    expect(
      (await rowOf(/orders-export/)).getByText(
        'checks failing: dbt build, lint',
      ),
    ).toBeInTheDocument();
    expect(
      (await rowOf(/finance-reports/)).queryByText(/checks failing/),
    ).not.toBeInTheDocument();
  });

  it('links each failed check from the detail', async () => {
    await renderWithRipple(<MigrationView id="m1" />, {
      api: migrationPageApi([failing]),
    });
    await userEvent.click(
      await screen.findByRole('rowheader', { name: /orders-export/ }),
    );
    const detail = await screen.findByRole('region', {
      name: 'Consumer component:default/orders-export',
    });
    expect(within(detail).getByText(/Its checks fail/)).toBeInTheDocument();
    // Its health, with the source that judged it, and why.
    expect(detail).toHaveTextContent('health unhealthy (from checks)');
    expect(
      within(detail).getByText(
        'Unhealthy: check "dbt build" failed (https://github.com/acme/orders/runs/7)',
      ),
    ).toBeInTheDocument();
    expect(
      within(detail).getByRole('link', { name: 'dbt build' }),
    ).toHaveAttribute('href', 'https://github.com/acme/orders/runs/7');
    expect(within(detail).getByText('lint')).toBeInTheDocument();
  });
});
