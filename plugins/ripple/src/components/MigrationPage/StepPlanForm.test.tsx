import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { StepPlanView } from '@ripple/backstage-plugin-ripple-common';
import {
  aMigration,
  aStepPlan,
  mockRippleApi,
  renderWithRipple,
  responseError,
} from '../../__testUtils__/rippleTestApp';
import { StepsPanel } from './StepsPanel';

// The Steps tab of a migration without a step plan (404).
describe('making a step plan', () => {
  it('offers the form for a migration without a plan, and sends its key and rows per batch', async () => {
    let made: StepPlanView | undefined;
    const api = mockRippleApi({
      getStepPlan: async () => {
        if (made) return made;
        throw responseError(404, 'migration m1 has no step plan');
      },
      createStepPlan: async () => {
        made = aStepPlan();
        return made;
      },
    });
    const onChanged = jest.fn();
    await renderWithRipple(
      <StepsPanel migration={aMigration()} onChanged={onChanged} />,
      { api },
    );
    expect(await screen.findByText('No step plan yet')).toBeInTheDocument();
    await userEvent.type(
      screen.getByRole('textbox', { name: /Batch key/ }),
      'id',
    );
    const rows = screen.getByRole('textbox', { name: /Rows per batch/ });
    await userEvent.type(rows, 'many');
    expect(
      screen.getByRole('button', { name: 'Make a step plan' }),
    ).toBeDisabled();
    expect(
      screen.getByText('A whole number of rows, at least 1'),
    ).toBeInTheDocument();
    await userEvent.clear(rows);
    await userEvent.type(rows, '5000');
    await userEvent.click(
      screen.getByRole('button', { name: 'Make a step plan' }),
    );
    expect(api.createStepPlan).toHaveBeenCalledWith('m1', {
      key: 'id',
      batchRows: 5000,
    });
    expect(
      await screen.findByRole('list', { name: 'Steps on the warehouse' }),
    ).toBeInTheDocument();
    expect(onChanged).toHaveBeenCalled();
  });

  it('sends nothing but the request when the defaults are kept, and shows the refusal', async () => {
    const api = mockRippleApi({
      getStepPlan: async () =>
        Promise.reject(responseError(404, 'no step plan')),
      createStepPlan: async () =>
        Promise.reject(
          responseError(400, 'key: "idx" is not a column of shop.orders'),
        ),
    });
    await renderWithRipple(
      <StepsPanel migration={aMigration()} onChanged={jest.fn()} />,
      { api },
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Make a step plan' }),
    );
    expect(api.createStepPlan).toHaveBeenCalledWith('m1', {});
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The step plan could not be made');
    expect(alert).toHaveTextContent(
      'key: "idx" is not a column of shop.orders',
    );
  });

  it('tells those not allowed that they cannot make one', async () => {
    const api = mockRippleApi({
      getStepPlan: async () =>
        Promise.reject(responseError(404, 'no step plan')),
    });
    await renderWithRipple(
      <StepsPanel migration={aMigration()} onChanged={jest.fn()} />,
      {
        api,
        authorize: () => AuthorizeResult.DENY,
      },
    );
    expect(
      await screen.findByText(
        "Only those allowed to run the dataset's steps can make its step plan.",
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Make a step plan' }),
    ).not.toBeInTheDocument();
  });

  it('shows an error other than a missing plan as an error', async () => {
    const api = mockRippleApi({
      getStepPlan: async () =>
        Promise.reject(responseError(500, 'database is locked')),
    });
    await renderWithRipple(
      <StepsPanel migration={aMigration()} onChanged={jest.fn()} />,
      { api },
    );
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the step plan');
    expect(alert).toHaveTextContent('database is locked');
  });
});
