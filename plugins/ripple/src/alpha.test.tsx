import { screen } from '@testing-library/react';
import {
  createFrontendModule,
  createTranslationMessages,
} from '@backstage/frontend-plugin-api';
import { TranslationBlueprint } from '@backstage/plugin-app-react';
import {
  createExtensionTester,
  mockApis,
  renderInTestApp,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import plugin from './alpha';
import { rippleApiRef } from './api';
import { rippleTranslationRef } from './translation';
import { convertLegacyRouteRef } from '@backstage/core-compat-api';
import { rootRouteRef } from './routes';
import {
  aConsumerDetail,
  aMigration,
  mockRippleApi,
} from './__testUtils__/rippleTestApp';

describe('the plugin in the new frontend system', () => {
  it('serves the fleet dashboard at /ripple, with the API it declares replaced by a mock', async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [aMigration()], totalCount: 1 }),
    });
    renderTestApp({
      features: [plugin],
      apis: [
        [rippleApiRef, api],
        [permissionApiRef, mockApis.permission()],
      ],
      initialRouteEntries: ['/ripple'],
    });
    expect(
      await screen.findByRole('heading', { name: 'Migrations' }),
    ).toBeInTheDocument();
    expect(
      await screen.findByText('Rename amount to amount_usd'),
    ).toBeInTheDocument();
  });

  it("speaks the portal's words where the portal overrides Ripple's", async () => {
    const api = mockRippleApi({
      listMigrations: async () => ({ items: [], totalCount: 0 }),
    });
    const words = createFrontendModule({
      pluginId: 'app',
      extensions: [
        TranslationBlueprint.make({
          name: 'ripple',
          params: {
            resource: createTranslationMessages({
              ref: rippleTranslationRef,
              messages: {
                'fleet.title': 'Schema changes',
                'fleet.emptyTitle': 'Nothing under way',
              },
            }),
          },
        }),
      ],
    });
    renderTestApp({
      features: [plugin, words],
      apis: [
        [rippleApiRef, api],
        [permissionApiRef, mockApis.permission()],
      ],
      initialRouteEntries: ['/ripple'],
    });
    expect(
      await screen.findByRole('heading', { name: 'Schema changes' }),
    ).toBeInTheDocument();
    expect(await screen.findByText('Nothing under way')).toBeInTheDocument();
    // The words not overridden stay Ripple's.
    expect(
      screen.getByText(/Every schema change Ripple carries/),
    ).toBeInTheDocument();
  });

  it('adds a Migrations tab to datasets and their consumers', async () => {
    const content = plugin.getExtension('entity-content:ripple/migrations');
    const tester = createExtensionTester(content);
    const api = mockRippleApi({
      listEntityMigrations: async () => ({
        items: [{ migration: aMigration(), roles: ['consumer'] }],
        totalCount: 1,
      }),
      getConsumer: async () =>
        aConsumerDetail('component:default/orders-export', {
          patch: undefined,
        }),
    });
    renderInTestApp(
      <EntityProvider
        entity={{
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: 'orders-export', namespace: 'default' },
          spec: { owner: 'data-platform' },
        }}
      >
        {tester.reactElement()}
      </EntityProvider>,
      {
        apis: [
          [rippleApiRef, api],
          [permissionApiRef, mockApis.permission()],
        ],
        mountedRoutes: {
          '/ripple': convertLegacyRouteRef(rootRouteRef),
          '/catalog/:namespace/:kind/:name':
            convertLegacyRouteRef(entityRouteRef),
        },
      },
    );
    expect(
      await screen.findByRole('link', { name: 'Rename amount to amount_usd' }),
    ).toHaveAttribute(
      'href',
      '/ripple/migrations/m1?consumer=component%3Adefault%2Forders-export',
    );
    expect(await screen.findByText('No patch')).toBeInTheDocument();
    expect(api.listEntityMigrations).toHaveBeenCalledWith(
      'component:default/orders-export',
      { limit: 500 },
    );
  });
});
