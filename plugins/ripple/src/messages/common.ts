/** The words every page shares: statuses, ages, changes, the engine's verdicts and reasons, diffs. */
export const commonMessages = {
  status: {
    migration: {
      draft: 'Draft',
      analyzing: 'Analyzing',
      proposed: 'Proposed',
      rolling_out: 'Rolling out',
      paused: 'Paused',
      completed: 'Completed',
      rolled_back: 'Rolled back',
      cancelled: 'Cancelled',
    },
    // A consumer list's filter choices and counts, by tone.
    tone: {
      done: 'Done',
      active: 'In progress',
      blocked: 'Blocked',
      idle: 'Not started',
    },
    consumer: {
      unhealthy: 'Unhealthy',
      deliveryFailed: 'Delivery failed',
      blocked: 'Blocked',
      noCode: 'No code to patch: the entity names no code location',
      unreadable: 'The engine could not read its code',
      rejected: 'Rejected',
      merged: 'Merged',
      mergedHealthy: 'Merged, healthy',
      unaffected: 'Unaffected',
      nothingToChange: 'Nothing to change',
      reverted: 'Reverted',
      delivered: 'Delivered',
      waitingForMerge: 'Waiting for the merge',
      // Delivered, not merged yet: its wave soaks only once it runs the patch.
      notMerged: 'Not merged · waited {{waited}}',
      mergeOverdue:
        'Not merged within the plan’s time: it holds its wave until it is merged',
      stale: 'Stale',
      staleDetail: 'The code changed; a new patch is coming',
      approved: 'Approved',
      waitingForWave: 'Waiting for its wave',
      // The engine's verdict: a person must edit the code by hand.
      needsEdit: 'Needs an edit',
      // No owner's review yet.
      awaitingDecision: 'Awaiting review',
    },
    // What the live preview expects of a consumer, before any patch exists.
    proposal: {
      rewritten: 'Will be rewritten',
      error: 'Cannot be read',
    },
  },
  age: {
    justNow: 'just now',
    minutes: '{{n}} min ago',
    hours: '{{n}} h ago',
    days: '{{n}} d ago',
  },
  // How long something has lasted ("waited 3 d").
  duration: {
    justNow: 'under a minute',
    minutes: '{{n}} min',
    hours: '{{n}} h',
    days: '{{n}} d',
  },
  progressBar: {
    text: '{{label}}: {{done}} of {{total}} done',
    textBlocked: '{{label}}: {{done}} of {{total}} done, {{blocked}} blocked',
  },
  change: {
    summary: '{{dataset}}: {{changes}}',
    rename_column: 'rename {{column}} → {{to}}',
    drop_column: 'drop {{column}}',
    change_type: 'retype {{column}} to {{to}}',
    rename_table: 'move to {{to}}',
    replace_table: 'replace with {{to}}',
  },
  verdict: {
    breaking: 'Breaking',
    partially_breaking: 'Partially breaking',
    unaffected: 'Unaffected',
  },
  // A patch's reasons: what each is about (the engine's finding kinds and
  // the backend's own), how much it weighs, and where.
  reason: {
    kind: {
      dropped_column_used: 'Dropped column still used',
      retyped_column_used: 'Retyped column used',
      ambiguous_name: 'Name of several tables',
      unresolved_name: 'Name of no known table',
      unparsed_statement: 'Statement Ripple could not parse',
      using_join: 'Join by name (USING)',
      natural_join: 'NATURAL JOIN',
      template_branch: 'Template branch not rendered',
      placeholder_table: 'Table computed at run time',
      dbt_source_move: 'dbt source moved to another schema',
      positional_column: 'Column read by its position',
      unnamed_table: 'Table name not found',
      uneditable_name: 'Name Ripple cannot edit',
      field_path: 'Field path to write by hand',
      mapped_column_use: 'Expression where none can go',
      unaliased_output: 'Output named after its text',
      unreadable_mapping: 'Mapping that does not read as SQL',
      star_without_schema: '* without a schema',
      star_with_modifiers: '* with modifiers',
      star_over_tables: '* over several tables',
      star_through_pivot: '* through a PIVOT or UNPIVOT',
      output_names_kept: 'Output names kept',
      verification_failed: 'Rewrite not verified',
      overlapping_edits: 'Overlapping edits (a defect of Ripple)',
      invalid_change: 'Change not valid in this dialect',
      file_too_large: 'File too large',
      producer_entry: "The producer's own entry",
      invalid_yaml: 'Invalid YAML',
      engine_failed: 'Engine failed',
      unusable_annotation: 'Unusable annotation',
      unclassified: 'Other (recorded before reasons had kinds)',
    },
    severity: {
      needs_edit: 'Needs an edit',
      note: 'Note',
      error: 'Error',
    },
    at: 'line {{line}}, column {{column}}',
    // A reason's kind and place, then the engine's message.
    summary: '{{severity}} · {{kind}} · {{at}}',
    summaryWholeFile: '{{severity}} · {{kind}}',
  },
  patchDiff: {
    fileLabel: 'Diff of {{path}}',
    elsewhere: 'Reasons outside the diff',
  },
} as const;
