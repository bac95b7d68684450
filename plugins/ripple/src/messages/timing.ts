/** Rollout timing: the kill switch, the waits, the start's confirmation. */
export const timingMessages = {
  timing: {
    stoppedTitle: 'Automation stopped',
    stoppedBy:
      'Stopped by {{who}} {{age}}: no proposal, approval by policy, delivery, merge or wave advance until resumed.',
    stoppedReason: 'Reason: {{reason}}',
    stop: 'Stop all automation',
    resume: 'Resume automation',
    stopConfirm: 'Stop every automatic step',
    stopCancel: 'Keep running',
    stopReason: 'Why (recorded on the timeline and in the audit log)',
    stopDescription:
      'The kill switch stops the agent and the rollout of this migration (unlike a pause, which stops only the rollout) until someone resumes it.',
    actionError: 'The automation did not change',
    waitingTitle: 'Waiting before delivery',
    waitingLabel: 'Consumers waiting before their delivery',
    waitingUntil: 'until {{time}}',
    windows: 'Delivery windows: {{windows}}',
    window: '{{cron}} for {{minutes}} min ({{zone}})',
    confirmTitle: 'Start the rollout over {{number}} consumers?',
    confirmBody:
      'This rollout reaches {{number}} consumers, more than the {{above}} the portal asks a confirmation for. Each approved patch is delivered in its wave.',
    confirmStart: 'Start over {{number}} consumers',
    confirmCancel: 'Not now',
  },
} as const;
