import type {
  EngineCanaryOutcome,
  PatchStatus,
} from '@ripple/backstage-plugin-ripple-common';

type Proposed = { diff: string; status: PatchStatus };

// A patch a person must finish or fix.
const forAPerson = (status: PatchStatus) =>
  status === 'needs_edit' || status === 'error';

/**
 * How a new engine version's proposal compares with the current patch: the
 * same diff and status is `unchanged`; a move between what the engine does
 * alone and what needs a person is named as such, since it changes who
 * works on the consumer; any other difference is `changed`.
 */
export function classifyProposal(
  current: Proposed,
  proposed: Proposed,
): EngineCanaryOutcome {
  if (current.diff === proposed.diff && current.status === proposed.status) {
    return 'unchanged';
  }
  if (forAPerson(current.status) && !forAPerson(proposed.status)) {
    return 'newly_rewritten';
  }
  if (!forAPerson(current.status) && forAPerson(proposed.status)) {
    return 'newly_for_a_person';
  }
  return 'changed';
}
