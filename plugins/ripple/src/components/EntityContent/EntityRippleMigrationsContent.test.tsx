import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Entity } from '@backstage/catalog-model';
import { loadEngine } from '@ripple/engine';
import type { ConsumerPatch } from '@ripple/backstage-plugin-ripple-common';
import {
  aConsumerDetail,
  aFailedValidation,
  aMigration,
  aStepPlan,
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
const ordersExport: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'orders-export', namespace: 'default' },
  spec: { owner: 'data-platform' },
};

// The legacy frontend system's entity content, in a test app of
// @backstage/test-utils.
describe('EntityRippleMigrationsContent', () => {
  beforeAll(() => loadEngine());

  it("lists a dataset's migrations with their state, progress and age", async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [aMigration()], totalCount: 1 }),
    });
    await renderWithRipple(
      <EntityProvider entity={orders}>
        <EntityRippleMigrationsContent />
      </EntityProvider>,
      { api },
    );
    const row = (await screen.findAllByRole('row'))[1];
    expect(row).toHaveTextContent('Rename amount to amount_usd');
    expect(row).toHaveTextContent('Proposed');
    expect(row).toHaveTextContent('1 / 4');
    expect(api.listMigrations).toHaveBeenCalledWith({
      limit: 500,
      dataset: 'resource:default/orders',
    });
  });

  it("shows where each migration's steps stand on the warehouse, linked to its Steps tab", async () => {
    const backfilling = aStepPlan(
      { migrationId: 'm1', next: 'backfill' },
      {
        expand: { state: 'done', attempt: 1 },
        backfill: {
          state: 'running',
          attempt: 1,
          progress: {
            rowsDone: 420,
            rowsTotal: 1000,
            rowsPerSecond: 1_200_000,
          },
        },
      },
    );
    const switched = aStepPlan(
      { migrationId: 'm2', next: 'contract' },
      {
        expand: { state: 'done', attempt: 1 },
        backfill: { state: 'done', attempt: 1 },
        verify: { state: 'done', attempt: 1 },
        switch: { state: 'done', attempt: 1 },
      },
    );
    const api = mockRippleApi({
      listMigrations: async () => ({
        items: [
          aMigration({
            id: 'm1',
            title: 'Rename amount',
            state: 'rolling_out',
            hasStepPlan: true,
          }),
          aMigration({
            id: 'm2',
            title: 'Move orders',
            state: 'rolling_out',
            hasStepPlan: true,
          }),
          aMigration({ id: 'm3', title: 'Drop note', state: 'proposed' }),
          aMigration({
            id: 'm4',
            title: 'Cancelled one',
            state: 'cancelled',
            hasStepPlan: true,
          }),
        ],
        totalCount: 4,
      }),
      getStepPlan: async id => {
        if (id === 'm1') return backfilling;
        if (id === 'm2') return switched;
        throw responseError(404, `migration ${id} has no step plan`);
      },
    });
    await renderWithRipple(
      <EntityProvider entity={orders}>
        <EntityRippleMigrationsContent />
      </EntityProvider>,
      { api },
    );
    const list = await screen.findByRole('list', {
      name: "Where its migrations' steps stand",
    });
    await waitFor(() =>
      expect(within(list).getAllByRole('listitem')).toHaveLength(2),
    );
    const [first, second] = within(list).getAllByRole('listitem');
    expect(first).toHaveTextContent('Rename amountBackfill 42% · 1.2 M rows/s');
    expect(
      within(first).getByRole('link', { name: 'Rename amount' }),
    ).toHaveAttribute('href', '/ripple/migrations/m1?tab=steps');
    expect(second).toHaveTextContent(
      'Move ordersSwitched: consumers migrating',
    );
    // Only the plans there are are asked for, and not a cancelled migration's.
    expect(api.getStepPlan.mock.calls.map(([id]) => id).sort()).toEqual([
      'm1',
      'm2',
    ]);
  });

  it('shows no steps list when none of the migrations has a step plan', async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [aMigration()], totalCount: 1 }),
    });
    await renderWithRipple(
      <EntityProvider entity={orders}>
        <EntityRippleMigrationsContent />
      </EntityProvider>,
      { api },
    );
    expect(
      await screen.findByText('Rename amount to amount_usd'),
    ).toBeInTheDocument();
    expect(api.getStepPlan).not.toHaveBeenCalled();
    expect(
      screen.queryByRole('list', { name: "Where its migrations' steps stand" }),
    ).not.toBeInTheDocument();
  });

  it('opens "New migration" on the schema and code the backend hands over once', async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [], totalCount: 0 }),
      getDataset: async () => ({
        ref: 'resource:default/orders',
        table: 'proj.ds.orders',
        columns: [{ name: 'amount' }],
      }),
      getDatasetCode: async () => ({ consumers: [] }),
    });
    await renderWithRipple(
      <EntityProvider entity={orders}>
        <EntityRippleMigrationsContent />
      </EntityProvider>,
      { api },
    );
    expect(
      await screen.findByText('No migration of this dataset yet'),
    ).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'New migration' }),
    );
    expect(
      await screen.findByText('No consumer reads this dataset'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('heading', { name: 'New migration of proj.ds.orders' }),
    ).toBeInTheDocument();
    expect(api.getDatasetCode).toHaveBeenCalledWith('resource:default/orders');
  });

  it("shows why the dataset's schema could not be loaded", async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [], totalCount: 0 }),
      getDataset: async () =>
        Promise.reject(
          responseError(
            400,
            'ripple.io/schema: line 2: expected a list of columns',
          ),
        ),
      getDatasetCode: async () => ({ consumers: [] }),
    });
    await renderWithRipple(
      <EntityProvider entity={orders}>
        <EntityRippleMigrationsContent />
      </EntityProvider>,
      { api },
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'New migration' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'ripple.io/schema: line 2: expected a list of columns',
    );
  });

  it('offers no "New migration" without ripple.migration.create', async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [], totalCount: 0 }),
    });
    await renderWithRipple(
      <EntityProvider entity={orders}>
        <EntityRippleMigrationsContent />
      </EntityProvider>,
      { api, authorize: () => AuthorizeResult.DENY },
    );
    expect(
      await screen.findByText('No migration of this dataset yet'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'New migration' }),
    ).not.toBeInTheDocument();
  });

  it('shows a consumer its patch, the reviews and the delivery, with approve for its owners', async () => {
    const api = mockRippleApi({
      listEntityMigrations: async () => ({
        items: [
          {
            migration: aMigration({ state: 'rolling_out' }),
            roles: ['consumer'],
          },
        ],
        totalCount: 1,
      }),
      getConsumer: async () =>
        aConsumerDetail('component:default/orders-export', {
          wave: 0,
          delivery: {
            status: 'delivered',
            method: 'git-branch',
            url: 'https://git.example/orders-export/tree/ripple/m1',
            updatedAt: '2026-11-21T10:00:00.000Z',
          },
        }),
      getConsumerPatch: async () => ({
        patch: {
          id: 1,
          migrationId: 'm1',
          consumerRef: 'component:default/orders-export',
          version: 1,
          diff: '',
          baseHash: 'h',
          status: 'rewritten',
          reasons: [],
          stale: false,
          createdAt: '2026-11-21T10:00:00.000Z',
        },
        reviews: [
          {
            id: 4,
            migrationId: 'm1',
            consumerRef: 'component:default/orders-export',
            patchId: 1,
            decision: 'approve',
            reviewer: 'user:default/guest',
            comment: 'ok',
            createdAt: '2026-11-21T10:00:00.000Z',
          },
        ],
      }),
    });
    await renderWithRipple(
      <EntityProvider entity={ordersExport}>
        <EntityRippleMigrationsContent />
      </EntityProvider>,
      { api },
    );
    const region = await screen.findByRole('region', {
      name: 'Consumer component:default/orders-export',
    });
    expect(await within(region).findByText('Delivered')).toBeInTheDocument();
    expect(region).toHaveTextContent(
      'wave 0 · delivery delivered (git-branch)',
    );
    expect(
      within(region).getByRole('link', {
        name: 'See the delivery (git-branch)',
      }),
    ).toHaveAttribute(
      'href',
      'https://git.example/orders-export/tree/ripple/m1',
    );
    expect(
      await within(region).findByRole('list', { name: 'Reviews' }),
    ).toHaveTextContent('✓ Approved by');
    expect(
      within(region).getByRole('button', { name: 'Reject' }),
    ).toBeInTheDocument();
  });

  describe("a consumer's validation on its entity tab", () => {
    const consumerRef = 'component:default/orders-export';
    const failed = aFailedValidation();
    const pending = aFailedValidation({
      id: 8,
      status: 'pending',
      statements: [],
      statementCounts: { passed: 0, failed: 0, skipped: 0, error: 0 },
      finishedAt: undefined,
    });
    const patchWith = (validation = failed): ConsumerPatch => ({
      patch: {
        id: 1,
        migrationId: 'm1',
        consumerRef,
        version: 1,
        diff: '--- a/export_orders.py\n+++ b/export_orders.py\n@@ -3 +3 @@\n-  o.amount,\n+  o.amount_usd AS amount,\n',
        baseHash: 'h',
        status: 'rewritten',
        reasons: [],
        stale: false,
        createdAt: '2026-11-21T10:00:00.000Z',
      },
      reviews: [],
      validation,
    });
    // The backend answers the consumer with its latest validation, and
    // asked again, the pending one that replaced it.
    const api = () => {
      let asked = false;
      return mockRippleApi({
        listEntityMigrations: async () => ({
          items: [{ migration: aMigration(), roles: ['consumer'] }],
          totalCount: 1,
        }),
        getConsumer: async () =>
          aConsumerDetail(consumerRef, {
            validation: asked ? pending : failed,
          }),
        getConsumerPatch: async () => patchWith(asked ? pending : failed),
        validatePatch: async () => {
          asked = true;
          return pending;
        },
      });
    };
    const renderTab = (rippleApi: ReturnType<typeof api>, deny = false) =>
      renderWithRipple(
        <EntityProvider entity={ordersExport}>
          <EntityRippleMigrationsContent />
        </EntityProvider>,
        {
          api: rippleApi,
          ...(deny && {
            authorize: (r: { permission: { name: string } }) =>
              r.permission.name === 'ripple.patch.review'
                ? AuthorizeResult.DENY
                : AuthorizeResult.ALLOW,
          }),
        },
      );
    const validationRegion = async () =>
      within(
        await screen.findByRole('region', { name: `Consumer ${consumerRef}` }),
      ).findByRole('region', {
        name: 'Validation',
      });

    it('shows a failed validation in red: its status, warehouse, counts and the differing rows in a table', async () => {
      await renderTab(api());
      const validation = await validationRegion();
      expect(
        within(validation).getAllByText('Failed')[0].parentElement,
      ).toHaveAttribute('data-tone', 'blocked');
      expect(validation).toHaveTextContent('on example · 1 failed · 1 passed');

      const statement = within(validation).getByRole('listitem', {
        name: 'export_orders.py:3',
      });
      expect(
        within(statement).getByText('Failed').parentElement,
      ).toHaveAttribute('data-tone', 'blocked');
      expect(statement).toHaveTextContent('120 rows before, 120 after');
      expect(
        within(statement).getByText('Columns whose checksums differ: amount'),
      ).toBeInTheDocument();
      const differing = within(statement).getByRole('region', {
        name: 'Rows that differ at export_orders.py:3',
      });
      expect(differing).toHaveAttribute('data-tone', 'blocked');
      expect(
        within(differing)
          .getAllByRole('row')
          .map(r => r.textContent),
      ).toEqual(['KeyBeforeAfter', '4242, 10.542, 1050']);
      const passed = within(validation).getByRole('listitem', {
        name: 'export_orders.py:20',
      });
      expect(within(passed).getByText('Passed').parentElement).toHaveAttribute(
        'data-tone',
        'done',
      );
      expect(within(passed).queryByRole('region')).not.toBeInTheDocument();
    });

    it('validates again for those who may review the consumer, then shows the pending run', async () => {
      const rippleApi = api();
      await renderTab(rippleApi);
      const validation = await validationRegion();
      await userEvent.click(
        await within(validation).findByRole('button', {
          name: 'Validate again',
        }),
      );
      await waitFor(() =>
        expect(rippleApi.validatePatch).toHaveBeenCalledWith('m1', consumerRef),
      );
      // The consumer is loaded again; its pending validation, with its patch.
      await waitFor(() =>
        expect(rippleApi.getConsumer).toHaveBeenCalledTimes(2),
      );
      const again = await validationRegion();
      expect(await within(again).findByText('Pending')).toBeInTheDocument();
      expect(
        within(again).getByText(
          'The validation runs in the background; this page shows its result when it is done.',
        ),
      ).toBeInTheDocument();
      expect(
        within(again).getByRole('button', { name: 'Validate again' }),
      ).toBeDisabled();
      expect(within(again).queryByRole('listitem')).not.toBeInTheDocument();
    });

    it('offers no new validation to those who may not review the consumer', async () => {
      await renderTab(api(), true);
      const validation = await validationRegion();
      expect(
        await within(validation).findByRole('listitem', {
          name: 'export_orders.py:3',
        }),
      ).toBeInTheDocument();
      expect(
        within(validation).queryByRole('button', { name: 'Validate again' }),
      ).not.toBeInTheDocument();
    });
  });

  it('says so when no migration touches the entity', async () => {
    const api = mockRippleApi({
      listEntityMigrations: async () => ({ items: [], totalCount: 0 }),
    });
    await renderWithRipple(
      <EntityProvider entity={ordersExport}>
        <EntityRippleMigrationsContent />
      </EntityProvider>,
      { api },
    );
    expect(
      await screen.findByText('No migration touches this entity'),
    ).toBeInTheDocument();
  });
});
