import type {
  ChangeSpec,
  MigrationEvent,
} from '@ripple/backstage-plugin-ripple-common';
import { Knex } from 'knex';
import { describeChange } from '../drafts/schemaDiff';
import { migrationsTab } from './links';
import type { OwnerNotification } from './NotificationLedger';

// The notifications the migration timeline makes for consumer owners
// (docs/backend.md, "Deadlines and notifications"). Each is keyed by what it
// is about, so that reading the same events again makes the same keys.

/** The topics, one per kind of news, so that people can mute each. */
export const TOPICS = {
  created: 'ripple-migration',
  review: 'ripple-review',
  delivery: 'ripple-delivery',
  deadline: 'ripple-deadline',
} as const;

type MigrationFacts = {
  id: string;
  title: string;
  datasetRef: string;
  change: ChangeSpec;
  targetDate: string | null;
};

type ConsumerFacts = {
  consumerRef: string;
  verdict?: string;
  references?: number;
  patchId: number | null;
  patchStatus: string | null;
  reviewed: boolean;
};

/** Patch statuses that wait for a person's decision. */
const AWAITS_REVIEW = ['rewritten', 'needs_edit'];

/**
 * The notifications a batch of timeline events makes, read in `trx` (the
 * ledger's transaction, so what it reads and what it records agree):
 *
 * - an analysis that ends (`state-changed` to `proposed`), and a consumer
 *   found after it (`consumer-added`): each consumer's owners hear that the
 *   migration touches it, with what changes and what Ripple proposes;
 * - a patch proposed once they have heard of the migration (a new version
 *   after a refresh or a re-analysis) and not yet decided: it awaits their
 *   review (the first patches are in the first notification);
 * - a delivery merged, failed, or rolled back.
 */
export async function eventNotifications(
  trx: Knex,
  events: MigrationEvent[],
  options: { baseUrl: string; known: (keys: string[]) => Promise<Set<string>> },
): Promise<OwnerNotification[]> {
  const made: OwnerNotification[] = [];
  const migrations = new Map<string, MigrationFacts | undefined>();
  const migration = async (id: string) => {
    if (!migrations.has(id)) migrations.set(id, await readMigration(trx, id));
    return migrations.get(id);
  };
  const tab = (consumerRef: string) =>
    migrationsTab(options.baseUrl, consumerRef);
  const createdKey = (m: string, c: string) => `created:${m}:${c}`;
  const told = async (m: string, c: string) =>
    made.some(n => n.key === createdKey(m, c)) ||
    (await options.known([createdKey(m, c)])).size > 0;

  const created = (m: MigrationFacts, c: ConsumerFacts): OwnerNotification => ({
    key: createdKey(m.id, c.consumerRef),
    kind: 'created',
    migrationId: m.id,
    consumerRef: c.consumerRef,
    recipients: [c.consumerRef],
    title: `Ripple: "${m.title}" changes ${m.datasetRef}, which ${c.consumerRef} reads`,
    description: `${describeChange(m.change)}. ${whatItDoes(c)}${
      m.targetDate ? ` Target date: ${m.targetDate}.` : ''
    }`,
    link: tab(c.consumerRef),
    topic: TOPICS.created,
    severity: 'normal',
  });

  for (const event of events) {
    const m = await migration(event.migrationId);
    if (!m) continue;
    const ref = event.consumerRef;
    const status = event.data?.status;
    if (
      event.type === 'state-changed' &&
      event.data?.to === 'proposed' &&
      event.data?.from === 'analyzing'
    ) {
      for (const c of await readConsumers(trx, m.id)) {
        if (c.patchStatus === 'unaffected') continue;
        made.push(created(m, c));
      }
    } else if (event.type === 'consumer-added' && ref) {
      // Found after an analysis ended (a refresh): told now. During the
      // first analysis, its end tells every consumer at once.
      if (!(await wasProposedBefore(trx, m.id, event.id))) continue;
      const [c] = await readConsumers(trx, m.id, ref);
      if (c && c.patchStatus !== 'unaffected') made.push(created(m, c));
    } else if (event.type === 'patch-proposed' && ref) {
      const patchId = Number(event.data?.patchId);
      if (!AWAITS_REVIEW.includes(String(status))) continue;
      if (!(await told(m.id, ref))) continue;
      const [c] = await readConsumers(trx, m.id, ref);
      // Superseded or decided already (auto-approved): nothing to review.
      if (!c || c.patchId !== patchId || c.reviewed) continue;
      made.push({
        key: `review:${m.id}:${ref}:${patchId}`,
        kind: 'review',
        migrationId: m.id,
        consumerRef: ref,
        recipients: [ref],
        title: `Ripple: a patch of ${ref} awaits your review ("${m.title}")`,
        description: `Version ${
          event.data?.version
        } of the patch for ${describeChange(m.change)}: ${
          status === 'needs_edit'
            ? 'part of the code needs an edit by hand'
            : 'rewritten and verified by the engine'
        }. Approve or reject it on the Migrations tab.`,
        link: tab(ref),
        topic: TOPICS.review,
        severity: 'normal',
      });
    } else if (ref) {
      const delivery = deliveryNews(event);
      if (!delivery) continue;
      made.push({
        key: `delivery:${m.id}:${ref}:${event.id}`,
        kind: 'delivery',
        migrationId: m.id,
        consumerRef: ref,
        recipients: [ref],
        title: `Ripple: the patch of ${ref} ${delivery.what} ("${m.title}")`,
        description: event.message,
        link: tab(ref),
        topic: TOPICS.delivery,
        severity: delivery.severity,
      });
    }
  }
  return made;
}

