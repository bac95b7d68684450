import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { Rollout } from '@ripple/backstage-plugin-ripple-common';
import {
  aMigration,
  mockRippleApi,
  renderWithRipple,
} from '../../__testUtils__/rippleTestApp';
import { KillSwitch } from './KillSwitch';
import { RolloutPanel } from './RolloutPanel';

const plan: Rollout['plan'] = {
  waves: [{ name: 'all', percent: 100 }],
  soakMinutes: 60,
  autoAdvance: true,
  autoApprove: false,
  requireValidation: false,
  health: {},
  windows: [
    { cron: '0 2 * * 1-4', durationMinutes: 180, timeZone: 'Europe/Stockholm' },
  ],
};
const loaded = (value: Rollout) => ({
  value,
  loading: false,
  reload: jest.fn(),
});
const WAIT =
  "waiting for the window at 2026-12-08T01:00:00.000Z (outside the plan's delivery windows)";

describe('rollout timing on the migration page', () => {
  it('shows the windows and each consumer waiting for its window or its upstream', async () => {
    const rollout: Rollout = {
      state: 'rolling_out',
      plan,
      currentWave: 0,
      waves: [
        {
          index: 0,
          name: 'all',
          consumers: ['component:default/up', 'component:default/down'],
          state: 'active',
        },
      ],
      gateReason: `waiting for the wave's deliveries: component:default/up (${WAIT})`,
      waiting: [
        {
          consumerRef: 'component:default/up',
          reason: WAIT,
          until: '2026-12-08T01:00:00.000Z',
        },
        {
          consumerRef: 'component:default/down',
          reason:
            'waiting for component:default/up upstream to be merged and healthy',
        },
      ],
    };
    await renderWithRipple(
      <RolloutPanel
        migration={aMigration({ state: 'rolling_out' })}
        rollout={loaded(rollout)}
        consumers={[]}
        onChanged={jest.fn()}
      />,
      { api: mockRippleApi() },
    );
    expect(
      screen.getByText(
        /Delivery windows: 0 2 \* \* 1-4 for 180 min \(Europe\/Stockholm\)/,
      ),
    ).toBeInTheDocument();
    const waits = within(
      screen.getByRole('list', {
        name: 'Consumers waiting before their delivery',
      }),
    ).getAllByRole('listitem');
    expect(waits).toHaveLength(2);
    expect(waits[0]).toHaveTextContent(`up: ${WAIT} (until `);
    expect(waits[1]).toHaveTextContent(
      'down: waiting for component:default/up upstream to be merged and healthy',
    );
    expect(screen.getByRole('status')).toHaveTextContent(
      `Held: waiting for the wave's deliveries: component:default/up (${WAIT})`,
    );
  });

  it('asks for a confirmation with the number before starting a wide rollout, and sends the number', async () => {
    const api = mockRippleApi({
      startRollout: async () => ({ state: 'rolling_out', plan, waves: [] }),
    });
    await renderWithRipple(
      <RolloutPanel
        migration={aMigration()}
        rollout={loaded({
          state: 'not_started',
          plan,
          waves: [],
          confirmation: { consumers: 240, above: 100 },
        })}
        consumers={[]}
        onChanged={jest.fn()}
      />,
      { api },
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Start the rollout' }),
    );
    expect(api.startRollout).not.toHaveBeenCalled();
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Start the rollout over 240 consumers?');
    expect(dialog).toHaveTextContent(
      'This rollout reaches 240 consumers, more than the 100',
    );
    // Not now: nothing is sent.
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Not now' }),
    );
    expect(api.startRollout).not.toHaveBeenCalled();
    await userEvent.click(
      screen.getByRole('button', { name: 'Start the rollout' }),
    );
    await userEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Start over 240 consumers',
      }),
    );
    expect(api.startRollout).toHaveBeenCalledWith('m1', undefined, {
      confirmConsumers: 240,
    });
  });

  it('stops every automatic step after a confirmation, with the reason', async () => {
    const api = mockRippleApi({
      stopAutomation: async () => aMigration({ state: 'rolling_out' }),
    });
    const onChanged = jest.fn();
    await renderWithRipple(
      <KillSwitch
        migration={aMigration({ state: 'rolling_out' })}
        onChanged={onChanged}
      />,
      { api },
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Stop all automation' }),
    );
    expect(api.stopAutomation).not.toHaveBeenCalled();
    expect(
      screen.getByText(/unlike a pause, which stops only the rollout/),
    ).toBeInTheDocument();
    await userEvent.type(
      screen.getByRole('textbox', { name: /Why/ }),
      'the warehouse is on fire',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Stop every automatic step' }),
    );
    expect(api.stopAutomation).toHaveBeenCalledWith(
      'm1',
      'the warehouse is on fire',
    );
    expect(onChanged).toHaveBeenCalledTimes(1);
  });

  it('says who stopped the automation and why, and resumes it', async () => {
    const api = mockRippleApi({
      resumeAutomation: async () => aMigration({ state: 'rolling_out' }),
    });
    const stoppedMigration = aMigration({
      state: 'rolling_out',
      stopped: {
        by: 'user:default/guest',
        at: new Date().toISOString(),
        reason: 'the warehouse is on fire',
      },
    });
    await renderWithRipple(
      <KillSwitch migration={stoppedMigration} onChanged={jest.fn()} />,
      { api },
    );
    const alert = await screen.findByRole('status');
    expect(alert).toHaveTextContent('Automation stopped');
    expect(alert).toHaveTextContent('Stopped by user:default/guest');
    expect(alert).toHaveTextContent('Reason: the warehouse is on fire');
    await userEvent.click(
      await within(alert).findByRole('button', { name: 'Resume automation' }),
    );
    expect(api.resumeAutomation).toHaveBeenCalledWith('m1');
  });

  it('shows the stop to those who may not throw the switch, without its buttons', async () => {
    await renderWithRipple(
      <KillSwitch
        migration={aMigration({
          state: 'rolling_out',
          stopped: { by: 'user:default/guest', at: new Date().toISOString() },
        })}
        onChanged={jest.fn()}
      />,
      { api: mockRippleApi(), authorize: () => AuthorizeResult.DENY },
    );
    expect(await screen.findByText('Automation stopped')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Resume automation' }),
    ).not.toBeInTheDocument();
  });
});
