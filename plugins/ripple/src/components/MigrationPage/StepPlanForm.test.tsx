import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  aMigration,
  aStepPlan,
  mockRippleApi,
  renderWithRipple,
  responseError,
} from '../../__testUtils__/rippleTestApp';
import { StepsPanel } from './StepsPanel';

// The Steps tab of a migration without a step plan: the form, and no
// request for a plan there is not.
describe('making a step plan', () => {
  it('offers the form for a migration without a plan, and sends its key and rows per batch', async () => {
    const api = mockRippleApi({ createStepPlan: async () => aStepPlan() });
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
    // The page reads the migration again, which now has its plan.
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(api.getStepPlan).not.toHaveBeenCalled();
  });

  it('sends nothing but the request when the defaults are kept, and shows the refusal', async () => {
    const api = mockRippleApi({
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
    const api = mockRippleApi();
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

  it('shows a plan that cannot be read as an error', async () => {
    const api = mockRippleApi({
      getStepPlan: async () =>
        Promise.reject(responseError(500, 'database is locked')),
    });
    await renderWithRipple(
      <StepsPanel
        migration={aMigration({ hasStepPlan: true })}
        onChanged={jest.fn()}
      />,
      { api },
    );
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load the step plan');
    expect(alert).toHaveTextContent('database is locked');
  });
});
