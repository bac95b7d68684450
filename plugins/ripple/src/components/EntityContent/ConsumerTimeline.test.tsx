import { screen, within } from '@testing-library/react';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import type { ConsumerTimeline } from '@ripple/backstage-plugin-ripple-common';
import {
  aConsumerDetail,
  aMigration,
  mockRippleApi,
  renderWithRipple,
} from '../../__testUtils__/rippleTestApp';
import { EntityRippleMigrationsContent } from './EntityRippleMigrationsContent';

const ordersExport: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'orders-export', namespace: 'default' },
  spec: { owner: 'data-platform' },
};
const consumerRef = 'component:default/orders-export';

const timeline = (overrides: Partial<ConsumerTimeline>): ConsumerTimeline => ({
  migrationId: 'm1',
  consumerRef,
  done: false,
  overdue: false,
  entries: [
    {
      step: 'created',
      state: 'done',
      at: '2026-11-20T10:00:00.000Z',
      detail: 'Rename amount',
    },
    {
      step: 'proposed',
      state: 'done',
      at: '2026-11-20T10:05:00.000Z',
      detail: 'Patch version 1 proposed',
    },
    {
      step: 'reviewed',
      state: 'done',
      at: '2026-11-21T09:00:00.000Z',
      detail: 'Approved',
    },
    { step: 'delivered', state: 'done', at: '2026-11-22T09:00:00.000Z' },
    { step: 'merged', state: 'pending' },
    { step: 'healthy', state: 'pending' },
    {
      step: 'deadline',
      state: 'pending',
      at: '2026-12-01T23:59:59.999Z',
      detail: '2026-12-01',
    },
  ],
  ...overrides,
});

async function render(t: ConsumerTimeline, targetDate = '2026-12-01') {
  const api = mockRippleApi({
    listEntityMigrations: async () => ({
      items: [
        {
          migration: aMigration({ state: 'rolling_out', targetDate }),
          roles: ['consumer'],
        },
      ],
      totalCount: 1,
    }),
    getConsumer: async () => aConsumerDetail(consumerRef),
    getConsumerTimeline: async () => t,
  });
  await renderWithRipple(
    <EntityProvider entity={ordersExport}>
      <EntityRippleMigrationsContent />
    </EntityProvider>,
    { api },
  );
  return api;
}

describe("a consumer's timeline on its Migrations tab", () => {
  it('shows each step in order, in words, with when it happened, and the target date', async () => {
    const api = await render(timeline({}));
    const list = await screen.findByRole('list', {
      name: 'Timeline of Rename amount to amount_usd for this entity',
    });
    const steps = within(list).getAllByRole('listitem');
    expect(
      steps.map(s => [
        s.getAttribute('data-step'),
        s.getAttribute('data-state'),
      ]),
    ).toEqual([
      ['created', 'done'],
      ['proposed', 'done'],
      ['reviewed', 'done'],
      ['delivered', 'done'],
      ['merged', 'pending'],
      ['healthy', 'pending'],
      ['deadline', 'pending'],
    ]);
    expect(steps[0]).toHaveTextContent('Created');
    expect(steps[0]).toHaveTextContent(
      new Date('2026-11-20T10:00:00.000Z').toLocaleString(),
    );
    expect(steps[4]).toHaveTextContent('Merged');
    expect(steps[4]).toHaveTextContent('not yet');
    expect(steps[6]).toHaveTextContent('Target date');
    expect(steps[6]).toHaveTextContent('2026-12-01');
    // Not late: no red flag.
    expect(
      screen.queryByText('Not done by the target date'),
    ).not.toBeInTheDocument();
    expect(screen.queryByText(/Overdue since/)).not.toBeInTheDocument();
    expect(api.getConsumerTimeline).toHaveBeenCalledWith('m1', consumerRef);
  });

  it('flags a consumer not done by the target date in red', async () => {
    await render(
      timeline({
        overdue: true,
        entries: timeline({}).entries.map(e =>
          e.step === 'deadline' ? { ...e, state: 'overdue' } : e,
        ),
      }),
    );
    const badge = await screen.findByText('Overdue since 2026-12-01');
    expect(badge.closest('[data-tone]')).toHaveAttribute(
      'data-tone',
      'blocked',
    );
    expect(screen.getByText('Not done by the target date')).toBeInTheDocument();
    expect(
      screen.getByText(
        'The migration "Rename amount to amount_usd" was due on 2026-12-01. Review, merge or contact its owners.',
      ),
    ).toBeInTheDocument();
    expect(document.querySelector('[data-overdue="true"]')).not.toBeNull();
    const deadline = document.querySelector('[data-step="deadline"]')!;
    expect(deadline).toHaveAttribute('data-state', 'overdue');
    expect(deadline).toHaveTextContent('overdue');
  });
});
