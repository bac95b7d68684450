import { renderInTestApp } from '@backstage/frontend-test-utils';
import { act, fireEvent, screen } from '@testing-library/react';
import type { RippleApi } from '@ripple/backstage-plugin-ripple-common';
import { loadEngine } from '@ripple/engine';
import { rippleApiRef } from '../../api';
import { EnginePlayground } from './EnginePlayground';

// The real WebAssembly engine runs here (its Node build), only the backend is mocked.
const rippleApi: RippleApi = {
  getEngine: async () => ({ version: '9.9.9' }),
  tables: jest.fn(),
};

async function renderPlayground() {
  await act(async () => {
    await renderInTestApp(<EnginePlayground />, { apis: [[rippleApiRef, rippleApi]] });
  });
  // Wait for both the engine and the backend's answer, so nothing updates after the test.
  await screen.findByText(/backend engine 9\.9\.9/);
  return screen.findByRole('region', { name: 'Tables' });
}

describe('EnginePlayground', () => {
  beforeAll(() => loadEngine());

  it('analyses the sample SQL in the browser and shows what it reads and writes', async () => {
    const tables = await renderPlayground();
    expect(tables).toHaveTextContent('proj.ds.orders, proj.ds.customers');
    expect(tables).toHaveTextContent('proj.reporting.daily_revenue');
    expect(rippleApi.tables).not.toHaveBeenCalled();
  });

  it('recomputes the tables as the SQL is edited', async () => {
    await renderPlayground();
    fireEvent.change(screen.getByLabelText('SQL'), {
      target: { value: 'SELECT * FROM warehouse.events; DELETE FROM warehouse.tmp' },
    });
    const tables = screen.getByRole('region', { name: 'Tables' });
    expect(tables).toHaveTextContent('2 statements');
    expect(tables).toHaveTextContent('warehouse.events');
    expect(tables).toHaveTextContent('warehouse.tmp');
  });

  it('shows the syntax error with its line and column', async () => {
    await renderPlayground();
    fireEvent.change(screen.getByLabelText('SQL'), {
      target: { value: 'SELECT a\nFROM t WHERE' },
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Expected: an expression, found: EOF at line 2, column 13',
    );
  });
});
