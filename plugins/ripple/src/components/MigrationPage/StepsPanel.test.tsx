import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  rippleStepRunPermission,
  type StepPlanView,
} from '@ripple/backstage-plugin-ripple-common';
import {
  aMigration,
  aStepPlan,
  mockRippleApi,
  renderWithRipple,
  responseError,
} from '../../__testUtils__/rippleTestApp';
import { StepsPanel } from './StepsPanel';

const T1 = '2026-11-21T10:00:00.000Z';
const done = {
  state: 'done' as const,
  attempt: 1,
  startedAt: T1,
  finishedAt: T1,
};

/** The Steps tab of migration m1, whose plan is `plan`, and a spy on its reloads. */
async function renderSteps(
  plan: StepPlanView,
  answers: Parameters<typeof mockRippleApi>[0] = {},
  options: { allowed?: boolean } = {},
) {
  const api = mockRippleApi({ getStepPlan: async () => plan, ...answers });
  const onChanged = jest.fn();
  await renderWithRipple(
    <StepsPanel
      migration={aMigration({ hasStepPlan: true })}
      onChanged={onChanged}
    />,
    {
      api,
      authorize: request =>
        options.allowed === false &&
        request.permission.name === rippleStepRunPermission.name
          ? AuthorizeResult.DENY
          : AuthorizeResult.ALLOW,
    },
  );
  await screen.findByRole('list', { name: 'Steps on the warehouse' });
  return { api, onChanged };
}

function step(name: string) {
  return screen.getByRole('listitem', { name });
}

