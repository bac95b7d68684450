import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Patch } from '@ripple/backstage-plugin-ripple-common';
import {
  aConsumer,
  migrationPageApi,
  renderWithRipple,
} from '../../__testUtils__/rippleTestApp';
import { MigrationView } from './MigrationPage';

// Every patch records the engine version that made it; the consumer's
// detail names it in the patch's title.

const patch: Patch = {
  id: 1,
  migrationId: 'm1',
  consumerRef: 'component:default/orders-export',
  version: 2,
  diff: '',
  baseHash: 'sha256:x',
  status: 'unaffected',
  reasons: [],
  stale: false,
  createdAt: '2026-11-21T10:00:00.000Z',
};

async function patchTitle(engineVersion?: string) {
  const api = migrationPageApi([aConsumer('component:default/orders-export')]);
  api.getConsumerPatch.mockResolvedValue({
    patch: { ...patch, ...(engineVersion ? { engineVersion } : {}) },
    reviews: [],
  });
  await renderWithRipple(<MigrationView id="m1" />, { api });
  await userEvent.click(
    await screen.findByRole('rowheader', { name: /orders-export/ }),
  );
  const detail = await screen.findByRole('region', {
    name: 'Consumer component:default/orders-export',
  });
  return within(detail).findByRole('heading', { name: /^Patch v2/ });
}

describe("a patch's engine version", () => {
  it('is shown in the title of the patch', async () => {
    expect(await patchTitle('0.2.0+canary')).toHaveTextContent(
      'Patch v2 · unaffected · engine 0.2.0+canary',
    );
  });

  it('is left out for a patch made before versions were recorded', async () => {
    const title = await patchTitle();
    expect(title).toHaveTextContent('Patch v2 · unaffected');
    expect(title).not.toHaveTextContent('engine');
  });
});
