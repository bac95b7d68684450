import {
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { loadEngine, type RippleEngine } from '@ripple/engine';

/**
 * The engine Ripple's backend runs: `@ripple/engine`'s by default. A
 * service, so that a backend (the canary's tests, a portal trying a build of
 * its own) can install another build in its place; every patch records the
 * version of the one that made it.
 *
 * @internal
 */
export const rippleEngineServiceRef = createServiceRef<RippleEngine>({
  id: 'ripple.engine',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {},
      factory: () => loadEngine(),
    }),
});
