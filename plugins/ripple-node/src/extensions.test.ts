import {
  coreServices,
  createBackendModule,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { startTestBackend } from '@backstage/backend-test-utils';
import type { RippleDeliveryMethod } from './delivery';
import {
  rippleDeliveryExtensionPoint,
  rippleHealthExtensionPoint,
} from './extensions';
import type { RippleHealthProvider } from './health';

describe('extension points', () => {
  it('carry delivery methods and health providers from a module to the ripple plugin', async () => {
    const methods: RippleDeliveryMethod[] = [];
    const providers: RippleHealthProvider[] = [];
    let seenAtInit: string[] = [];

    // Stands in for the ripple backend: it owns the extension points.
    const plugin = createBackendPlugin({
      pluginId: 'ripple',
      register(env) {
        env.registerExtensionPoint(rippleDeliveryExtensionPoint, {
          addDeliveryMethod: method => methods.push(method),
        });
        env.registerExtensionPoint(rippleHealthExtensionPoint, {
          addHealthProvider: provider => providers.push(provider),
        });
        env.registerInit({
          deps: { logger: coreServices.logger },
          async init() {
            seenAtInit = [...methods, ...providers].map(x => x.id);
          },
        });
      },
    });

    const method: RippleDeliveryMethod = {
      id: 'jira-ticket',
      supports: () => true,
      deliver: async () => ({ method: 'jira-ticket', status: 'delivered' }),
      sync: async (_request, delivery) => delivery,
      revert: async (_request, delivery) => ({
        ...delivery,
        status: 'reverted',
      }),
      checkReady: async () => ({ ready: true }),
    };
    const provider: RippleHealthProvider = {
      id: 'airflow',
      read: async (refs, since) =>
        refs.map(consumerRef => ({
          consumerRef,
          failedRuns: 0,
          observedAt: since.toISOString(),
        })),
    };
    const module = createBackendModule({
      pluginId: 'ripple',
      moduleId: 'acme-delivery',
      register(env) {
        env.registerInit({
          deps: {
            delivery: rippleDeliveryExtensionPoint,
            health: rippleHealthExtensionPoint,
          },
          async init({ delivery, health }) {
            delivery.addDeliveryMethod(method);
            health.addHealthProvider(provider);
          },
        });
      },
    });

    const backend = await startTestBackend({ features: [plugin, module] });
    try {
      expect(seenAtInit).toEqual(['jira-ticket', 'airflow']);
      expect(rippleDeliveryExtensionPoint.id).toBe('ripple.delivery');
      expect(rippleHealthExtensionPoint.id).toBe('ripple.health');
    } finally {
      await backend.stop();
    }
  });
});
