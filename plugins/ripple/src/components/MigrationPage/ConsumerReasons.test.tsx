import { screen, within, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type {
  Consumer,
  PatchReason,
} from '@ripple/backstage-plugin-ripple-common';
import {
  aConsumer,
  migrationPageApi,
  renderWithRipple,
} from '../../__testUtils__/rippleTestApp';
import { MigrationView } from './MigrationPage';

// A patch's reasons as the UI shows them: under the line of the diff each
// is about, the others listed after it; and the consumer list filtered by
// a reason's kind, which the backend selects.

const ordersExport = aConsumer('component:default/orders-export');
const jaffleDbt = aConsumer('component:default/jaffle-dbt');

const using: PatchReason = {
  path: 'export_orders.py',
  kind: 'using_join',
  severity: 'needs_edit',
  line: 4,
  column: 29,
  endLine: 4,
  endColumn: 35,
  message:
    '`amount` joins the dataset with `refunds` by name (USING); rename it on both sides by hand',
};

const diff = [
  '--- a/export_orders.py',
  '+++ b/export_orders.py',
  '@@ -3,2 +3,2 @@',
  '-  o.amount,',
  '+  o.amount_usd AS amount,',
  '   FROM orders o JOIN refunds USING (amount)',
  '',
].join('\n');

function api(reasons: PatchReason[], patchDiff = diff, consumers?: Consumer[]) {
  const all = consumers ?? [ordersExport, jaffleDbt];
  return migrationPageApi(all, {
    listConsumers: async (_id, query) => {
      // The backend keeps only the consumers with the kinds asked.
      const items = query?.reasonKind ? [jaffleDbt] : all;
      return { items, totalCount: items.length };
    },
    getConsumerPatch: async () => ({
      patch: {
        id: 1,
        migrationId: 'm1',
        consumerRef: 'component:default/orders-export',
        version: 1,
        diff: patchDiff,
        baseHash: 'sha256:x',
        status: 'needs_edit',
        reasons,
        stale: false,
        createdAt: '2026-11-21T10:00:00.000Z',
      },
      reviews: [],
    }),
  });
}

async function openOrdersExport() {
  await userEvent.click(
    await screen.findByRole('rowheader', { name: /orders-export/ }),
  );
  return screen.findByRole('region', {
    name: 'Consumer component:default/orders-export',
  });
}

describe("a patch's reasons", () => {
  it('shows each reason under the line of the diff it is about, and the others after the diff', async () => {
    const elsewhere: PatchReason = {
      ...using,
      kind: 'retyped_column_used',
      severity: 'note',
      line: 40,
      column: 3,
      endLine: 40,
      endColumn: 5,
      message: 'reads `id`, whose type changes to STRING; no edit needed',
    };
    const wholeFile: PatchReason = {
      path: 'export_orders.py',
      kind: 'output_names_kept',
      severity: 'note',
      message: 'output column names are kept (`new AS old`)',
    };
    await renderWithRipple(<MigrationView id="m1" />, {
      api: api([using, elsewhere, wholeFile]),
    });
    const detail = await openOrdersExport();
    const file = await within(detail).findByRole('region', {
      name: 'Diff of export_orders.py',
    });
    const note = within(file).getByRole('note');
    expect(note).toHaveTextContent(
      'Needs an edit · Join by name (USING) · line 4, column 29: `amount` joins the dataset with `refunds` by name (USING)',
    );
    // Right under line 4 of the code the patch was made from.
    expect(note.previousElementSibling).toHaveTextContent(
      /^\s*4\s+4\s+FROM orders o JOIN refunds USING \(amount\)$/,
    );

    const others = within(detail).getByRole('list', {
      name: 'Reasons outside the diff',
    });
    expect(
      within(others)
        .getAllByRole('listitem')
        .map(item => item.textContent),
    ).toEqual([
      'export_orders.py: Note · Retyped column used · line 40, column 3: reads `id`, whose type changes to STRING; no edit needed',
      'export_orders.py: Note · Output names kept: output column names are kept (`new AS old`)',
    ]);
  });

  it('lists every reason of a patch that edits nothing', async () => {
    await renderWithRipple(<MigrationView id="m1" />, {
      api: api([using], ''),
    });
    const detail = await openOrdersExport();
    const list = await within(detail).findByRole('list', {
      name: "The engine's reasons",
    });
    expect(list).toHaveTextContent(
      'export_orders.py: Needs an edit · Join by name (USING) · line 4, column 29: `amount` joins',
    );
    expect(detail).toHaveTextContent('Nothing to edit.');
  });
});

describe('the consumers filtered by a reason kind', () => {
  it('asks the backend for the consumers with that kind and shows only them', async () => {
    const rippleApi = api([]);
    await renderWithRipple(<MigrationView id="m1" />, { api: rippleApi });
    await screen.findByRole('rowheader', { name: /orders-export/ });
    expect(screen.getAllByRole('row')).toHaveLength(3);

    await userEvent.click(screen.getByRole('button', { name: /Reason/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Join by name (USING)' }),
    );
    await waitFor(() =>
      expect(rippleApi.listConsumers).toHaveBeenCalledWith('m1', {
        limit: 500,
        reasonKind: ['using_join'],
      }),
    );
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(2));
    expect(
      screen.getByRole('rowheader', { name: /jaffle-dbt/ }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('rowheader', { name: /orders-export/ }),
    ).not.toBeInTheDocument();

    // Every reason again: the whole list, without asking.
    const calls = rippleApi.listConsumers.mock.calls.length;
    await userEvent.click(screen.getByRole('button', { name: /Reason/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'All reasons' }),
    );
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(3));
    expect(rippleApi.listConsumers).toHaveBeenCalledTimes(calls);
  });
});
