import { screen, within, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Consumer } from '@ripple/backstage-plugin-ripple-common';
import {
  aConsumer,
  aFailedValidation,
  aMigration,
  mockRippleApi,
  renderWithRipple,
  summaryOf,
} from '../../__testUtils__/rippleTestApp';
import { MigrationView } from './MigrationPage';

// A consumer's validation as the UI shows it: the consumer list filtered
// by its status (which the backend selects), the result of each statement
// in the consumer's detail, and the button that runs it again.

const failed = aFailedValidation();

// The list carries the summary; the patch, the whole validation.
const ordersExport = aConsumer('component:default/orders-export', {
  validation: summaryOf(failed),
});
const jaffleDbt = aConsumer('component:default/jaffle-dbt');

function api(
  consumers: Consumer[] = [ordersExport, jaffleDbt],
  { requireValidation = false } = {},
) {
  return mockRippleApi({
    getMigration: async () => aMigration(),
    listConsumers: async (_id, query) => {
      // The backend keeps only the consumers with the statuses asked.
      const items = query?.validationStatus ? [jaffleDbt] : consumers;
      return { items, totalCount: items.length };
    },
    listMigrationEvents: async () => ({ items: [] }),
    getRollout: async () => ({
      state: 'not_started',
      plan: {
        waves: [{ name: 'all', percent: 100 }],
        soakMinutes: 60,
        autoAdvance: false,
        autoApprove: false,
        requireValidation,
        health: {},
      },
      waves: [],
    }),
    getCompatView: async () => ({
      state: 'unavailable',
      cleanupOffered: false,
      reason: 'the table keeps its name',
    }),
    getConsumerPatch: async () => ({
      patch: {
        id: 1,
        migrationId: 'm1',
        consumerRef: 'component:default/orders-export',
        version: 1,
        diff: '--- a/export_orders.py\n+++ b/export_orders.py\n@@ -3 +3 @@\n-  o.amount,\n+  o.amount_usd AS amount,\n',
        baseHash: 'sha256:x',
        status: 'rewritten',
        reasons: [],
        stale: false,
        createdAt: '2026-11-21T10:00:00.000Z',
      },
      reviews: [],
      validation: failed,
    }),
    reviewPatch: async (_id, consumerRef, review) => ({
      id: 3,
      migrationId: 'm1',
      consumerRef,
      patchId: review.patchId,
      sequence: 1,
      decision: review.decision,
      reviewer: 'user:default/guest',
      createdAt: '2026-11-21T11:00:00.000Z',
    }),
    validatePatch: async () => ({
      ...failed,
      id: 8,
      status: 'pending',
      statements: [],
      finishedAt: undefined,
    }),
  });
}

async function openOrdersExport() {
  await userEvent.click(
    await screen.findByRole('rowheader', { name: /orders-export/ }),
  );
  const detail = await screen.findByRole('region', {
    name: 'Consumer component:default/orders-export',
  });
  return within(detail).findByRole('region', { name: 'Validation' });
}

describe('the consumers filtered by a validation status', () => {
  it('asks the backend for the consumers not validated and shows only them', async () => {
    const rippleApi = api();
    await renderWithRipple(<MigrationView id="m1" />, { api: rippleApi });
    await screen.findByRole('rowheader', { name: /orders-export/ });

    await userEvent.click(
      screen.getByRole('button', { name: /All validations/ }),
    );
    await userEvent.click(
      await screen.findByRole('option', { name: 'Not validated' }),
    );
    await waitFor(() =>
      expect(rippleApi.listConsumers).toHaveBeenCalledWith('m1', {
        limit: 500,
        validationStatus: ['not_validated'],
      }),
    );
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(2));
    expect(
      screen.getByRole('rowheader', { name: /jaffle-dbt/ }),
    ).toBeInTheDocument();
  });
});

