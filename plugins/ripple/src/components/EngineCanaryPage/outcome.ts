import type {
  EngineCanaryOutcome,
  EngineCanaryState,
} from '@ripple/backstage-plugin-ripple-common';
import type { Status } from '../common/status';
import type { RippleT } from '../../translation';

// What a person should look at first: a consumer moving to a person, then
// any other difference; an unchanged one needs no look.
const OUTCOME_TONES: Record<EngineCanaryOutcome, Status['tone']> = {
  newly_for_a_person: 'blocked',
  changed: 'active',
  newly_rewritten: 'done',
  unchanged: 'idle',
};

const STATE_TONES: Record<EngineCanaryState, Status['tone']> = {
  sampling: 'active',
  awaiting_decision: 'active',
  accepted: 'done',
  refused: 'blocked',
};

export function outcomeStatus(
  outcome: EngineCanaryOutcome,
  t: RippleT,
): Status {
  return {
    tone: OUTCOME_TONES[outcome],
    label: t(`engineCanary.outcome.${outcome}`),
  };
}

export function canaryStateStatus(
  state: EngineCanaryState,
  t: RippleT,
): Status {
  return { tone: STATE_TONES[state], label: t(`engineCanary.state.${state}`) };
}
