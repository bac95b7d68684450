/** The rollout tab: waves, gates, actions, and the compatibility view. */
export const rolloutMessages = {
  rollout: {
    loading: 'Loading the rollout',
    loadError: 'Could not load the rollout',
    summary:
      'Rollout {{state}} · {{waves}} waves ({{plan}}) · {{soak}} min soak · {{advance}}',
    planWave_one: '{{name}}: {{count}} consumer',
    planWave_other: '{{name}}: {{count}} consumers',
    planWavePercent: '{{name}}: {{percent}}%',
    autoAdvance: 'advances by itself when healthy',
    manualAdvance: 'advanced by hand',
    critical: ' · critical dataset: every patch needs an approval',
    requiresValidation:
      ' · every patch needs a passed validation (or one skipped with its reason)',
    requireValidation: 'Require validation',
    requireValidationDescription:
      'Approve, auto-approve, deliver and advance only patches whose validation passed (or was skipped with its reason); a failed validation in a wave pauses the rollout.',
    // Why the active wave does not advance yet (the backend's gateReason).
    waveHeld: 'Held: {{reason}}',
    applyViewFirstTitle: 'Apply the compatibility view first',
    applyViewFirstDescription:
      "The change moves the table: run the compatibility view's DDL and mark it applied, so that consumers not patched yet keep reading the dataset by its old name. Then the rollout can start.",
    showDdl: 'Show the DDL',
    viewBlockedTitle: 'The compatibility view cannot be built',
    viewBlockedDescription:
      '{{reason}}. The change moves the table, so consumers not patched yet break when it moves. To start anyway, say why: the reason is recorded on the timeline and in the audit log.',
    paused: 'Paused',
    soaking: 'The active wave soaks until {{time}}.',
    noWaves:
      'The waves are drawn when the rollout starts: least critical consumers first.',
    wavesLabel: 'Waves',
    waveState: {
      completed: 'Completed',
      active: 'Active',
      pending: 'Pending',
    },
    waveTitle: '{{number}}. {{name}}',
    waveConsumers_one: '{{count}} consumer',
    waveConsumers_other: '{{count}} consumers',
    waveHealth:
      'Health: {{healthy}} healthy, {{unhealthy}} unhealthy, {{unknown}} no signal',
    waveStarted: 'Started {{age}}',
    waveCompleted: ', completed {{age}}',
    controlsLabel: 'Rollout controls',
    overrideReason: 'Why start without the compatibility view',
    start: 'Start the rollout',
    startWithoutView: 'Start without the view',
    complete: 'Complete the rollout',
    advance: 'Advance to the next wave',
    pause: 'Pause',
    resume: 'Resume',
    rollback: 'Roll back',
    confirmRollback: 'Revert every delivered patch',
    cancelRollback: 'Keep them',
    watchOnly:
      'You can watch this rollout; running it needs the ripple.rollout.manage permission.',
    actionError: 'The rollout did not move',
    // Recorded on the migration's timeline as the reason of the move.
    pauseReason: 'Paused from the migration page',
    rollbackReason: 'Rolled back from the migration page',
  },
  compatView: {
    loading: 'Loading the compatibility view',
    loadError: 'Could not load the compatibility view',
    overridden:
      'The rollout was started without the view{{by}}{{at}}: {{reason}}',
    by: ' by {{who}}',
    at: ' {{age}}',
    requiredUnavailable:
      'The change moves the table, but its compatibility view cannot be built.',
    requiredUnavailableBecause:
      'The change moves the table, but its compatibility view cannot be built: {{reason}}',
    unavailable: 'No compatibility view for this change.',
    unavailableBecause: 'No compatibility view for this change: {{reason}}',
    intro:
      'Run this DDL before the rollout so that consumers not migrated yet keep reading the dataset under its old name.',
    ddlLabel: 'Compatibility view DDL',
    applied: '✓ Applied{{by}}{{at}}.',
    markApplied: 'I ran it: mark the view applied',
    cleanupTitle: 'Cleanup',
    cleanupReady: 'Every consumer is merged and healthy: the view can go.',
    cleanupLabel: 'Cleanup DDL',
    cleanupLater:
      'The cleanup is offered once every consumer is merged and healthy.',
    cleanupLaterBecause:
      'The cleanup is offered once every consumer is merged and healthy ({{reason}}).',
    markError: 'Not recorded',
  },
} as const;
