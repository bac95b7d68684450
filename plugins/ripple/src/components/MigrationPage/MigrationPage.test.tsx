import { screen, within, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Rollout } from '@ripple/backstage-plugin-ripple-common';
import {
  aConsumer,
  aMigration,
  aStepPlan,
  mockRippleApi,
  renderWithRipple,
  responseError,
} from '../../__testUtils__/rippleTestApp';
import { MigrationView } from './MigrationPage';

const consumers = [
  aConsumer('component:default/orders-export'),
  aConsumer('component:default/jaffle-dbt', {
    delivery: {
      status: 'merged',
      method: 'git-branch',
      updatedAt: '2026-11-21T10:00:00.000Z',
    },
    health: 'healthy',
  }),
  aConsumer('component:default/fraud-scoring', {
    patch: {
      id: 3,
      version: 1,
      status: 'needs_edit',
      stale: false,
      createdAt: '2026-11-21T10:00:00.000Z',
    },
    decision: {
      id: 9,
      migrationId: 'm1',
      consumerRef: 'component:default/fraud-scoring',
      patchId: 3,
      decision: 'reject',
      reviewer: 'user:default/ana',
      comment: 'Not this week',
      createdAt: '2026-11-21T10:00:00.000Z',
    },
  }),
  aConsumer('component:default/finance-reports', {
    patch: undefined,
    impact: undefined,
  }),
];

const rollout: Rollout = {
  state: 'not_started',
  plan: {
    waves: [
      { name: 'canary', count: 1 },
      { name: 'all', percent: 100 },
    ],
    soakMinutes: 60,
    autoAdvance: false,
    autoApprove: false,
    requireValidation: false,
    health: {},
  },
  waves: [],
};

function api(overrides = {}) {
  return mockRippleApi({
    getMigration: async () => aMigration(),
    listConsumers: async () => ({
      items: consumers,
      totalCount: consumers.length,
    }),
    listMigrationEvents: async () => ({ items: [] }),
    getRollout: async () => rollout,
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
    }),
    ...overrides,
  });
}

async function openConsumer(name: string) {
  await userEvent.click(
    await screen.findByRole('rowheader', { name: new RegExp(name) }),
  );
  return screen.findByRole('region', {
    name: `Consumer component:default/${name}`,
  });
}

