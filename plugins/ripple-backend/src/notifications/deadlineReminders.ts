import { Knex } from 'knex';
import { deadlineEnd } from '../database/deadlines';
import { TOPICS } from './eventNotifications';
import { entityPage, migrationsTab } from './links';
import type { OwnerNotification } from './NotificationLedger';

/** A reminder's offset before a deadline, as configured (`7d`, `12h`). */
export type ReminderOffset = { label: string; ms: number };

/** A consumer not done with a migration that has a deadline. */
export type PendingConsumer = {
  migrationId: string;
  title: string;
  consumerRef: string;
  targetDate: string;
};

const UNITS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * `ripple.notifications.deadlineReminders`: offsets such as `7d`, `1d`,
 * `12h`, `30m`, `2w`; the largest first. A bad one fails the backend's
 * start, naming it.
 */
export function parseOffsets(values: string[]): ReminderOffset[] {
  return values
    .map(label => {
      const match = /^(\d+)\s*([mhdw])$/.exec(label.trim());
      if (!match || Number(match[1]) <= 0) {
        throw new Error(
          `ripple.notifications.deadlineReminders: "${label}" is not an offset such as 7d, 12h or 30m`,
        );
      }
      return { label: label.trim(), ms: Number(match[1]) * UNITS[match[2]] };
    })
    .sort((a, b) => b.ms - a.ms);
}

/** States in which a migration's consumers still have work to do. */
const OPEN = ['analyzing', 'proposed', 'rolling_out', 'paused', 'rolled_back'];

/**
 * Consumers not done (their patch not merged, their code needing a change)
 * of the open migrations whose deadline ends after `now`.
 */
export async function pendingConsumers(
  db: Knex,
  now: Date,
): Promise<PendingConsumer[]> {
  // The deadline is the end of its day in UTC: today's still counts.
  const today = now.toISOString().slice(0, 10);
  const rows = await db('migration as m')
    .join('migration_consumer as c', 'c.migration_id', 'm.id')
    .leftJoin('patch as p', 'p.id', 'c.current_patch_id')
    .leftJoin('rollout_consumer as rc', join =>
      join
        .on('rc.migration_id', '=', 'm.id')
        .andOn('rc.consumer_ref', '=', 'c.consumer_ref'),
    )
    .whereIn('m.state', OPEN)
    .whereNotNull('m.target_date')
    .where('m.target_date', '>=', today)
    .whereNull('c.removed_at')
    .where(q => q.whereNull('p.status').orWhereNot('p.status', 'unaffected'))
    .where(q =>
      q
        .whereNull('rc.delivery_status')
        .orWhereNot('rc.delivery_status', 'merged'),
    )
    .whereNull('rc.merged_at')
    .select('m.id', 'm.title', 'm.target_date', 'c.consumer_ref')
    .orderBy('m.target_date', 'asc')
    .orderBy('c.id', 'asc');
  return rows.map(row => ({
    migrationId: row.id,
    title: row.title,
    consumerRef: row.consumer_ref,
    targetDate: row.target_date,
  }));
}

/**
 * The reminders due at `now`: for each pending consumer, the most urgent
 * offset its deadline has come within (a backend down for a week sends
 * the 1-day reminder, not the 7-day one late). An owner with more than
 * `digestThreshold` consumers due gets one digest a week (its key names
 * the ISO week) listing them all, instead of one reminder each.
 */
export function dueReminders(
  pending: PendingConsumer[],
  options: {
    now: Date;
    offsets: ReminderOffset[];
    digestThreshold: number;
    baseUrl: string;
    ownerOf: (consumerRef: string) => string | undefined;
  },
): OwnerNotification[] {
  const { now, offsets } = options;
  const due: (PendingConsumer & { offset: ReminderOffset; end: Date })[] = [];
  for (const consumer of pending) {
    const end = deadlineEnd(consumer.targetDate);
    if (now > end) continue;
    const crossed = offsets.filter(o => now.getTime() >= end.getTime() - o.ms);
    if (crossed.length === 0) continue;
    due.push({ ...consumer, offset: crossed[crossed.length - 1], end });
  }
  const byOwner = new Map<string, typeof due>();
  for (const d of due) {
    const owner = options.ownerOf(d.consumerRef) ?? d.consumerRef;
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), d]);
  }
  const made: OwnerNotification[] = [];
  for (const [owner, items] of byOwner) {
    if (items.length > options.digestThreshold) {
      const week = isoWeek(now);
      made.push({
        key: `digest:${owner}:${week}`,
        kind: 'digest',
        recipients: [owner],
        title: `Ripple: ${items.length} of your consumers are due for migrations soon`,
        description: items
          .map(
            i =>
              `${i.consumerRef}: "${i.title}" by ${
                i.targetDate
              } (${migrationsTab(options.baseUrl, i.consumerRef)})`,
          )
          .join('\n'),
        link: entityPage(options.baseUrl, owner),
        topic: TOPICS.deadline,
        severity: 'normal',
      });
      continue;
    }
    for (const i of items) {
      made.push({
        key: `reminder:${i.migrationId}:${i.consumerRef}:${i.offset.label}`,
        kind: 'reminder',
        migrationId: i.migrationId,
        consumerRef: i.consumerRef,
        recipients: [i.consumerRef],
        title: `Ripple: ${i.consumerRef} is due for "${i.title}" by ${i.targetDate}`,
        description: `Its patch is not merged yet, and the migration's target date is ${i.targetDate} (within ${i.offset.label}). Review and merge it on the Migrations tab.`,
        link: migrationsTab(options.baseUrl, i.consumerRef),
        topic: TOPICS.deadline,
        severity: i.offset.ms <= 86_400_000 ? 'high' : 'normal',
      });
    }
  }
  return made;
}

/** The ISO 8601 week of a day in UTC, `2027-W05`. */
export function isoWeek(date: Date): string {
  const d = new Date(
    Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()),
  );
  // The Thursday of the week decides its year.
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
