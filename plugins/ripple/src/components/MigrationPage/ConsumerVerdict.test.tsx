import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  aConsumer,
  migrationPageApi,
  renderWithRipple,
} from '../../__testUtils__/rippleTestApp';
import { MigrationView } from './MigrationPage';

// The engine's verdict on each consumer (breaking, partially breaking,
// unaffected) as the migration page shows it: a badge in the consumer list,
// and its reasons at `path:line` in the consumer's detail. Consumers stored
// before verdicts existed have none and still list.

const breaking = aConsumer('component:default/orders-export', {
  impact: {
    files: [{ path: 'export_orders.py', references: 2, columns: ['amount'] }],
    references: 2,
    verdict: 'breaking',
    reasons: [
      {
        kind: 'renamed_column',
        verdict: 'breaking',
        path: 'export_orders.py',
        line: 11,
        column: 5,
        message: 'reads `amount`, which the change renames to `amount_usd`',
      },
    ],
  },
});
const star = aConsumer('component:default/jaffle-dbt', {
  impact: {
    files: [{ path: 'models/stg_orders.sql', references: 1, columns: [] }],
    references: 1,
    verdict: 'partially_breaking',
    reasons: [
      {
        kind: 'star',
        verdict: 'partially_breaking',
        path: 'models/stg_orders.sql',
        line: 3,
        column: 12,
        message: 'outputs `proj.ds.orders` through `*`',
      },
    ],
  },
});
const unaffected = aConsumer('component:default/finance-reports', {
  impact: {
    files: [],
    references: 0,
    verdict: 'unaffected',
    reasons: [],
  },
});
const older = aConsumer('component:default/fraud-scoring');


describe("a consumer's verdict", () => {
  it('shows each consumer’s verdict in the list, and none for one stored before verdicts', async () => {
    await renderWithRipple(<MigrationView id="m1" />, {
      api: migrationPageApi([breaking, star, unaffected, older]),
    });
    const verdictOf = async (name: RegExp) => {
      const row = (await screen.findByRole('rowheader', { name })).closest(
        '[role="row"]',
      ) as HTMLElement;
      return within(row);
    };
    expect(
      (await verdictOf(/orders-export/)).getByText('Breaking'),
    ).toBeInTheDocument();
    expect(
      (await verdictOf(/jaffle-dbt/)).getByText('Partially breaking'),
    ).toBeInTheDocument();
    expect(
      (await verdictOf(/finance-reports/)).getByText('Unaffected'),
    ).toBeInTheDocument();
    const olderRow = await verdictOf(/fraud-scoring/);
    expect(olderRow.queryByText('Breaking')).not.toBeInTheDocument();
    expect(olderRow.queryByText('Unaffected')).not.toBeInTheDocument();
  });

  it('lists the reasons of the verdict at path:line in the detail', async () => {
    await renderWithRipple(<MigrationView id="m1" />, {
      api: migrationPageApi([breaking]),
    });
    await userEvent.click(
      await screen.findByRole('rowheader', { name: /orders-export/ }),
    );
    const detail = await screen.findByRole('region', {
      name: 'Consumer component:default/orders-export',
    });
    const reasons = within(detail).getByRole('list', { name: 'Why' });
    expect(within(reasons).getByRole('listitem')).toHaveTextContent(
      'export_orders.py:11: reads `amount`, which the change renames to `amount_usd`',
    );
  });
});
