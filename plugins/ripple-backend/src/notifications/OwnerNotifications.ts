import type { LoggerService } from '@backstage/backend-plugin-api';
import { createHash } from 'node:crypto';
import { Knex } from 'knex';
import { eventNotifications } from './eventNotifications';
import {
  dueReminders,
  pendingConsumers,
  type ReminderOffset,
} from './deadlineReminders';
import {
  NotificationLedger,
  type ClaimedNotification,
  type OwnerNotification,
} from './NotificationLedger';

/** Sends one notification; false when the notifications backend is not installed. */
export type NotificationSender = (
  notification: OwnerNotification & { scope: string },
) => Promise<boolean>;

/** How many events one step reads, and how many notifications it sends. */
const BATCH = 200;

/**
 * Consumer owners are told, in Backstage notifications (docs/backend.md,
 * "Deadlines and notifications"): of a migration touching their entity,
 * a patch awaiting their review, a delivery merged, failed or rolled back,
 * and a deadline nearing. One scheduled task (global: one replica at a
 * time) runs {@link OwnerNotifications.runOnce}: it turns new timeline
 * events and due deadlines into the ledger's rows, then sends what the
 * ledger holds unsent. Nothing is sent without its row claimed first, and
 * each is sent with a scope made from its key, so a notification sent again
 * after a crash between sending and marking it replaces itself in the
 * notifications backend instead of arriving twice.
 */
export class OwnerNotifications {
  private readonly ledger: NotificationLedger;

  constructor(
    private readonly options: {
      db: Knex;
      send: NotificationSender;
      logger: LoggerService;
      baseUrl: string;
      offsets: ReminderOffset[];
      digestThreshold: number;
      claimTimeoutMs: number;
      /** The owner of a consumer entity (its `ownedBy`), for digests. */
      ownersOf: (consumerRefs: string[]) => Promise<Map<string, string>>;
      /** The clock; tests move it. */
      now?: () => Date;
    },
  ) {
    this.ledger = new NotificationLedger(options.db, {
      claimTimeoutMs: options.claimTimeoutMs,
    });
  }

  get notifications(): NotificationLedger {
    return this.ledger;
  }

  async runOnce(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    // The timeline since the last run, a batch at a time.
    while (!signal?.aborted) {
      const read = await this.ledger.advance(BATCH, (events, trx) =>
        eventNotifications(trx, events, {
          baseUrl: this.options.baseUrl,
          known: keys => this.ledger.has(keys, trx),
        }),
      );
      if (read < BATCH) break;
    }
    try {
      await this.recordReminders(now);
    } catch (error) {
      // The catalog (owners for digests) may be down: what is recorded
      // still goes out, and the next run computes the reminders again.
      this.options.logger.warn(
        `Could not compute deadline reminders: ${error}`,
      );
    }
    await this.sendPending(signal);
  }

  /** Records the deadline reminders and digests due at `now`. */
  async recordReminders(now: Date): Promise<void> {
    const { offsets, digestThreshold, baseUrl } = this.options;
    if (offsets.length === 0) return;
    const pending = await pendingConsumers(this.options.db, now);
    if (pending.length === 0) return;
    const owners = await this.options.ownersOf([
      ...new Set(pending.map(p => p.consumerRef)),
    ]);
    const due = dueReminders(pending, {
      now,
      offsets,
      digestThreshold,
      baseUrl,
      ownerOf: ref => owners.get(ref),
    });
    if (due.length === 0) return;
    const known = await this.ledger.has(due.map(n => n.key));
    await this.ledger.record(
      due.filter(n => !known.has(n.key)),
      now,
    );
  }

  /** Sends the ledger's unsent notifications, each claimed first. */
  async sendPending(signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted) {
      const claimed = await this.ledger.claim(this.now(), BATCH);
      for (const notification of claimed) {
        await this.sendOne(notification);
      }
      if (claimed.length < BATCH) return;
    }
  }

  private async sendOne(notification: ClaimedNotification): Promise<void> {
    const { logger } = this.options;
    try {
      const sent = await this.options.send({
        ...notification,
        scope: scopeOf(notification.key),
      });
      await this.ledger.markSent(
        notification,
        this.now(),
        sent ? 'sent' : 'skipped',
      );
    } catch (error) {
      // Given back: the next run sends it (the same scope, so once).
      logger.warn(
        `Could not send the notification ${notification.key}: ${error}`,
      );
      await this.ledger.release(notification);
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}

/**
 * The notification's scope in the notifications backend: the ledger's key,
 * so that sending it again updates the one already there.
 */
export function scopeOf(key: string): string {
  const scope = `ripple:${key}`;
  // The notifications backend keeps 255 characters of a scope.
  if (scope.length <= 255) return scope;
  return `ripple:${key.slice(0, key.indexOf(':'))}:${createHash('sha256')
    .update(key)
    .digest('hex')}`;
}
