import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type {
  EngineCanary,
  EngineCanaryConsumer,
  EngineStatus,
  Patch,
} from '@ripple/backstage-plugin-ripple-common';
import {
  mockRippleApi,
  renderWithRipple,
  responseError,
} from '../../__testUtils__/rippleTestApp';
import { EngineCanaryPage } from './EngineCanaryPage';
import { FleetDashboard } from '../FleetDashboard';

// The engine canary's page: how the new version's proposals for the sample
// compare with the current patches, and the administrator's decision.

const diff = (line: string) =>
  [
    '--- a/models/stg_orders.sql',
    '+++ b/models/stg_orders.sql',
    '@@ -1 +1 @@',
    '-select amount from orders',
    `+${line}`,
    '',
  ].join('\n');

const patch = (overrides: Partial<Patch>): Patch => ({
  id: 1,
  migrationId: 'm1',
  consumerRef: 'component:default/jaffle-dbt',
  version: 1,
  diff: diff('select amount_usd AS amount from orders'),
  baseHash: 'sha256:x',
  status: 'rewritten',
  reasons: [],
  stale: false,
  createdAt: '2026-11-21T10:00:00.000Z',
  engineVersion: '0.1.0',
  ...overrides,
});

const sampled = (
  consumerRef: string,
  outcome: EngineCanaryConsumer['outcome'],
  proposedDiff: string,
  proposedStatus: Patch['status'] = 'rewritten',
): EngineCanaryConsumer => ({
  migrationId: 'm1',
  migrationTitle: 'Rename amount',
  consumerRef,
  outcome,
  current: patch({ consumerRef }),
  proposed: {
    diff: proposedDiff,
    status: proposedStatus,
    reasons: [],
    baseHash: 'sha256:x',
  },
});

const canary = (overrides: Partial<EngineCanary> = {}): EngineCanary => ({
  engineVersion: '0.2.0',
  previousVersions: ['0.1.0'],
  state: 'awaiting_decision',
  createdAt: '2026-12-01T10:00:00.000Z',
  sampledAt: '2026-12-01T10:01:00.000Z',
  counts: {
    unchanged: 1,
    changed: 1,
    newly_rewritten: 0,
    newly_for_a_person: 1,
  },
  consumers: [
    sampled(
      'component:default/jaffle-dbt',
      'changed',
      diff('select amount_usd AS "amount" from orders'),
    ),
    sampled(
      'component:default/orders-export',
      'unchanged',
      diff('select amount_usd AS amount from orders'),
    ),
    sampled(
      'component:default/fraud-scoring',
      'newly_for_a_person',
      '',
      'needs_edit',
    ),
  ],
  ...overrides,
});

const status = (c?: EngineCanary): EngineStatus => ({
  engineVersion: '0.2.0',
  outdatedPatches: 3,
  ...(c ? { canary: c } : {}),
});

