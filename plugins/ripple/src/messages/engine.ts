/** The engine canary's page (docs/frontend.md, "The engine canary"). */
export const engineMessages = {
  engineCanary: {
    title: 'Engine {{version}}',
    subtitle:
      'A new engine version is tried on a sample of the open migrations before it re-proposes their patches.',
    loading: 'Loading the engine canary',
    loadError: 'Could not load the engine canary',
    current: 'Every open patch was made by this version.',
    pending:
      '{{n}} open patches were made by another version: the agent samples this one at its next refresh.',
    comparedWith: 'Compared with the patches of engine {{versions}}',
    outdated: '{{n}} open patches made by another version',
    state: {
      sampling: 'Sampling',
      awaiting_decision: 'Awaiting a decision',
      accepted: 'Accepted',
      refused: 'Refused',
    },
    decided: {
      accepted: 'Accepted by {{who}}, {{when}}',
      refused: 'Refused by {{who}}, {{when}}',
    },
    acceptedBody:
      'This version re-proposes the other consumers: an unchanged patch keeps its approval, a changed one is marked stale and replaced.',
    refusedBody:
      'The old proposals stay. Patches of consumers whose code changes are still made by this version.',
    counts: {
      label: 'The sample',
      unchanged: 'Unchanged',
      changed: 'Changed',
      newly_rewritten: 'Newly rewritten',
      newly_for_a_person: 'Newly for a person',
    },
    outcome: {
      unchanged: 'Unchanged',
      changed: 'Changed',
      newly_rewritten: 'Newly rewritten',
      newly_for_a_person: 'Newly for a person',
    },
    emptySample: 'No consumer of the sample could be read yet.',
    consumerLabel: '{{consumer}} in {{migration}}',
    currentPatch: 'Current patch v{{version}} · {{status}} · engine {{engine}}',
    proposedPatch: 'Proposed by engine {{engine}} · {{status}}',
    unknownEngine: 'unknown',
    sameAsCurrent: 'The same patch as the current one.',
    reasons: 'Reasons',
    decision: {
      label: 'Decision',
      comment: 'Comment',
      commentDescription: 'Why, for the audit log and the page.',
      accept: 'Accept engine {{version}}',
      refuse: 'Refuse',
      notAllowed:
        'Only an administrator (ripple.engine.accept) accepts or refuses an engine version.',
      failed: 'The decision was not recorded',
    },
    notice: {
      sampling:
        'Engine {{version}} is being tried on a sample of the open migrations.',
      awaiting_decision:
        'Engine {{version}} was tried on a sample of the open migrations and awaits a decision.',
      link: 'See the differences',
    },
  },
} as const;
