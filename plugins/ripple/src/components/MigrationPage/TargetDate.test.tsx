import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  aMigration,
  mockRippleApi,
  renderWithRipple,
  responseError,
} from '../../__testUtils__/rippleTestApp';
import { TargetDate, isTargetDate } from './TargetDate';

describe('TargetDate', () => {
  it('lets the migration owners set the target date, checking it is a day', async () => {
    const onChanged = jest.fn();
    const api = mockRippleApi({
      setTargetDate: async (_id, targetDate) =>
        aMigration({ targetDate: targetDate ?? undefined }),
    });
    await renderWithRipple(
      <TargetDate migration={aMigration()} canEdit onChanged={onChanged} />,
      { api },
    );
    expect(screen.getByTestId('target-date')).toHaveTextContent(
      'No target date',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Set the target date' }),
    );
    const field = screen.getByRole('textbox', { name: 'Target date' });
    await userEvent.type(field, '2027-02-30');
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
    await userEvent.clear(field);
    await userEvent.type(field, '2027-03-31');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(api.setTargetDate).toHaveBeenCalledWith('m1', '2027-03-31');
  });

  it("removes it, and shows the backend's refusal", async () => {
    const api = mockRippleApi({
      setTargetDate: async () =>
        Promise.reject(responseError(403, 'You may not set the target date')),
    });
    await renderWithRipple(
      <TargetDate
        migration={aMigration({ targetDate: '2027-03-31' })}
        canEdit
        onChanged={() => {}}
      />,
      { api },
    );
    expect(screen.getByTestId('target-date')).toHaveTextContent(
      'Due 2027-03-31',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Change' }));
    await userEvent.click(screen.getByRole('button', { name: 'Remove' }));
    expect(api.setTargetDate).toHaveBeenCalledWith('m1', null);
    expect(
      await screen.findByText('Could not change the target date'),
    ).toBeInTheDocument();
  });

  it('shows an overdue open migration in red, and offers no change to others', async () => {
    await renderWithRipple(
      <TargetDate
        migration={aMigration({
          targetDate: '2026-11-30',
          state: 'rolling_out',
        })}
        canEdit={false}
        onChanged={() => {}}
      />,
      { api: mockRippleApi(), authorize: () => AuthorizeResult.DENY },
    );
    const text = screen.getByTestId('target-date');
    expect(text).toHaveTextContent('Overdue since 2026-11-30');
    expect(text).toHaveAttribute('data-color', 'danger');
    expect(
      screen.queryByRole('button', { name: 'Change' }),
    ).not.toBeInTheDocument();
  });

  it('accepts only days of the calendar', () => {
    expect(isTargetDate('2027-03-31')).toBe(true);
    expect(isTargetDate('2028-02-29')).toBe(true);
    expect(isTargetDate('2027-02-29')).toBe(false);
    expect(isTargetDate('31/03/2027')).toBe(false);
  });
});
