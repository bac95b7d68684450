import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Rollout } from '@ripple/backstage-plugin-ripple-common';
import { aConsumer, aMigration, mockRippleApi, renderWithRipple, responseError } from '../../__testUtils__/rippleTestApp';
import { RolloutPanel } from './RolloutPanel';

const plan: Rollout['plan'] = {
  waves: [{ name: 'canary', count: 1 }, { name: 'rest', percent: 100 }],
  soakMinutes: 60,
  autoAdvance: true,
  autoApprove: false,
  requireValidation: false,
  health: {},
};
const rolling: Rollout = {
  state: 'rolling_out',
  plan,
  currentWave: 0,
  waves: [
    { index: 0, name: 'canary', consumers: ['component:default/a'], state: 'active', startedAt: '2026-11-21T10:00:00.000Z' },
    { index: 1, name: 'rest', consumers: ['component:default/b', 'component:default/c'], state: 'pending' },
  ],
};
const loaded = (value: Rollout) => ({ value, loading: false, reload: jest.fn() });

describe('RolloutPanel', () => {
  it('draws the waves with the health of their consumers, in words', async () => {
    await renderWithRipple(
      <RolloutPanel
        migration={aMigration({ state: 'rolling_out' })}
        rollout={loaded(rolling)}
        consumers={[aConsumer('component:default/a', { health: 'unhealthy', wave: 0 })]}
        onChanged={jest.fn()}
      />,
      { api: mockRippleApi() },
    );
    const waves = screen.getAllByRole('listitem');
    expect(waves[0]).toHaveTextContent('1. canary');
    expect(waves[0]).toHaveTextContent('Health: 0 healthy, 1 unhealthy, 0 no signal');
    expect(within(waves[0]).getByText('Active').parentElement).toHaveAttribute('data-tone', 'blocked');
    expect(waves[1]).toHaveTextContent('2 consumers');
    expect(waves[1]).toHaveTextContent('Pending');
  });

  it('advances from the wave the person saw, and pauses', async () => {
    const api = mockRippleApi({
      advanceRollout: async () => rolling,
      pauseRollout: async () => rolling,
    });
    const onChanged = jest.fn();
    await renderWithRipple(
      <RolloutPanel migration={aMigration({ state: 'rolling_out' })} rollout={loaded(rolling)} consumers={[]} onChanged={onChanged} />,
      { api },
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Advance to the next wave' }));
    expect(api.advanceRollout).toHaveBeenCalledWith('m1', 0);
    await userEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(api.pauseRollout).toHaveBeenCalledWith('m1', 'Paused from the migration page');
    expect(onChanged).toHaveBeenCalledTimes(2);
    expect(screen.queryByRole('button', { name: 'Resume' })).not.toBeInTheDocument();
  });

  it('asks before rolling back, and shows why the backend refused', async () => {
    const api = mockRippleApi({
      rollbackRollout: async () => {
        throw responseError(409, 'Migration m1 is completed; it can become rolled_back only from rolling_out or paused');
      },
    });
    await renderWithRipple(
      <RolloutPanel migration={aMigration({ state: 'paused' })} rollout={loaded({ ...rolling, state: 'paused', pausedReason: 'health breach: errorRate 0.2' })} consumers={[]} onChanged={jest.fn()} />,
      { api },
    );
    expect(screen.getByText('health breach: errorRate 0.2')).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Resume' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Roll back' }));
    expect(api.rollbackRollout).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole('button', { name: 'Revert every delivered patch' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('it can become rolled_back only from rolling_out or paused');
  });

  it('starts a proposed migration', async () => {
    const api = mockRippleApi({ startRollout: async () => rolling });
    await renderWithRipple(
      <RolloutPanel migration={aMigration()} rollout={loaded({ state: 'not_started', plan, waves: [] })} consumers={[]} onChanged={jest.fn()} />,
      { api },
    );
    expect(screen.getByText(/The waves are drawn when the rollout starts/)).toBeInTheDocument();
    await userEvent.click(await screen.findByRole('button', { name: 'Start the rollout' }));
    expect(api.startRollout).toHaveBeenCalledWith('m1');
  });

  it('starts with the plan requiring validation when the person asks, and says so', async () => {
    const api = mockRippleApi({ startRollout: async () => rolling });
    await renderWithRipple(
      <RolloutPanel migration={aMigration()} rollout={loaded({ state: 'not_started', plan, waves: [] })} consumers={[]} onChanged={jest.fn()} />,
      { api },
    );
    // The plan's own (the config's default) is shown, and left alone it is not sent.
    const option = await screen.findByRole('checkbox', { name: 'Require validation' });
    expect(option).not.toBeChecked();
    expect(screen.getByText(/a failed validation in a wave pauses the rollout/)).toBeInTheDocument();
    await userEvent.click(option);
    expect(option).toBeChecked();
    await userEvent.click(screen.getByRole('button', { name: 'Start the rollout' }));
    expect(api.startRollout).toHaveBeenCalledWith('m1', { requireValidation: true });
  });

  it("sends nothing for an option left at the config's default", async () => {
    const api = mockRippleApi({ startRollout: async () => rolling });
    await renderWithRipple(
      <RolloutPanel
        migration={aMigration()}
        rollout={loaded({ state: 'not_started', plan: { ...plan, requireValidation: true }, waves: [] })}
        consumers={[]}
        onChanged={jest.fn()}
      />,
      { api },
    );
    expect(await screen.findByRole('checkbox', { name: 'Require validation' })).toBeChecked();
    expect(screen.getByText(/every patch needs a passed validation/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Start the rollout' }));
    expect(api.startRollout).toHaveBeenCalledWith('m1');
  });

  it('shows in the timeline why the active wave is held', async () => {
    const reason =
      'the rollout plan requires a passed validation (or one skipped with its reason): component:default/a: its validation on warehouse example failed: q.sql:1: 2 rows before the patch, 2 after';
    await renderWithRipple(
      <RolloutPanel
        migration={aMigration({ state: 'rolling_out' })}
        rollout={loaded({ ...rolling, plan: { ...plan, requireValidation: true }, gateReason: reason })}
        consumers={[]}
        onChanged={jest.fn()}
      />,
      { api: mockRippleApi() },
    );
    const waves = screen.getAllByRole('listitem');
    expect(within(waves[0]).getByRole('status')).toHaveTextContent(`Held: ${reason}`);
    expect(waves[1]).not.toHaveTextContent('Held');
    expect(screen.getByText(/every patch needs a passed validation/)).toBeInTheDocument();
    // Running, it is not a plan to edit any more.
    expect(screen.queryByRole('checkbox', { name: 'Require validation' })).not.toBeInTheDocument();
  });

  it('starts a rollout whose compatibility view cannot be built only with a reason, which it sends', async () => {
    const api = mockRippleApi({ startRollout: async () => rolling });
    await renderWithRipple(
      <RolloutPanel
        migration={aMigration()}
        rollout={loaded({ state: 'not_started', plan, waves: [] })}
        consumers={[]}
        compatView="unavailable"
        compatViewBlocked="amount_usd: the view needs the table's schema"
        onChanged={jest.fn()}
      />,
      { api },
    );
    expect(await screen.findByText('The compatibility view cannot be built')).toBeInTheDocument();
    const start = screen.getByRole('button', { name: 'Start without the view' });
    expect(start).toBeDisabled();
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Why start without the compatibility view' }),
      'no reader is left on the old name',
    );
    await userEvent.click(start);
    expect(api.startRollout).toHaveBeenCalledWith('m1', undefined, {
      overrideCompatView: 'no reader is left on the old name',
    });
  });

  it('asks for the compatibility view before starting a rollout that moves the table', async () => {
    const onShowCompatView = jest.fn();
    await renderWithRipple(
      <RolloutPanel
        migration={aMigration()}
        rollout={loaded({ state: 'not_started', plan, waves: [] })}
        consumers={[]}
        compatView="pending"
        onShowCompatView={onShowCompatView}
        onChanged={jest.fn()}
      />,
      { api: mockRippleApi() },
    );
    expect(await screen.findByText('Apply the compatibility view first')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Start the rollout' })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Show the DDL' }));
    expect(onShowCompatView).toHaveBeenCalled();
  });

  it('shows no controls without ripple.rollout.manage', async () => {
    await renderWithRipple(
      <RolloutPanel migration={aMigration({ state: 'rolling_out' })} rollout={loaded(rolling)} consumers={[]} onChanged={jest.fn()} />,
      { api: mockRippleApi(), authorize: () => AuthorizeResult.DENY },
    );
    expect(await screen.findByText(/running it needs the ripple.rollout.manage permission/)).toBeInTheDocument();
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
  });
});