describe("a consumer's validation", () => {
  it('shows a failed statement in red with the columns and rows that differ', async () => {
    await renderWithRipple(<MigrationView id="m1" />, { api: api() });
    const validation = await openOrdersExport();
    expect(validation).toHaveTextContent('on example');
    expect(validation).toHaveTextContent(
      "Both sides read the rows where day >= '2026-11-20' · 48 MB scanned",
    );

    const statement = within(validation).getByRole('listitem', {
      name: 'export_orders.py:3',
    });
    expect(within(statement).getByText('Failed').parentElement).toHaveAttribute(
      'data-tone',
      'blocked',
    );
    expect(statement).toHaveTextContent('120 rows before, 120 after');
    expect(statement).toHaveTextContent('1 row differs');
    expect(statement).toHaveTextContent(
      'Columns whose checksums differ: amount',
    );
    const rows = within(
      within(statement).getByRole('region', {
        name: 'Rows that differ at export_orders.py:3',
      }),
    ).getAllByRole('row');
    expect(rows.map(r => r.textContent)).toEqual([
      'KeyBeforeAfter',
      '4242, 10.542, 1050',
    ]);

    const passed = within(validation).getByRole('listitem', {
      name: 'export_orders.py:20',
    });
    expect(within(passed).getByText('Passed').parentElement).toHaveAttribute(
      'data-tone',
      'done',
    );
    expect(within(passed).queryByRole('region')).not.toBeInTheDocument();
  });

  it('validates again for a reviewer, and reloads the consumers', async () => {
    const rippleApi = api();
    await renderWithRipple(<MigrationView id="m1" />, { api: rippleApi });
    const validation = await openOrdersExport();
    const calls = rippleApi.listConsumers.mock.calls.length;

    await userEvent.click(
      await within(validation).findByRole('button', { name: 'Validate again' }),
    );
    await waitFor(() =>
      expect(rippleApi.validatePatch).toHaveBeenCalledWith(
        'm1',
        'component:default/orders-export',
      ),
    );
    await waitFor(() =>
      expect(rippleApi.listConsumers.mock.calls.length).toBeGreaterThan(calls),
    );
  });

  it('offers no new validation to those who may not review', async () => {
    await renderWithRipple(<MigrationView id="m1" />, {
      api: api(),
      authorize: r =>
        r.permission.name === 'ripple.patch.review'
          ? AuthorizeResult.DENY
          : AuthorizeResult.ALLOW,
    });
    const validation = await openOrdersExport();
    expect(validation).toHaveTextContent('Failed');
    expect(
      within(validation).queryByRole('button', { name: 'Validate again' }),
    ).not.toBeInTheDocument();
  });
});

describe('a rollout plan that requires validation', () => {
  it('keeps Approve off while the validation failed, saying why; Reject stays', async () => {
    const rippleApi = api(undefined, { requireValidation: true });
    await renderWithRipple(<MigrationView id="m1" />, { api: rippleApi });
    await openOrdersExport();
    const form = await screen.findByRole('group', { name: 'Review' });
    expect(
      await within(form).findByText(
        'The rollout plan requires a passed validation (or one skipped with its reason) before an approval: its validation failed. The patch can still be rejected.',
      ),
    ).toBeInTheDocument();
    expect(
      within(form).getByRole('button', { name: 'Approve' }),
    ).toBeDisabled();
    const reject = within(form).getByRole('button', { name: 'Reject' });
    expect(reject).toBeEnabled();
    await userEvent.click(reject);
    await waitFor(() =>
      expect(rippleApi.reviewPatch).toHaveBeenCalledWith(
        'm1',
        'component:default/orders-export',
        { decision: 'reject', patchId: 1 },
      ),
    );
  });

  it('offers Approve when the validation passed, or when the plan does not require it', async () => {
    const passed = aConsumer('component:default/orders-export', {
      validation: { ...failed, status: 'passed' },
    });
    await renderWithRipple(<MigrationView id="m1" />, {
      api: api([passed, jaffleDbt], { requireValidation: true }),
    });
    await openOrdersExport();
    const form = await screen.findByRole('group', { name: 'Review' });
    expect(
      await within(form).findByRole('button', { name: 'Approve' }),
    ).toBeEnabled();
    expect(form).not.toHaveTextContent('requires a passed validation');
  });

  it('does not hold back an approval the plan does not require', async () => {
    await renderWithRipple(<MigrationView id="m1" />, { api: api() });
    await openOrdersExport();
    const form = await screen.findByRole('group', { name: 'Review' });
    expect(
      await within(form).findByRole('button', { name: 'Approve' }),
    ).toBeEnabled();
  });
});
