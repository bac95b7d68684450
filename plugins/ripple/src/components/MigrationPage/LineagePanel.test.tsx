import { screen, within } from '@testing-library/react';
import {
  aConsumer,
  aMigration,
  mockRippleApi,
  renderWithRipple,
} from '../../__testUtils__/rippleTestApp';
import { MigrationView } from './MigrationPage';

const progress = aMigration().progress!;

function api(unowned: number | undefined) {
  return mockRippleApi({
    getMigration: async () =>
      aMigration({ progress: { ...progress, unowned } }),
    listConsumers: async () => ({
      items: [aConsumer('component:default/jaffle-dbt')],
      totalCount: 1,
    }),
    listMigrationEvents: async () => ({ items: [] }),
    getRollout: async () => ({
      state: 'not_started',
      plan: {
        waves: [{ name: 'all', percent: 100 }],
        soakMinutes: 60,
        autoAdvance: false,
        autoApprove: false,
        requireValidation: false,
        health: {},
      },
      waves: [],
    }),
    getCompatView: async () => ({
      state: 'unavailable',
      cleanupOffered: false,
    }),
    listLineageJobs: async () => [
      {
        namespace: 'spark',
        name: 'mystery_etl',
        lastSeenAt: new Date(Date.now() - 3 * 3600_000).toISOString(),
      },
      {
        namespace: 'dbt',
        name: 'warehouse.main.jaffle.revenue',
        consumerRef: 'component:default/jaffle-dbt',
        lastSeenAt: new Date().toISOString(),
      },
    ],
  });
}

describe('consumers found in lineage', () => {
  it('lists the OpenLineage jobs no entity maps to, and counts them as unowned consumers', async () => {
    const ripple = api(1);
    await renderWithRipple(<MigrationView id="m1" />, { api: ripple });
    const region = await screen.findByRole('region', {
      name: 'Found in lineage',
    });
    expect(
      within(region).getByText(/This OpenLineage job reads the dataset/),
    ).toBeInTheDocument();
    const items = within(region).getAllByRole('listitem');
    // The job mapped to jaffle-dbt is a known consumer: not listed.
    expect(items.map(i => i.textContent)).toEqual([
      'spark/mystery_etl last seen 3 h ago',
    ]);
    expect(
      screen.getByText('1 unowned consumer found in lineage'),
    ).toBeInTheDocument();
    expect(ripple.listLineageJobs).toHaveBeenCalledWith('m1');
  });

  it('asks nothing where OpenLineage is not configured', async () => {
    const ripple = api(undefined);
    await renderWithRipple(<MigrationView id="m1" />, { api: ripple });
    await screen.findAllByRole('row');
    expect(
      screen.queryByRole('region', { name: 'Found in lineage' }),
    ).toBeNull();
    expect(screen.queryByText(/found in lineage/)).toBeNull();
    expect(ripple.listLineageJobs).not.toHaveBeenCalled();
  });
});
