import type {
  Consumer,
  ConsumerTimeline,
  Migration,
  MigrationEvent,
  TimelineEntry,
  TimelineStep,
} from '@ripple/backstage-plugin-ripple-common';
import { deadlineEnd } from '../database/deadlines';

/**
 * Whether a consumer is done with a migration: its patch is merged, or its
 * code needs no change (the burndown's rule, plugins/ripple's burndown.ts).
 */
export function consumerDone(consumer: Consumer): boolean {
  return (
    consumer.delivery?.status === 'merged' ||
    consumer.patch?.status === 'unaffected'
  );
}

/**
 * A consumer's milestones in a migration, replayed from the events about it
 * (oldest first) and its current state: each step done when its event
 * happened (the latest one, for a step that happened again: a second review,
 * a delivery after a rollback), and the deadline overdue once its day has
 * passed with the consumer not done.
 */
export function consumerTimeline(
  migration: Migration,
  consumer: Consumer,
  events: MigrationEvent[],
  now: Date,
): ConsumerTimeline {
  const latest = new Map<TimelineStep, MigrationEvent>();
  let proposed: MigrationEvent | undefined;
  for (const event of events) {
    const status = event.data?.status;
    switch (event.type) {
      case 'patch-proposed':
        proposed ??= event;
        break;
      case 'review-recorded':
        latest.set('reviewed', event);
        break;
      case 'patch-delivered':
        latest.set(status === 'merged' ? 'merged' : 'delivered', event);
        break;
      case 'delivery-updated':
        if (status === 'merged') latest.set('merged', event);
        break;
      case 'health-recovered':
        latest.set('healthy', event);
        break;
      default:
    }
  }
  if (proposed) latest.set('proposed', proposed);
  const done = consumerDone(consumer);
  const merged = consumer.delivery?.status === 'merged';
  const entry = (step: TimelineStep, happened: boolean): TimelineEntry => {
    const event = latest.get(step);
    return happened
      ? {
          step,
          state: 'done',
          ...(event ? { at: event.createdAt, detail: event.message } : {}),
        }
      : { step, state: 'pending' };
  };
  const entries: TimelineEntry[] = [
    {
      step: 'created',
      state: 'done',
      at: migration.createdAt,
      detail: migration.title,
    },
    entry('proposed', !!consumer.patch),
    entry('reviewed', !!consumer.decision),
    // A merged delivery was delivered first, even when the merge was seen
    // in the same sync.
    entry('delivered', consumer.delivery?.status === 'delivered' || merged),
    entry('merged', merged),
    entry('healthy', merged && consumer.health === 'healthy'),
  ];
  let overdue = false;
  if (migration.targetDate) {
    const end = deadlineEnd(migration.targetDate);
    overdue = !done && now > end;
    entries.push({
      step: 'deadline',
      state: deadlineState(done, overdue),
      at: end.toISOString(),
      detail: migration.targetDate,
    });
  }
  return {
    migrationId: migration.id,
    consumerRef: consumer.consumerRef,
    done,
    overdue,
    entries,
  };
}

function deadlineState(
  done: boolean,
  overdue: boolean,
): TimelineEntry['state'] {
  if (done) return 'done';
  return overdue ? 'overdue' : 'pending';
}
