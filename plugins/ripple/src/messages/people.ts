/** Deadlines (the burndown's target, the fleet's filter, the editor) and a consumer's timeline on its entity tab. */
export const peopleMessages = {
  deadline: {
    label: 'Target date',
    none: 'No target date',
    set: 'Set the target date',
    edit: 'Change',
    save: 'Save',
    cancel: 'Cancel',
    remove: 'Remove',
    saveError: 'Could not change the target date',
    hint: 'The day every consumer should be done by. Owners of late consumers see it in red on their Migrations tab.',
    due: 'Due {{date}}',
    overdue: 'Overdue since {{date}}',
    column: 'Target date',
    filter: 'Deadline',
    filters: {
      all: 'Any deadline',
      overdue: 'Overdue',
      week: 'Due within 7 days',
      month: 'Due within 30 days',
      set: 'With a target date',
      none: 'Without a target date',
    },
    sort: 'Sort',
    sorts: {
      newest: 'Newest first',
      deadline: 'Earliest deadline first',
    },
  },
  projection: {
    target: 'target {{date}}',
    finish: 'at this rate: {{date}}',
    onTrack:
      'At the current rate ({{rate}} a day), every consumer is done by {{date}}, before the target date {{target}}.',
    late: 'At the current rate ({{rate}} a day), every consumer is done by {{date}}: after the target date {{target}}.',
    noRate:
      'No consumer done since the most remaining: no rate to project yet.',
    noRateTarget:
      'No consumer done since the most remaining: no rate to project yet. Target date: {{target}}.',
    done: 'Every consumer is done.',
  },
  timeline: {
    label: 'Timeline of {{title}} for this entity',
    loading: 'Loading the timeline',
    error: 'Could not load the timeline',
    steps: {
      created: 'Created',
      proposed: 'Patch proposed',
      reviewed: 'Reviewed',
      delivered: 'Delivered',
      merged: 'Merged',
      healthy: 'Healthy',
      deadline: 'Target date',
    },
    states: {
      done: 'done',
      pending: 'not yet',
      overdue: 'overdue',
    },
    overdueTitle: 'Not done by the target date',
    overdueBody:
      'The migration "{{title}}" was due on {{date}}. Review, merge or contact its owners.',
  },
} as const;
