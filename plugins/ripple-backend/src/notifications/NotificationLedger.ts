import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import { sequenceEvents } from '../database/eventOrder';
import { EventRow, toEvent } from '../database/rows';

/** What a notification to consumer owners is about. */
export type NotificationKind =
  | 'created'
  | 'review'
  | 'delivery'
  | 'reminder'
  | 'digest';

/**
 * A notification to consumer owners, as the ledger keeps it until it is
 * sent. `key` says what it is about (`review:<migration>:<consumer>:<patch>`):
 * the ledger holds one row per key, so whatever finds the same thing again
 * (a second run, a second replica, a run after a restart) adds nothing.
 */
export type OwnerNotification = {
  key: string;
  kind: NotificationKind;
  migrationId?: string;
  consumerRef?: string;
  /** Entity refs: a consumer (its owners are told) or an owner. */
  recipients: string[];
  title: string;
  description: string;
  link: string;
  topic: string;
  severity: 'low' | 'normal' | 'high';
};

type LedgerRow = {
  key: string;
  kind: NotificationKind;
  migration_id: string | null;
  consumer_ref: string | null;
  recipients: string;
  payload: string;
  status: 'pending' | 'sending' | 'sent' | 'skipped';
  claim_token: string | null;
  claimed_at: Date | number | string | null;
  attempts: number;
  created_at: Date;
  sent_at: Date | null;
};

/** A notification claimed for sending: send it, then {@link NotificationLedger.markSent}. */
export type ClaimedNotification = OwnerNotification & {
  claimToken: string;
  attempts: number;
};

/** Another replica moved the cursor first (its transaction rolls back). */
class CursorMoved extends Error {
  constructor() {
    super('The notification cursor moved meanwhile');
  }
}

/**
 * The ledger of notifications to consumer owners (`owner_notification`)
 * and the cursor over the timeline they are made from
 * (`notification_cursor`). A notification is recorded once per key, claimed
 * in a transaction (compare-and-set on its status) before it is sent, and
 * marked sent after: two replicas never both claim it, and one claimed by a
 * process that died is claimed again only after `claimTimeoutMs`, then sent
 * with the same scope, which the notifications backend keeps as the one
 * notification it already is.
 */
export class NotificationLedger {
  constructor(
    private readonly db: Knex,
    private readonly options: { claimTimeoutMs: number },
  ) {}

  /**
   * Reads the timeline events after the cursor (at most `limit`) and gives
   * them to `record`, which returns the notifications they make; records
   * those not already in the ledger and moves the cursor past the events,
   * all in one transaction. Returns how many events were read.
   */
  async advance(
    limit: number,
    record: (
      events: MigrationEvent[],
      trx: Knex.Transaction,
    ) => Promise<OwnerNotification[]>,
  ): Promise<number> {
    try {
      return await this.advanceOnce(limit, record);
    } catch (error) {
      // Another replica read the same events and moved the cursor first:
      // this transaction rolled back, and its notifications are theirs.
      if (error instanceof CursorMoved) return 0;
      throw error;
    }
  }

  private async advanceOnce(
    limit: number,
    record: (
      events: MigrationEvent[],
      trx: Knex.Transaction,
    ) => Promise<OwnerNotification[]>,
  ): Promise<number> {
    // By place on the timeline, as every reader of it: an event committed
    // after a later one was read takes a later place, so none is skipped
    // (database/eventOrder.ts).
    await sequenceEvents(this.db);
    return this.db.transaction(async trx => {
      const cursor = await trx('notification_cursor')
        .where({ name: 'events' })
        .first();
      const after = Number(cursor?.event_id ?? 0);
      const rows = await trx<EventRow>('migration_event')
        .whereNotNull('seq')
        .where('seq', '>', after)
        .orderBy('seq', 'asc')
        .limit(limit);
      if (rows.length === 0) return 0;
      const notifications = await record(rows.map(toEvent), trx);
      await insertNew(trx, notifications, new Date());
      // Compare-and-set: a run that read the same events meanwhile moved
      // it first, and this one rolls back (its rows were the same keys).
      const last = Number(rows[rows.length - 1].seq);
      const moved = cursor
        ? await trx('notification_cursor')
            .where({ name: 'events', event_id: after })
            .update({ event_id: last })
        : (await trx('notification_cursor').insert({
            name: 'events',
            event_id: last,
          }),
          1);
      if (moved !== 1) {
        throw new CursorMoved();
      }
      return rows.length;
    });
  }