describe('the engine canary page', () => {
  it('shows each consumer of the sample with its outcome, and both patches where they differ', async () => {
    const api = mockRippleApi({
      getEngineCanary: async () => status(canary()),
    });
    await renderWithRipple(<EngineCanaryPage />, { api });

    expect(
      await screen.findByRole('heading', { name: 'Engine 0.2.0' }),
    ).toBeInTheDocument();
    expect(screen.getByText('Awaiting a decision')).toBeInTheDocument();
    expect(
      screen.getByText('Compared with the patches of engine 0.1.0'),
    ).toBeInTheDocument();
    const sample = within(screen.getByLabelText('The sample'));
    expect(sample.getByText('Changed').nextSibling).toHaveTextContent('1');
    expect(
      sample.getByText('Newly for a person').nextSibling,
    ).toHaveTextContent('1');

    const changed = within(
      screen.getByRole('region', {
        name: 'component:default/jaffle-dbt in Rename amount',
      }),
    );
    expect(changed.getByText('Changed').closest('[data-tone]')).toHaveAttribute(
      'data-tone',
      'active',
    );
    expect(
      changed.getByText('Current patch v1 · rewritten · engine 0.1.0'),
    ).toBeInTheDocument();
    expect(
      changed.getByText('Proposed by engine 0.2.0 · rewritten'),
    ).toBeInTheDocument();
    // Each line as the diff shows it: its gutter, then the line.
    expect(
      changed.getByText(/\+select amount_usd AS "amount" from orders$/),
    ).toHaveClass('diffAdd');
    expect(
      changed.getByText(/\+select amount_usd AS amount from orders$/),
    ).toHaveClass('diffAdd');
    expect(
      changed.getByRole('link', { name: 'Rename amount' }),
    ).toHaveAttribute('href', '/ripple/migrations/m1');

    const unchanged = within(
      screen.getByRole('region', {
        name: 'component:default/orders-export in Rename amount',
      }),
    );
    expect(
      unchanged.getByText('The same patch as the current one.'),
    ).toBeInTheDocument();
    expect(unchanged.queryByText(/Current patch/)).not.toBeInTheDocument();

    const forAPerson = within(
      screen.getByRole('region', {
        name: 'component:default/fraud-scoring in Rename amount',
      }),
    );
    expect(
      forAPerson.getByText('Newly for a person').closest('[data-tone]'),
    ).toHaveAttribute('data-tone', 'blocked');
    expect(
      forAPerson.getByText('Proposed by engine 0.2.0 · needs edit'),
    ).toBeInTheDocument();
  });

  it('accepts the version for an administrator, with a comment, and shows the decision', async () => {
    let current = canary();
    const api = mockRippleApi({
      getEngineCanary: async () => status(current),
      decideEngineCanary: async () => {
        current = canary({
          state: 'accepted',
          decidedBy: 'user:default/admin',
          decidedAt: new Date().toISOString(),
          comment: 'Quoted names are fine',
        });
        return current;
      },
    });
    await renderWithRipple(<EngineCanaryPage />, { api });
    const decision = within(
      await screen.findByRole('group', { name: 'Decision' }),
    );
    await userEvent.type(
      decision.getByRole('textbox', { name: /Comment/ }),
      'Quoted names are fine',
    );
    await userEvent.click(
      decision.getByRole('button', { name: 'Accept engine 0.2.0' }),
    );
    expect(api.decideEngineCanary).toHaveBeenCalledWith({
      engineVersion: '0.2.0',
      decision: 'accept',
      comment: 'Quoted names are fine',
    });
    expect(await screen.findByText(/^Accepted by/)).toBeInTheDocument();
    expect(screen.getByText('Quoted names are fine')).toBeInTheDocument();
    expect(
      screen.queryByRole('group', { name: 'Decision' }),
    ).not.toBeInTheDocument();
  });

  it('refuses the version, and shows the backend refusing a decision on another version', async () => {
    const api = mockRippleApi({
      getEngineCanary: async () => status(canary()),
      decideEngineCanary: async () => {
        throw responseError(
          409,
          'engineVersion: the backend runs engine 0.3.0, not 0.2.0',
        );
      },
    });
    await renderWithRipple(<EngineCanaryPage />, { api });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Refuse' }),
    );
    expect(api.decideEngineCanary).toHaveBeenCalledWith({
      engineVersion: '0.2.0',
      decision: 'refuse',
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      /the backend runs engine 0\.3\.0/,
    );
  });

  it('offers no decision to people who are not administrators', async () => {
    const api = mockRippleApi({
      getEngineCanary: async () => status(canary()),
    });
    await renderWithRipple(<EngineCanaryPage />, {
      api,
      authorize: request =>
        request.permission.name === 'ripple.engine.accept'
          ? AuthorizeResult.DENY
          : AuthorizeResult.ALLOW,
    });
    expect(
      await screen.findByText(
        /Only an administrator \(ripple\.engine\.accept\)/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /Accept/ }),
    ).not.toBeInTheDocument();
  });

  it('says every open patch was made by the running version when there is no canary', async () => {
    const api = mockRippleApi({
      getEngineCanary: async () => ({
        engineVersion: '0.2.0',
        outdatedPatches: 0,
      }),
    });
    await renderWithRipple(<EngineCanaryPage />, { api });
    expect(
      await screen.findByText('Every open patch was made by this version.'),
    ).toBeInTheDocument();
  });

  it('is announced on the fleet dashboard while it awaits a decision', async () => {
    const api = mockRippleApi({
      getEngineCanary: async () => status(canary()),
      listMigrations: async () => ({ items: [], totalCount: 0 }),
    });
    await renderWithRipple(<FleetDashboard />, { api });
    expect(
      await screen.findByText(
        'Engine 0.2.0 was tried on a sample of the open migrations and awaits a decision.',
      ),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(
        screen.getByRole('link', { name: 'See the differences' }),
      ).toHaveAttribute('href', '/ripple/engine'),
    );
  });
});
