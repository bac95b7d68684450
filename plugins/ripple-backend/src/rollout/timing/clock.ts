import {
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import type { RolloutClock } from '../RolloutContext';

/**
 * The clock the rollout judges windows, freezes and schedules by: the
 * system's by default. A test backend replaces it with one it moves
 * (`createServiceFactory({ service: rolloutClockServiceRef, ... })`), so
 * that "nothing happens outside a window" is tested at 04:00 of any day.
 */
export const rolloutClockServiceRef = createServiceRef<RolloutClock>({
  id: 'ripple.rollout.clock',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: {},
      factory: () => ({ now: () => new Date() }),
    }),
});
