/**
 * The dataset's steps on its warehouse (expand, backfill, verify, switch,
 * contract): the migration page's Steps tab and the dataset tab's summary.
 */
export const stepsMessages = {
  steps: {
    tab: 'Steps',
    loading: 'Loading the step plan',
    loadError: 'Could not load the step plan',
    timelineLabel: 'Steps on the warehouse',
    name: {
      expand: 'Expand',
      backfill: 'Backfill',
      verify: 'Verify the copy',
      switch: 'Switch',
      contract: 'Contract',
    },
    purpose: {
      expand: 'Creates the new table in its new shape.',
      backfill:
        "Copies the data through the change's mapping, in batches of {{batchRows}} rows by {{key}}; resumes from its last batch.",
      verify:
        'Compares the row counts and a checksum per column between the old table and the new one; a difference stops the plan.',
      switch:
        'Moves the old table aside and puts a view under its name, so that readers not yet migrated keep working.',
      contract:
        "Once every consumer is merged and healthy: removes the view. Deleting the old data waits for a person's approval.",
    },
    state: {
      pending: 'Pending',
      running: 'Running',
      done: 'Done',
      failed: 'Failed',
      'rolled-back': 'Rolled back',
    },
    mode: {
      run: 'Ripple runs each step on the warehouse {{warehouse}} ({{dialect}}).',
      'hand-over':
        'Handed over: Ripple does not run anything on the warehouse {{warehouse}} ({{dialect}}). A person runs each step and marks it done here.',
    },
    layout: {
      move: 'The data moves from {{dataset}} to {{newTable}}; {{dataset}} becomes a view over it until the contract.',
      versioned:
        '{{dataset}} keeps its name: the data moves to {{newTable}}, and a view under {{dataset}} gives old and new readers their columns until the contract makes it the table.',
    },
    tables:
      'Old table kept as {{oldTable}} until approved · batches of {{batchRows}} rows by {{key}}',
    createdBy: 'Made by {{who}} {{age}}',
    dryRun:
      'Nothing has run yet: every statement below is what the plan will run (the dry run).',
    downloadScript: 'Download SQL script',
    statements_one: '{{count}} statement',
    statements_other: '{{count}} statements',
    statementsLabel: 'Statements of {{step}}',
    rollback_one: 'Rollback: {{count}} statement',
    rollback_other: 'Rollback: {{count}} statements',
    rollbackLabel: 'Rollback of {{step}}',
    noRollback: 'No rollback: it changes nothing.',
    approval_one: 'Approval: {{count}} statement that deletes data for good',
    approval_other: 'Approval: {{count}} statements that delete data for good',
    approvalLabel: 'Approval statements',
    started: 'Started {{age}}',
    finished: 'finished {{age}}',
    attempt: 'attempt {{attempt}}',
    doneBy: 'Marked done by {{who}}',
    approvedBy: 'Deletion approved by {{who}} {{age}}',
    waitingFor: 'Not yet: {{reason}}',
    failed: 'The step failed on the warehouse',
    progressLabel: 'Backfill',
    progress: '{{percent}}% · {{done}} of {{total}} rows',
    rate: '{{rate}} rows/s',
    verification: {
      passed: 'The copy matches: every check passed',
      failed: 'The copy differs: the plan stopped',
      checksLabel: 'Checks of the copy',
      passedCheck: 'Passed',
      failedCheck: 'Failed',
      value: 'returned {{value}}',
      differencesLabel: 'Rows that differ',
      side: 'Table',
      old: 'old',
      new: 'new',
      duration: 'in {{seconds}} s',
    },
    actions: {
      run: 'Run {{step}}',
      retry: 'Retry {{step}}',
      rollback: 'Roll back {{step}}',
      markDone: 'Mark {{step}} done',
      approve: 'Approve the deletion',
    },
    actionError: 'The step did not change',
    rollbackConfirm:
      "Runs {{step}}'s rollback on the warehouse, restoring it as it was before the step.",
    rollbackConfirmHandOver:
      "Records that you ran {{step}}'s rollback (its statements above) on the warehouse.",
    rollbackSwitch:
      "Rolling back the switch moves the old table back under the dataset's name and drops the view. Consumers already delivered are rolled back too, as the rollout's rollback does.",
    rollbackNote: 'Why (recorded on the timeline and in the audit log)',
    rollbackCancel: 'Keep it',
    approveTitle: 'Delete the old data for good?',
    approveBody:
      'These statements delete data for good. There is no rollback: the old data cannot be restored by Ripple afterwards.',
    approveConfirm: 'Delete for good',
    approveBodyHandOver:
      'Run these statements on the warehouse, then confirm here. They delete data for good: there is no rollback, the old data cannot be restored afterwards.',
    approveConfirmHandOver: 'I ran them: deleted for good',
    approveCancel: 'Keep the old data',
    approveNote: 'Note (recorded on the timeline and in the audit log)',
    create: {
      title: 'No step plan yet',
      body: "A step plan creates the new table, copies the data, checks the copy, switches readers and cleans up, on the dataset's warehouse. Making it runs nothing: every statement is shown first.",
      noPermission:
        "Only those allowed to run the dataset's steps can make its step plan.",
      key: 'Batch key',
      keyDescription:
        "The column the backfill copies by, in ranges (default: the table's first column)",
      batchRows: 'Rows per batch',
      batchRowsDescription: 'Default 100000',
      batchRowsInvalid: 'A whole number of rows, at least 1',
      submit: 'Make a step plan',
      error: 'The step plan could not be made',
    },
  },
  stepSummary: {
    label: "Where its migrations' steps stand",
    ready: 'Step plan ready: nothing run yet',
    running: '{{step}} running',
    backfill: 'Backfill {{percent}}%',
    rate: '{{rate}} rows/s',
    failed: '{{step}} failed',
    rolledBack: '{{step}} rolled back',
    expand: 'Expanded: backfill next',
    backfillDone: 'Backfilled: verification next',
    verify: 'Verified: switch next',
    switch: 'Switched: consumers migrating',
    contract: 'Contracted: the old table awaits approval',
    contractApproved: 'Contracted',
  },
} as const;
