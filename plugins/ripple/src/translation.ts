import {
  createTranslationRef,
  type TranslationFunction,
} from '@backstage/frontend-plugin-api';

/**
 * Every word of Ripple's pages and tabs. A portal overrides any of them, or
 * translates them all, with `createTranslationMessages` or
 * `createTranslationResource` of this ref (docs/frontend.md, "Words and
 * translations").
 *
 * Each status is one message, shown wherever that status appears (a
 * consumer's badge, the live preview, the counts): renaming it is one line.
 *
 * @public
 */
export const rippleTranslationRef = createTranslationRef({
  id: 'plugin.ripple',
  messages: {
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
    fleet: {
      title: 'Migrations',
      subtitle:
        'Every schema change Ripple carries to the consumers of a dataset, across the portal.',
      loading: 'Loading the migrations',
      loadError: 'Could not load the migrations',
      totals: {
        label: 'Totals',
        migrations: 'Migrations',
        active: 'Under way',
        consumers: 'Consumers',
        merged: 'Merged',
        awaitingDecision: 'To review',
        blocked: 'Blocked',
      },
      emptyTitle: 'No migrations yet',
      emptyBody:
        'Open a dataset in the catalog and start one from its Migrations tab.',
    },
    migrationsTable: {
      columns: {
        title: 'Migration',
        dataset: 'Dataset',
        owner: 'Owner',
        state: 'State',
        progress: 'Migrated',
        counts: 'Consumers',
        age: 'Age',
      },
      progressLabel: '{{title}}: consumers migrated',
      progress: '{{merged}} / {{total}}',
      counts: {
        awaitingDecision: '{{n}} to review',
        approved: '{{n}} approved',
        merged: '{{n}} merged',
        rejected: '{{n}} rejected',
        failed: '{{n}} failed',
        unhealthy: '{{n}} unhealthy',
        total: '{{n}} consumers',
      },
      searchLabel: 'Search migrations',
      searchPlaceholder: 'Title or dataset',
      ownerFilter: 'Owner',
      allOwners: 'All owners',
      datasetFilter: 'Dataset',
      allDatasets: 'All datasets',
      stateFilter: 'State',
      allStates: 'All states',
      noMatch: 'No migration matches the search and filters.',
    },
    migrationPage: {
      loading: 'Loading the migration',
      loadError: 'Could not load the migration',
      analysisFailed_one:
        'The analysis failed {{count}} time; the agent tries again at {{time}}',
      analysisFailed_other:
        'The analysis failed {{count}} times; the agent tries again at {{time}}',
      tabs: {
        label: 'Migration',
        consumers: 'Consumers',
        rollout: 'Rollout',
        burndown: 'Burndown',
        compatView: 'Compatibility view',
        events: 'Events',
      },
      consumersLoading: 'Loading the consumers',
      consumersError: 'Could not load the consumers',
      analyzing:
        "The agent is reading the consumers' code and proposing patches…",
      compatViewUnbuildable: 'the engine cannot build it',
      timelineLoading: 'Loading the timeline',
      timelineError: 'Could not load the timeline',
      eventsLoading: 'Loading the event log',
      eventsError: 'Could not load the event log',
      byline:
        'Dataset {{dataset}} · owner {{owner}} · created by {{createdBy}} {{age}}',
      analyze: 'Analyze',
      analyzeAgain: 'Analyze again',
      cancel: 'Cancel the migration',
      progressLabel: 'Consumers migrated',
      progress:
        '{{merged}} of {{total}} merged · {{approved}} approved · {{awaitingDecision}} awaiting review · {{rejected}} rejected · {{delivered}} delivered · {{failed}} failed · {{unhealthy}} unhealthy',
      unowned_one: '{{count}} unowned consumer found in lineage',
      unowned_other: '{{count}} unowned consumers found in lineage',
      actionError: 'That did not work',
    },
    // OpenLineage jobs that read the dataset and map to no catalog entity.
    lineage: {
      title: 'Found in lineage',
      description_one:
        'This OpenLineage job reads the dataset, and no catalog entity maps to it (an openlineage.io/job annotation, or a job named after the entity or its repository). Nobody will be offered a patch for it.',
      description_other:
        'These {{count}} OpenLineage jobs read the dataset, and no catalog entity maps to them (an openlineage.io/job annotation, or a job named after the entity or its repository). Nobody will be offered a patch for them.',
      lastSeen: 'last seen {{age}}',
      loadError: 'Could not load the jobs found in lineage',
    },
    validation: {
      status: {
        passed: 'Passed',
        failed: 'Failed',
        skipped: 'Skipped',
        error: 'Error',
        pending: 'Pending',
        running: 'Running',
      },
      notValidated: 'Not validated',
      onWarehouse: 'on {{warehouse}}',
      // How many of a validation's statements had each outcome.
      counts: {
        passed_one: '{{count}} passed',
        passed_other: '{{count}} passed',
        failed_one: '{{count}} failed',
        failed_other: '{{count}} failed',
        skipped_one: '{{count}} skipped',
        skipped_other: '{{count}} skipped',
        error_one: '{{count}} error',
        error_other: '{{count}} errors',
      },
    },
    verdict: {
      breaking: 'Breaking',
      partially_breaking: 'Partially breaking',
      unaffected: 'Unaffected',
    },
    consumers: {
      columns: {
        consumer: 'Consumer',
        status: 'Status',
        references: 'References',
        verdict: 'Impact',
        wave: 'Wave',
        delivery: 'Delivery',
        validation: 'Validation',
      },
      kindAndSource: '{{kind}} · {{source}}',
      checksFailing: 'checks failing: {{checks}}',
      someChecks: 'some checks',
      foundInCode: 'found in its code',
      declaredInCatalog: 'declared in the catalog',
      countsLabel: 'Consumers by status',
      total: 'Consumers',
      searchLabel: 'Search consumers',
      searchPlaceholder: 'Entity ref',
      statusFilter: 'Status',
      allStatuses: 'All',
      blockedFilter: 'Blocked, rejected, failed or unhealthy',
      activeFilter: 'Pending or in progress',
      doneFilter: 'Merged and healthy, or unaffected',
      waveFilter: 'Wave',
      allWaves: 'All waves',
      reasonFilter: 'Reason',
      allReasons: 'All reasons',
      validationFilter: 'Validation',
      allValidations: 'All validations',
      filteredLoading: 'Loading the consumers that match the filters',
      filteredError: 'Could not load the consumers that match the filters',
      wave: 'Wave {{wave}}',
      none: 'No consumers yet: the agent lists them as it analyses the code.',
      noMatch: 'No consumer matches the search and filters.',
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
    // A consumer's latest validation, in its detail.
    validationDetail: {
      title: 'Validation',
      at: '{{path}}:{{line}}',
      rows: '{{before}} rows before, {{after}} after',
      columnsDiffer: 'Columns whose checksums differ: {{columns}}',
      missingBefore: 'Output columns only before the patch: {{columns}}',
      missingAfter: 'Output columns only after the patch: {{columns}}',
      differencesLabel: 'Rows that differ at {{at}}',
      columns: {
        key: 'Key',
        before: 'Before',
        after: 'After',
      },
      statementsLabel: 'Statements validated',
      noStatements: 'No statement was run.',
      runningTitle:
        'The validation runs in the background; this page shows its result when it is done.',
      validateAgain: 'Validate again',
      validateError: 'Could not ask for a new validation',
      sample: 'Both sides read the rows where {{sample}}',
      scanned: '{{bytes}} scanned',
    },
    consumerDetail: {
      label: 'Consumer {{consumer}}',
      markMerged: 'Mark as merged',
      markMergedHint:
        'Its wave soaks once it runs the patch. Mark it merged when it was applied by hand, or merged in a way its delivery method cannot see (a squash, another branch).',
      markMergedError: 'Could not mark it merged',
      close: 'Close',
      foundThroughCatalog: 'Found through the catalog (dependsOn)',
      foundThroughCode: 'Found through its code',
      impact: ' · {{references}} in {{files}}',
      references_one: '{{count}} reference',
      references_other: '{{count}} references',
      files_one: '{{count}} file',
      files_other: '{{count}} files',
      wave: ' · wave {{wave}}',
      delivery: ' · delivery {{status}} ({{method}})',
      health: ' · health {{health}}',
      healthFrom: ' · health {{health}} (from {{source}})',
      unhealthy: 'Unhealthy: {{reason}}',
      verdictTitle: 'Impact',
      verdictReasons: 'Why',
      verdictReason: '{{place}}: {{message}}',
      seeDelivery: 'See the delivery ({{method}})',
      checksFailing:
        'Its checks fail: the wave is held until they pass (the rollout paused when they failed)',
      noPatchTitle: 'No patch',
      noPatchDescription:
        'Ripple found no code for this consumer: add a backstage.io/source-location annotation to its entity so the agent can read it.',
      patchLoading: 'Loading the patch',
      patchError: 'Could not load the patch',
      patchTitle: 'Patch v{{version}} · {{status}}',
      stale: ' · stale',
      reasonsLabel: "The engine's reasons",
      diffLabel: 'Diff',
      nothingToEdit: 'Nothing to edit.',
      downloadDiff: 'Download the diff',
      reviews: 'Reviews',
      noReview: 'No review yet.',
      approved: '✓ Approved',
      rejected: '✕ Rejected',
      review: '{{decision}} by {{reviewer}} {{age}}',
      olderVersion: ' (an older version)',
      comment: ': “{{comment}}”',
      onlyOwners: 'Only the owners of {{consumer}} can review this patch.',
    },
    review: {
      label: 'Review',
      comment: 'Comment',
      commentDescription: 'Optional; the owners and the timeline see it.',
      approve: 'Approve',
      reject: 'Reject',
      nothingToDeliver:
        'This patch holds no edit: make the edits its reasons name in the code itself, and Ripple proposes a new patch from it.',
      approved: 'You approved patch v{{version}}.',
      rejected: 'You rejected patch v{{version}}.',
      conflictTitle: 'Someone decided meanwhile: your review was not recorded',
      conflictDescription:
        '{{message}}. The latest decision is shown below; review again if you still disagree.',
      errorTitle: 'The review was not recorded',
      // The rollout plan requires validation (its requireValidation), and
      // the patch's validation does not count yet: approving is refused.
      validationRequired:
        'The rollout plan requires a passed validation (or one skipped with its reason) before an approval: {{why}}. The patch can still be rejected.',
      validationBlock: {
        none: 'this patch version has not been validated yet',
        pending: 'its validation has not started yet',
        running: 'its validation is running',
        failed: 'its validation failed',
        error: 'its validation ended in an error',
        skipped: 'its validation was skipped without a reason',
      },
    },
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
    eventLog: {
      label: 'Event log',
      empty: 'Nothing happened yet.',
    },
    burndown: {
      empty:
        'No consumers found yet: the chart starts when the agent finds the first.',
      chartLabel:
        'Consumers remaining: {{first}} at {{start}}, {{last}} now (at most {{max}})',
      now: 'now',
      caption:
        'Consumers remaining (not yet merged, and needing a change): {{remaining}} of {{max}} at the peak.',
      tableCaption: 'Consumers remaining over time',
      time: 'Time',
      remaining: 'Remaining',
    },
    // A draft on its dataset's Migrations tab (docs/frontend.md).
    draft: {
      sectionTitle: 'Drafts',
      fromSchemaChange: 'Drafted by Ripple from a change of the dataset’s schema',
      byPerson: 'Draft',
      noChange: 'Nothing decided yet: confirm a suggested rename first.',
      impactLabel: 'Consumers by verdict',
      unknown: 'No verdict',
      suggestionsTitle: 'Renames to confirm',
      undecidedTitle: 'Not decided',
      where: '{{file}}, line {{line}}',
      confirm: 'Confirm',
      reject: 'Reject',
      confirmLabel: 'Confirm {{change}}',
      rejectLabel: 'Reject {{change}}',
      start: 'Start',
      discard: 'Discard',
      actionError: 'Could not update the draft',
    },
    entity: {
      loading: 'Loading the migrations',
      loadError: 'Could not load the migrations',
      noConsumerMigrationTitle: 'No migration touches this entity',
      noConsumerMigrationBody:
        'When a dataset it reads changes, Ripple proposes its patch here for its owners to review.',
      consumerLoading: "Loading this consumer's patch",
      consumerError: "Could not load this consumer's patch",
      datasetTitle: 'Migrations of this dataset',
      newMigration: 'New migration',
      noDatasetMigrationTitle: 'No migration of this dataset yet',
      noDatasetMigrationBody:
        'A migration carries a change of this dataset (a renamed, dropped or retyped column, a moved or replaced table) to every consumer that reads it.',
    },
    newMigration: {
      loading: "Loading the dataset and its consumers' code",
      loadError: "Could not load the dataset's schema and consumers",
      tryAgain: 'Try again',
      close: 'Close',
      noConsumerTitle: 'No consumer reads this dataset',
      noConsumerDescription:
        'Neither the catalog (dependsOn) nor the code of other entities names it: the change breaks nothing Ripple knows of.',
      linkIgnoredTitle: 'The change in the link was left out',
      linkIgnored: {
        notJson: 'The link’s change is not JSON: start from an empty form.',
        notAChange:
          'The link’s change is not a change spec Ripple can fill in (a dataset, and changes of known kinds with their fields): start from an empty form.',
        otherTable:
          'The link’s change is of another table than {{table}}: start from an empty form.',
      },
      title: 'New migration of {{table}}',
      changeLabel: 'Change {{number}}',
      kindLabel: 'Change',
      kind: {
        rename_column: 'Rename a column',
        drop_column: 'Drop a column',
        change_type: 'Change a column’s type',
        rename_table: 'Move the table',
        replace_table: 'Replace with another table',
      },
      columnLabel: 'Column',
      columnPlaceholder: 'Choose a column',
      columnOption: '{{name}} ({{type}})',
      unknownSchema: "The dataset's schema is unknown: type the column",
      newName: 'New name',
      newType: 'New type',
      newTable: 'New table',
      replacingTable: 'Replacing table',
      mapping:
        "Field mapping: the new table's name for each column (empty: unchanged).",
      mappingField: '{{column}} becomes',
      remove: 'Remove change {{number}}',
      add: 'Add another change',
      // What the change still lacks, then "to see the impact".
      missing: {
        column: 'Choose the column',
        newName: 'Type the new name',
        newType: 'Type the new type',
        newTable: 'Type the new table name',
        replacingTable: 'Type the replacing table',
        inChange: '{{missing}} (change {{number}})',
      },
      impactLabel: 'Impact preview',
      impactTitle: 'Impact',
      engineError: 'The engine could not load: {{message}}',
      engineLoading: 'Loading the engine…',
      toSeeImpact: '{{missing}} to see the impact.',
      refused: 'The engine refuses this change',
      titleField: 'Title',
      // The title a migration gets when none is typed (its first letter upper-cased).
      defaultTitle: {
        rename_column: 'rename {{column}} to {{to}}',
        drop_column: 'drop {{column}}',
        change_type: 'retype {{column}} to {{to}}',
        rename_table: 'move to {{to}}',
        replace_table: 'replace with {{to}}',
      },
      createError: 'The migration was not created',
      create: 'Create the migration',
      cancel: 'Cancel',
      summaryLabel: 'Impact summary',
      affected: 'Consumers affected',
      affectedValue: '{{affected}} of {{total}}',
      referencesLabel: 'References',
      computed_one:
        'Computed in your browser in {{ms}} ms over {{count}} consumer.',
      computed_other:
        'Computed in your browser in {{ms}} ms over {{count}} consumers.',
      affectedList: 'Affected consumers',
      consumerImpact: '{{references}} in {{files}} · {{edits}}',
      references_one: '{{count}} reference',
      references_other: '{{count}} references',
      noFile: 'no file',
      edits_one: '{{count}} edit',
      edits_other: '{{count}} edits',
      whyNeedsEdit: 'Why {{consumer}} needs an edit',
      // A declared consumer whose code names the dataset nowhere.
      unmatchedTitle_one:
        'The code of {{count}} consumer names the dataset nowhere',
      unmatchedTitle_other:
        'The code of {{count}} consumers names the dataset nowhere',
      unmatchedDescription:
        'The catalog says they read it, but no file of theirs names it as a table, ref() or source(): check the change’s table, or where the catalog says their code is.',
      unmatchedList: 'Consumers whose code names the dataset nowhere',
      unmatched: '{{consumer}}: no file names {{dataset}}',
      unmatchedClosest:
        '{{consumer}}: no file names {{dataset}}; the closest names it uses: {{closest}}',
      propertiesLeftOut:
        'dbt property files (schema.yml) are left out of this preview; the migration’s patches rewrite them too.',
    },
  },
});

/** Ripple's translation function, for the helpers that word a status or a change. */
export type RippleT = TranslationFunction<typeof rippleTranslationRef.T>;