  /** Records the notifications whose keys are not in the ledger yet. */
  async record(notifications: OwnerNotification[], now: Date): Promise<void> {
    await this.db.transaction(trx => insertNew(trx, notifications, now));
  }

  /** Whether the ledger has these keys (sent or not). */
  async has(keys: string[], trx: Knex = this.db): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await trx('owner_notification')
        .select('key')
        .whereIn('key', keys.slice(i, i + 500));
      for (const row of rows) found.add(row.key);
    }
    return found;
  }

  /**
   * Claims up to `limit` notifications to send: pending ones, and those
   * whose claim is older than the claim timeout (their sender died).
   */
  async claim(now: Date, limit: number): Promise<ClaimedNotification[]> {
    const expired = new Date(now.getTime() - this.options.claimTimeoutMs);
    const candidates = await this.db<LedgerRow>('owner_notification')
      .where('status', 'pending')
      .orWhere(q =>
        q.where('status', 'sending').where('claimed_at', '<', expired),
      )
      .orderBy('created_at', 'asc')
      .limit(limit);
    const claimed: ClaimedNotification[] = [];
    for (const row of candidates) {
      const claimToken = randomUUID();
      // Compare-and-set on what was read: of two replicas, one claims it.
      const updated = await this.db('owner_notification')
        .where({ key: row.key, status: row.status })
        .where(q =>
          row.claim_token === null
            ? q.whereNull('claim_token')
            : q.where('claim_token', row.claim_token),
        )
        .update({
          status: 'sending',
          claim_token: claimToken,
          claimed_at: now,
          attempts: row.attempts + 1,
        });
      if (updated !== 1) continue;
      claimed.push({
        ...fromRow(row),
        claimToken,
        attempts: row.attempts + 1,
      });
    }
    return claimed;
  }

  /** Marks a claimed notification sent (or skipped); false if its claim was lost. */
  async markSent(
    notification: ClaimedNotification,
    now: Date,
    status: 'sent' | 'skipped' = 'sent',
  ): Promise<boolean> {
    const updated = await this.db('owner_notification')
      .where({ key: notification.key, claim_token: notification.claimToken })
      .update({ status, sent_at: now, claim_token: null });
    return updated === 1;
  }

  /** Gives a claimed notification back, to be sent at a later run. */
  async release(notification: ClaimedNotification): Promise<void> {
    await this.db('owner_notification')
      .where({ key: notification.key, claim_token: notification.claimToken })
      .update({ status: 'pending', claim_token: null, claimed_at: null });
  }

  /** Every notification of the ledger, oldest first (for tests and support). */
  async list(): Promise<
    (OwnerNotification & { status: LedgerRow['status']; attempts: number })[]
  > {
    const rows = await this.db<LedgerRow>('owner_notification').orderBy(
      'created_at',
      'asc',
    );
    return rows.map(row => ({
      ...fromRow(row),
      status: row.status,
      attempts: row.attempts,
    }));
  }
}

async function insertNew(
  trx: Knex,
  notifications: OwnerNotification[],
  now: Date,
): Promise<void> {
  const unique = new Map(notifications.map(n => [n.key, n]));
  for (const n of unique.values()) {
    await trx('owner_notification')
      .insert({
        key: n.key,
        kind: n.kind,
        migration_id: n.migrationId ?? null,
        consumer_ref: n.consumerRef ?? null,
        recipients: JSON.stringify(n.recipients),
        payload: JSON.stringify({
          title: n.title,
          description: n.description,
          link: n.link,
          topic: n.topic,
          severity: n.severity,
        }),
        status: 'pending',
        attempts: 0,
        created_at: now,
      })
      .onConflict('key')
      .ignore();
  }
}

function fromRow(row: LedgerRow): OwnerNotification {
  const payload = JSON.parse(row.payload);
  return {
    key: row.key,
    kind: row.kind,
    ...(row.migration_id ? { migrationId: row.migration_id } : {}),
    ...(row.consumer_ref ? { consumerRef: row.consumer_ref } : {}),
    recipients: JSON.parse(row.recipients),
    title: payload.title,
    description: payload.description,
    link: payload.link,
    topic: payload.topic,
    severity: payload.severity,
  };
}
