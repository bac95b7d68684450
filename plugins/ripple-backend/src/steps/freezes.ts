import type { Config } from '@backstage/config';
import { readTimingConfig } from '../rollout/timing/RolloutTiming';
import {
  earliestAllowed,
  freezesConstraint,
  waitingFor,
} from '../rollout/timing/windows';

/**
 * Why no step runs now: a freeze of `ripple.rollout.freezes` (docs/rollout.md,
 * "Freezes"), which holds every automatic change, the warehouse's steps
 * too. Undefined when steps may run. A person's rollback or approval is not
 * held: those are the person's decision.
 */
export function stepFreeze(
  config: Config,
  now: () => Date,
): () => string | undefined {
  const frozen = freezesConstraint(readTimingConfig(config).freezes);
  return () => {
    const at = now();
    return waitingFor(earliestAllowed([frozen], at), at);
  };
}