describe('MigrationView', () => {
  it('shows each consumer with its status in words and colour, blocked ones first', async () => {
    await renderWithRipple(<MigrationView id="m1" />, { api: api() });
    const rows = (await screen.findAllByRole('row')).slice(1);
    expect(rows.map(r => r.textContent)).toEqual([
      expect.stringMatching(/finance-reports.*Blocked/),
      expect.stringMatching(/fraud-scoring.*Rejected/),
      expect.stringMatching(/orders-export.*Awaiting review/),
      expect.stringMatching(/jaffle-dbt.*Merged, healthy/),
    ]);
    expect(within(rows[1]).getByText('Rejected').parentElement).toHaveAttribute(
      'data-tone',
      'blocked',
    );
    expect(
      within(rows[3]).getByText('Merged, healthy').parentElement,
    ).toHaveAttribute('data-tone', 'done');
    const counts = screen.getByLabelText('Consumers by status');
    expect(counts).toHaveTextContent('Consumers4');
    expect(counts).toHaveTextContent('Blocked2');
  });

  it("shows each consumer's validation: failed in red with its reason, none as not validated", async () => {
    const validated = [
      aConsumer('component:default/orders-export', {
        validation: {
          id: 1,
          patchId: 1,
          status: 'failed',
          warehouse: 'example',
          reason: '2 rows differ',
          statementCounts: { passed: 3, failed: 2, skipped: 0, error: 0 },
          requestedAt: '2026-11-21T10:00:00.000Z',
          finishedAt: '2026-11-21T10:00:01.000Z',
        },
      }),
      aConsumer('component:default/jaffle-dbt'),
      aConsumer('component:default/orders-report', {
        validation: {
          id: 2,
          patchId: 1,
          status: 'passed',
          warehouse: 'example',
          statementCounts: { passed: 1, failed: 0, skipped: 1, error: 0 },
          requestedAt: '2026-11-21T10:00:00.000Z',
          finishedAt: '2026-11-21T10:00:01.000Z',
        },
      }),
    ];
    await renderWithRipple(<MigrationView id="m1" />, {
      api: api({
        listConsumers: async () => ({ items: validated, totalCount: 3 }),
      }),
    });
    expect(
      await screen.findByRole('columnheader', { name: 'Validation' }),
    ).toBeInTheDocument();
    const row = (
      await screen.findByRole('rowheader', { name: /orders-export/ })
    ).closest('[role="row"]') as HTMLElement;
    const failed = within(row).getByText('Failed').parentElement!;
    expect(failed).toHaveAttribute('data-tone', 'blocked');
    expect(failed).toHaveAttribute('title', '2 rows differ');
    // The summary's counts, worst first.
    expect(row).toHaveTextContent('2 failed · 3 passed');
    const passed = within(
      screen
        .getByRole('rowheader', { name: /orders-report/ })
        .closest('[role="row"]') as HTMLElement,
    ).getByText('Passed').parentElement!;
    expect(passed).toHaveAttribute('data-tone', 'done');
    expect(passed).toHaveAttribute('title', 'on example: 1 passed · 1 skipped');
    const unvalidated = screen
      .getByRole('rowheader', { name: /jaffle-dbt/ })
      .closest('[role="row"]') as HTMLElement;
    expect(within(unvalidated).getByText('Not validated')).toBeInTheDocument();
  });

  it('filters consumers by status and searches them', async () => {
    await renderWithRipple(<MigrationView id="m1" />, { api: api() });
    await screen.findByText(/orders-export/);
    await userEvent.type(
      screen.getByRole('searchbox', { name: 'Search consumers' }),
      'jaffle',
    );
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(2));
    await userEvent.clear(
      screen.getByRole('searchbox', { name: 'Search consumers' }),
    );

    await userEvent.click(screen.getByRole('button', { name: /Status/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: /Blocked, rejected/ }),
    );
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(3));
    expect(screen.queryByText(/orders-export/)).not.toBeInTheDocument();
  });

  it("shows a consumer's diff and approves it, naming the patch judged", async () => {
    const rippleApi = api({
      reviewPatch: async () => ({
        id: 11,
        migrationId: 'm1',
        consumerRef: 'component:default/orders-export',
        patchId: 1,
        decision: 'approve',
        reviewer: 'user:default/guest',
        createdAt: '2026-11-21T11:00:00.000Z',
      }),
    });
    await renderWithRipple(<MigrationView id="m1" />, { api: rippleApi });
    const detail = await openConsumer('orders-export');
    const diff = await within(detail).findByRole('region', { name: 'Diff' });
    await waitFor(() =>
      expect(diff).toHaveTextContent('o.amount_usd AS amount,'),
    );

    await userEvent.type(
      within(detail).getByRole('textbox', { name: /Comment/ }),
      'Looks right',
    );
    await userEvent.click(
      within(detail).getByRole('button', { name: 'Approve' }),
    );
    expect(await within(detail).findByRole('status')).toHaveTextContent(
      'You approved patch v1.',
    );
    expect(rippleApi.reviewPatch).toHaveBeenCalledWith(
      'm1',
      'component:default/orders-export',
      {
        decision: 'approve',
        patchId: 1,
        comment: 'Looks right',
      },
    );
  });

  it('offers no approval of a patch that holds no edit, and says what to do', async () => {
    const rippleApi = api({
      getConsumerPatch: async () => ({
        patch: {
          id: 3,
          migrationId: 'm1',
          consumerRef: 'component:default/orders-export',
          version: 1,
          diff: '',
          baseHash: 'sha256:x',
          status: 'needs_edit',
          reasons: [
            {
              path: 'export_orders.py',
              kind: 'dropped_column_used',
              severity: 'needs_edit',
              line: 3,
              column: 3,
              endLine: 3,
              endColumn: 9,
              message: 'reads `amount`, which the change drops',
            },
          ],
          stale: false,
          createdAt: '2026-11-21T10:00:00.000Z',
        },
        reviews: [],
      }),
    });
    await renderWithRipple(<MigrationView id="m1" />, { api: rippleApi });
    const detail = await openConsumer('orders-export');
    expect(
      await within(detail).findByRole('button', { name: 'Reject' }),
    ).toBeEnabled();
    expect(
      within(detail).getByRole('button', { name: 'Approve' }),
    ).toBeDisabled();
    expect(detail).toHaveTextContent(
      'This patch holds no edit: make the edits its reasons name in the code itself',
    );
  });

  it('explains a review refused because someone decided meanwhile', async () => {
    const rippleApi = api({
      reviewPatch: async () => {
        throw responseError(
          409,
          'Review 12 (reject by user:default/ana) was recorded meanwhile',
        );
      },
    });
    await renderWithRipple(<MigrationView id="m1" />, { api: rippleApi });
    const detail = await openConsumer('orders-export');
    await userEvent.click(
      await within(detail).findByRole('button', { name: 'Approve' }),
    );
    const alert = await within(detail).findByRole('alert');
    expect(alert).toHaveTextContent(
      'Someone decided meanwhile: your review was not recorded',
    );
    expect(alert).toHaveTextContent(
      'Review 12 (reject by user:default/ana) was recorded meanwhile',
    );
    // The patch and its reviews are loaded again to show the decision that won.
    await waitFor(() =>
      expect(rippleApi.getConsumerPatch).toHaveBeenCalledTimes(2),
    );
  });

  it('offers no review to those not allowed, and says who can', async () => {
    await renderWithRipple(<MigrationView id="m1" />, {
      api: api(),
      authorize: r =>
        r.permission.name === 'ripple.patch.review'
          ? AuthorizeResult.DENY
          : AuthorizeResult.ALLOW,
    });
    const detail = await openConsumer('orders-export');
    expect(
      await within(detail).findByText(
        'Only the owners of component:default/orders-export can review this patch.',
      ),
    ).toBeInTheDocument();
    expect(
      within(detail).queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
  });

  it('pages through thousands of consumers, rendering one page', async () => {
    const many = Array.from({ length: 2400 }, (_, i) =>
      aConsumer(`component:default/c${String(i).padStart(4, '0')}`),
    );
    const rippleApi = api({
      // Paged by cursor as the backend pages: here the index to start at.
      listConsumers: async (
        _id: string,
        page?: { limit?: number; cursor?: string },
      ) => {
        const start = Number(page?.cursor ?? 0);
        const end = start + (page?.limit ?? 50);
        return {
          items: many.slice(start, end),
          totalCount: many.length,
          ...(end < many.length ? { nextCursor: String(end) } : {}),
        };
      },
    });
    await renderWithRipple(<MigrationView id="m1" />, { api: rippleApi });
    expect(
      await screen.findByLabelText('Consumers by status'),
    ).toHaveTextContent('Consumers2400');
    expect(screen.getAllByRole('row')).toHaveLength(26);
    expect(rippleApi.listConsumers).toHaveBeenCalledTimes(5);
    await userEvent.click(screen.getByRole('button', { name: /next/i }));
    expect(await screen.findByText('c0025')).toBeInTheDocument();
  });

  it("shows the backend's message when the migration cannot be loaded", async () => {
    await renderWithRipple(<MigrationView id="nope" />, {
      api: api({
        getMigration: async () =>
          Promise.reject(responseError(404, 'No migration nope')),
      }),
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'No migration nope',
    );
  });

  it('opens the Steps tab on its step plan, and loads the plan only there', async () => {
    const ripple = api({
      getMigration: async () => aMigration({ hasStepPlan: true }),
      getStepPlan: async () => aStepPlan(),
    });
    await renderWithRipple(<MigrationView id="m1" />, { api: ripple });
    await screen.findByRole('tab', { name: 'Steps' });
    expect(ripple.getStepPlan).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole('tab', { name: 'Steps' }));
    expect(
      await screen.findByRole('list', { name: 'Steps on the warehouse' }),
    ).toBeInTheDocument();
    expect(ripple.getStepPlan).toHaveBeenCalledWith('m1');
    expect(
      screen.getByRole('button', { name: 'Run Expand' }),
    ).toBeInTheDocument();
  });
});