describe('the Steps tab', () => {
  it('shows the dry run of a plan nothing ran of: every statement, the script, and Run for the first step', async () => {
    const plan = aStepPlan();
    const { api, onChanged } = await renderSteps(plan, {
      runStep: async () =>
        aStepPlan({}, { expand: { state: 'running', attempt: 1 } }),
    });
    expect(
      screen.getByText(
        /Ripple runs each step on the warehouse example \(duckdb\)/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(/^Made by/)).toHaveTextContent('Made by guest');
    expect(screen.getByRole('note')).toHaveTextContent(
      'Nothing has run yet: every statement below is what the plan will run',
    );
    const steps = within(
      screen.getByRole('list', { name: 'Steps on the warehouse' }),
    ).getAllByRole('listitem');
    expect(steps.map(s => s.getAttribute('aria-label'))).toEqual([
      'Expand',
      'Backfill',
      'Verify the copy',
      'Switch',
      'Contract',
    ]);
    for (const s of steps) expect(s).toHaveTextContent('Pending');
    // The next step's statements are open; its rollback is a click away.
    expect(
      screen.getByRole('region', { name: 'Statements of Expand' }),
    ).toHaveTextContent(
      'CREATE TABLE shop.orders__ripple_v2 (id BIGINT, amount_usd DOUBLE);',
    );
    expect(
      screen.queryByRole('region', { name: 'Rollback of Expand' }),
    ).not.toBeInTheDocument();
    await userEvent.click(
      within(step('Expand')).getByRole('button', {
        name: 'Rollback: 1 statement',
      }),
    );
    expect(
      screen.getByRole('region', { name: 'Rollback of Expand' }),
    ).toHaveTextContent('DROP TABLE IF EXISTS shop.orders__ripple_v2;');
    expect(
      within(step('Verify the copy')).getByText(/No rollback/),
    ).toBeInTheDocument();

    const download = screen.getByRole('link', { name: 'Download SQL script' });
    expect(download).toHaveAttribute('download', 'shop.orders.steps.sql');
    expect(decodeURIComponent(download.getAttribute('href')!)).toBe(
      `data:application/sql;charset=utf-8,${plan.script}`,
    );

    // Only the next step can be run.
    expect(screen.getAllByRole('button', { name: /^Run / })).toHaveLength(1);
    await userEvent.click(screen.getByRole('button', { name: 'Run Expand' }));
    expect(api.runStep).toHaveBeenCalledWith('m1', 'expand');
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
  });

  it('follows a running backfill: its share, rows and rate, and no button while it runs', async () => {
    const plan = aStepPlan(
      { next: 'backfill' },
      {
        expand: done,
        backfill: {
          state: 'running',
          attempt: 1,
          startedAt: T1,
          progress: {
            rowsDone: 4_200_000,
            rowsTotal: 10_000_000,
            batches: 42,
            rowsPerSecond: 1_234_000,
          },
        },
      },
    );
    await renderSteps(plan);
    const backfill = step('Backfill');
    expect(backfill).toHaveTextContent('Running');
    const bar = within(backfill).getByRole('progressbar', { name: 'Backfill' });
    expect(bar).toHaveAttribute('aria-valuenow', '4200000');
    expect(bar).toHaveAttribute('aria-valuemax', '10000000');
    expect(backfill).toHaveTextContent(
      '42% · 4.2 M of 10.0 M rows · 1.2 M rows/s',
    );
    expect(step('Expand')).toHaveTextContent('Done');
    expect(screen.queryByRole('note')).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /^(Run|Roll back|Retry) / }),
    ).not.toBeInTheDocument();
  });

  it('polls a running step every 2 s and shows its new progress', async () => {
    const running = (rowsDone: number) =>
      aStepPlan(
        { next: 'backfill' },
        {
          expand: done,
          backfill: {
            state: 'running',
            attempt: 1,
            progress: { rowsDone, rowsTotal: 1000, rowsPerSecond: 500 },
          },
        },
      );
    const answers = [running(100), running(600)];
    const { api } = await renderSteps(answers[0], {
      getStepPlan: async () => answers.shift() ?? running(600),
    });
    expect(step('Backfill')).toHaveTextContent('10% · 100 of 1.0 k rows');
    await waitFor(
      () =>
        expect(step('Backfill')).toHaveTextContent('60% · 600 of 1.0 k rows'),
      { timeout: 3500 },
    );
    expect(api.getStepPlan).toHaveBeenCalledWith('m1');
  });

  it('shows a failed verification: its error, checks and differing rows marked old/new; retries it or rolls it back', async () => {
    const plan = aStepPlan(
      { next: 'verify' },
      {
        expand: done,
        backfill: {
          ...done,
          progress: { rowsDone: 3, rowsTotal: 3, rowsPerSecond: 3000 },
        },
        verify: {
          state: 'failed',
          attempt: 1,
          startedAt: T1,
          finishedAt: T1,
          error: 'the copy differs from shop.orders: 1 of 2 checks failed',
          verification: {
            passed: false,
            durationMs: 1500,
            checks: [
              {
                statement: 'SELECT count(*) = count(*) …',
                passed: true,
                value: true,
              },
              {
                statement: 'SELECT sum(hash(amount)) = …',
                passed: false,
                value: false,
              },
            ],
            differences: {
              columns: ['side', 'id', 'amount_usd'],
              rows: [
                ['old', 42, 10.5],
                ['new', 42, null],
              ],
            },
          },
        },
      },
    );
    const { api } = await renderSteps(plan, {
      retryStep: async () => plan,
      rollbackStep: async () => plan,
    });
    const verify = step('Verify the copy');
    expect(verify).toHaveTextContent('Failed');
    expect(
      within(verify).getByText('The step failed on the warehouse'),
    ).toBeInTheDocument();
    expect(verify).toHaveTextContent(
      'the copy differs from shop.orders: 1 of 2 checks failed',
    );
    expect(verify).toHaveTextContent(
      'The copy differs: the plan stopped in 1.5 s',
    );
    const checks = within(
      within(verify).getByRole('list', { name: 'Checks of the copy' }),
    ).getAllByRole('listitem');
    expect(checks[0]).toHaveTextContent('Passed');
    expect(checks[1]).toHaveTextContent('Failed');
    expect(checks[1]).toHaveTextContent('returned false');
    const rows = within(
      within(verify).getByRole('region', { name: 'Rows that differ' }),
    ).getAllByRole('row');
    expect(rows[0]).toHaveTextContent(/Table.*id.*amount_usd/);
    expect(rows[1]).toHaveTextContent(/old.*42.*10\.5/);
    expect(rows[2]).toHaveTextContent(/new.*42.*NULL/);

    await userEvent.click(
      within(verify).getByRole('button', { name: 'Retry Verify the copy' }),
    );
    expect(api.retryStep).toHaveBeenCalledWith('m1', 'verify');
    await userEvent.click(
      await within(verify).findByRole('button', {
        name: 'Roll back Verify the copy',
      }),
    );
    // It asks first; the confirmation sends it, with no note when none is given.
    expect(verify).toHaveTextContent(
      "Runs Verify the copy's rollback on the warehouse",
    );
    expect(api.rollbackStep).not.toHaveBeenCalled();
    await userEvent.click(
      within(verify).getByRole('button', { name: 'Roll back Verify the copy' }),
    );
    expect(api.rollbackStep).toHaveBeenCalledWith('m1', 'verify', undefined);
    // Rolling back goes one step at a time: only the last step that ran.
    expect(screen.getAllByRole('button', { name: /^Roll back / })).toHaveLength(
      1,
    );
  });

  it('rolls back the last step done, and shows a rolled-back step as such', async () => {
    const plan = aStepPlan(
      { next: 'backfill' },
      { expand: done, backfill: { state: 'rolled-back', attempt: 1 } },
    );
    const { api } = await renderSteps(plan, { rollbackStep: async () => plan });
    expect(step('Backfill')).toHaveTextContent('Rolled back');
    expect(
      within(step('Backfill')).getByRole('button', { name: 'Run Backfill' }),
    ).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Roll back Expand' }),
    );
    await userEvent.type(
      within(step('Expand')).getByRole('textbox', { name: /Why/ }),
      'wrong key',
    );
    await userEvent.click(
      within(step('Expand')).getByRole('button', { name: 'Roll back Expand' }),
    );
    expect(api.rollbackStep).toHaveBeenCalledWith('m1', 'expand', 'wrong key');
  });

  it("warns that rolling the switch back reverts the consumers' deliveries, and sends nothing when kept", async () => {
    const plan = aStepPlan(
      { mode: 'hand-over', next: 'contract' },
      {
        expand: done,
        backfill: done,
        verify: done,
        switch: { ...done, doneBy: 'user:default/ada' },
      },
    );
    const { api } = await renderSteps(plan);
    await userEvent.click(
      screen.getByRole('button', { name: 'Roll back Switch' }),
    );
    expect(step('Switch')).toHaveTextContent(
      "Consumers already delivered are rolled back too, as the rollout's rollback does.",
    );
    await userEvent.click(screen.getByRole('button', { name: 'Keep it' }));
    expect(
      within(step('Switch')).queryByRole('textbox', { name: /Why/ }),
    ).not.toBeInTheDocument();
    expect(api.rollbackStep).not.toHaveBeenCalled();
  });

  it('hands a plan over: no Run, Mark done for the next step, who marked the others, and what a step waits for', async () => {
    const plan = aStepPlan(
      { mode: 'hand-over', next: 'switch' },
      {
        expand: { ...done, doneBy: 'user:default/ada' },
        backfill: { ...done, doneBy: 'user:default/ada' },
        verify: { ...done, doneBy: 'user:default/ada' },
        contract: {
          waitingFor:
            'waiting for the retention time: every consumer merged and healthy for 24 h',
        },
      },
    );
    const { api } = await renderSteps(plan, { markStepDone: async () => plan });
    expect(
      screen.getByText(/Handed over: Ripple does not run anything/),
    ).toBeInTheDocument();
    expect(step('Expand')).toHaveTextContent('Marked done by ada');
    expect(step('Contract')).toHaveTextContent(
      'Not yet: waiting for the retention time: every consumer merged and healthy for 24 h',
    );
    expect(
      screen.queryByRole('button', { name: /^Run / }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /^Retry / }),
    ).not.toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Mark Switch done' }),
    );
    expect(api.markStepDone).toHaveBeenCalledWith('m1', 'switch');
  });

  it('offers no Run while the next step waits for the consumers', async () => {
    const plan = aStepPlan(
      { next: 'contract' },
      {
        expand: done,
        backfill: done,
        verify: done,
        switch: done,
        contract: { waitingFor: 'waiting for 1 consumer(s) to be merged' },
      },
    );
    await renderSteps(plan);
    expect(step('Contract')).toHaveTextContent(
      'Not yet: waiting for 1 consumer(s) to be merged',
    );
    expect(
      screen.queryByRole('button', { name: 'Run Contract' }),
    ).not.toBeInTheDocument();
  });

  it('approves the deletion of the old data only after a confirmation that says it is for good', async () => {
    const contracted = aStepPlan(
      { next: undefined },
      {
        expand: done,
        backfill: done,
        verify: done,
        switch: done,
        contract: done,
      },
    );
    const { api } = await renderSteps(contracted, {
      approveStep: async () => contracted,
    });
    await userEvent.click(
      screen.getByRole('button', { name: 'Approve the deletion' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Delete the old data for good?');
    expect(dialog).toHaveTextContent(
      'These statements delete data for good. There is no rollback',
    );
    expect(
      within(dialog).getByRole('region', { name: 'Approval statements' }),
    ).toHaveTextContent('DROP TABLE IF EXISTS shop.orders__ripple_old;');
    // Cancelled, nothing is sent.
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Keep the old data' }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(api.approveStep).not.toHaveBeenCalled();

    await userEvent.click(
      screen.getByRole('button', { name: 'Approve the deletion' }),
    );
    const again = await screen.findByRole('dialog');
    await userEvent.type(
      within(again).getByRole('textbox', { name: /Note/ }),
      'copy checked by finance',
    );
    await userEvent.click(
      within(again).getByRole('button', { name: 'Delete for good' }),
    );
    expect(api.approveStep).toHaveBeenCalledWith(
      'm1',
      'contract',
      'copy checked by finance',
    );
  });

  it('asks a handed-over plan to run the approval statements first, then records it', async () => {
    const contracted = aStepPlan(
      { mode: 'hand-over', next: undefined },
      {
        expand: done,
        backfill: done,
        verify: done,
        switch: done,
        contract: done,
      },
    );
    const { api } = await renderSteps(contracted, {
      approveStep: async () => contracted,
    });
    await userEvent.click(
      screen.getByRole('button', { name: 'Approve the deletion' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent(
      'Run these statements on the warehouse, then confirm here. They delete data for good',
    );
    await userEvent.click(
      within(dialog).getByRole('button', {
        name: 'I ran them: deleted for good',
      }),
    );
    expect(api.approveStep).toHaveBeenCalledWith('m1', 'contract', undefined);
  });

  it('says who approved the deletion, and offers neither approval nor rollback after it', async () => {
    await renderSteps(
      aStepPlan(
        { next: undefined },
        {
          expand: done,
          backfill: done,
          verify: done,
          switch: done,
          contract: { ...done, approvedBy: 'user:default/ada', approvedAt: T1 },
        },
      ),
    );
    expect(step('Contract')).toHaveTextContent('Deletion approved by ada');
    expect(
      screen.queryByRole('button', { name: 'Approve the deletion' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: /^Roll back / }),
    ).not.toBeInTheDocument();
  });

  it('shows the backend refusing an action', async () => {
    await renderSteps(aStepPlan(), {
      runStep: async () => {
        throw responseError(
          409,
          'expand is not the next step: the plan is at backfill',
        );
      },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Run Expand' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The step did not change');
    expect(alert).toHaveTextContent(
      'expand is not the next step: the plan is at backfill',
    );
  });

  it('shows the plan but no button to those not allowed to run its steps', async () => {
    await renderSteps(
      aStepPlan(
        { next: 'verify' },
        {
          expand: done,
          backfill: done,
          verify: { state: 'failed', attempt: 1, error: 'boom' },
        },
      ),
      {},
      { allowed: false },
    );
    expect(step('Verify the copy')).toHaveTextContent('Failed');
    await waitFor(() =>
      expect(
        within(
          screen.getByRole('list', { name: 'Steps on the warehouse' }),
        ).queryAllByRole('button', {
          name: /^(Run|Retry|Roll back|Mark) /,
        }),
      ).toHaveLength(0),
    );
  });
});