/** What a delivery event tells the owners, if anything. */
function deliveryNews(
  event: MigrationEvent,
): { what: string; severity: 'normal' | 'high' } | undefined {
  const status = event.data?.status;
  switch (event.type) {
    case 'patch-delivered':
    case 'delivery-updated':
      if (status === 'merged') return { what: 'is merged', severity: 'normal' };
      if (status === 'failed' && event.type === 'delivery-updated') {
        return { what: 'failed to deliver', severity: 'high' };
      }
      return undefined;
    case 'delivery-failed':
      return { what: 'failed to deliver', severity: 'high' };
    case 'patch-reverted':
      return { what: 'was rolled back', severity: 'high' };
    default:
      return undefined;
  }
}

const VERDICTS: Record<string, string> = {
  breaking: 'The change breaks it',
  partially_breaking:
    'It reads the dataset through *, so its output changes shape',
};

const PROPOSALS: Record<string, string> = {
  rewritten: 'Ripple proposes a verified patch for its owners to review.',
  needs_edit:
    'Ripple proposes a patch; part of the code needs an edit by hand.',
  error: 'Ripple could not read all of its code.',
};

/** The engine's verdict and proposal for a consumer, in a sentence. */
function whatItDoes(c: ConsumerFacts): string {
  const verdict = VERDICTS[c.verdict ?? ''] ?? 'It reads the dataset';
  const refs = c.references ? ` (${c.references} references)` : '';
  const patch =
    PROPOSALS[c.patchStatus ?? ''] ?? 'Its patch is being prepared.';
  return `${verdict}${refs}. ${patch}`;
}

async function readMigration(
  trx: Knex,
  id: string,
): Promise<MigrationFacts | undefined> {
  const row = await trx('migration').where({ id }).first();
  if (!row) return undefined;
  return {
    id: row.id,
    title: row.title,
    datasetRef: row.dataset_ref,
    change: JSON.parse(row.change),
    targetDate: row.target_date ?? null,
  };
}

/** Whether an analysis of the migration had ended before the event. */
async function wasProposedBefore(
  trx: Knex,
  migrationId: string,
  eventId: number,
): Promise<boolean> {
  const row = await trx('migration_event')
    .where({ migration_id: migrationId, type: 'state-changed' })
    .where('seq', '<', eventId)
    .where('data', 'like', '%"to":"proposed"%')
    .first('id');
  return !!row;
}

/** A migration's consumers (or one), with their current patch and decision. */
async function readConsumers(
  trx: Knex,
  migrationId: string,
  consumerRef?: string,
): Promise<ConsumerFacts[]> {
  const query = trx('migration_consumer as c')
    .leftJoin('patch as p', 'p.id', 'c.current_patch_id')
    .leftJoin('review as r', 'r.id', 'c.current_review_id')
    .where('c.migration_id', migrationId)
    .whereNull('c.removed_at')
    .select(
      'c.consumer_ref',
      'c.impact',
      'c.current_patch_id',
      'p.status as patch_status',
      'r.patch_id as review_patch_id',
    )
    .orderBy('c.id', 'asc');
  if (consumerRef) query.where('c.consumer_ref', consumerRef);
  return (await query).map(row => {
    const impact = row.impact ? JSON.parse(row.impact) : undefined;
    return {
      consumerRef: row.consumer_ref,
      verdict: impact?.verdict,
      references: impact?.references,
      patchId: row.current_patch_id ?? null,
      patchStatus: row.patch_status ?? null,
      reviewed:
        row.review_patch_id !== null &&
        row.review_patch_id !== undefined &&
        row.review_patch_id === row.current_patch_id,
    };
  });
}
