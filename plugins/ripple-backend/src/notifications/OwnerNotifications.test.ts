import type { ChangeSpec } from '@ripple/backstage-plugin-ripple-common';
import {
  mockServices,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';
import { applyDatabaseMigrations } from '../database/schema';
import { parseOffsets, isoWeek } from './deadlineReminders';
import { OwnerNotifications, scopeOf } from './OwnerNotifications';
import type { OwnerNotification } from './NotificationLedger';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const change: ChangeSpec = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

const DAY = 86_400_000;
const ref = (name: string) => `component:default/${name}`;

/** A clock the test moves. */
function clock(start: string) {
  let now = new Date(start);
  return {
    now: () => now,
    set(at: string) {
      now = new Date(at);
    },
  };
}

async function setup(
  databaseId: TestDatabaseId,
  options: { owners?: Record<string, string>; digestThreshold?: number } = {},
) {
  const knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  const store = new DatabaseMigrationStore(knex);
  const time = clock('2027-03-01T09:00:00Z');
  const sent: (OwnerNotification & { scope: string })[] = [];
  const make = (send?: (n: OwnerNotification) => Promise<boolean>) =>
    new OwnerNotifications({
      db: knex,
      logger: mockServices.logger.mock(),
      baseUrl: 'http://portal',
      offsets: parseOffsets(['7d', '1d']),
      digestThreshold: options.digestThreshold ?? 5,
      claimTimeoutMs: 60_000,
      ownersOf: async refs =>
        new Map(
          refs.flatMap(r =>
            options.owners?.[r] ? [[r, options.owners[r]] as const] : [],
          ),
        ),
      now: time.now,
      send:
        send ??
        (async n => {
          sent.push(n as OwnerNotification & { scope: string });
          return true;
        }),
    });
  return { knex, store, time, sent, make };
}

/** A migration analysed to `proposed`, its consumers with patches of `status`. */
async function proposed(
  store: DatabaseMigrationStore,
  consumers: string[],
  options: { targetDate?: string; status?: 'rewritten' | 'unaffected' } = {},
) {
  const migration = await store.createMigration({
    datasetRef: 'resource:default/orders',
    change,
    title: 'Rename amount',
    owner: 'group:default/data-platform',
    createdBy: 'user:default/guest',
    ...(options.targetDate ? { targetDate: options.targetDate } : {}),
  });
  await store.transition({ migrationId: migration.id, to: 'analyzing' });
  const patches: Record<string, number> = {};
  for (const name of consumers) {
    await store.putConsumer({
      migrationId: migration.id,
      consumerRef: ref(name),
      discoveredBy: 'catalog',
      impact: { files: [], references: 2, verdict: 'breaking', reasons: [] },
    });
    const patch = await store.recordPatch({
      migrationId: migration.id,
      consumerRef: ref(name),
      diff: '--- a\n+++ b\n',
      baseHash: 'sha256:a',
      status: options.status ?? 'rewritten',
      reasons: [],
    });
    patches[name] = patch.id;
  }
  await store.transition({ migrationId: migration.id, to: 'proposed' });
  return { migration, patches };
}

/** Marks a consumer's delivery merged, as the rollout records it. */
async function merged(knex: Knex, migrationId: string, consumer: string) {
  const now = new Date();
  if (!(await knex('rollout').where({ migration_id: migrationId }).first())) {
    await knex('rollout').insert({
      migration_id: migrationId,
      plan: '{}',
      created_at: now,
      updated_at: now,
    });
  }
  await knex('rollout_consumer').insert({
    migration_id: migrationId,
    consumer_ref: ref(consumer),
    wave_index: 0,
    position: 0,
    delivery_status: 'merged',
    merged_at: now,
    updated_at: now,
  });
}

describe.each(databases.eachSupportedId())(
  'OwnerNotifications on %s',
  databaseId => {
    it('tells each consumer owner of a migration once its analysis ends, with what changes, and of later patches, merges, failures and rollbacks', async () => {
      const { store, sent, make } = await setup(databaseId);
      const owners = make();
      const { migration, patches } = await proposed(
        store,
        ['billing', 'reports'],
        {
          targetDate: '2027-06-30',
        },
      );
      await owners.runOnce();
      expect(sent.map(n => n.key)).toEqual([
        `created:${migration.id}:${ref('billing')}`,
        `created:${migration.id}:${ref('reports')}`,
      ]);
      expect(sent[0]).toMatchObject({
        kind: 'created',
        recipients: [ref('billing')],
        title: `Ripple: "Rename amount" changes resource:default/orders, which ${ref(
          'billing',
        )} reads`,
        description:
          'amount renamed to amount_usd. The change breaks it (2 references). Ripple proposes a verified patch for its owners to review. Target date: 2027-06-30.',
        link: 'http://portal/catalog/default/component/billing/ripple',
        topic: 'ripple-migration',
        scope: `ripple:created:${migration.id}:${ref('billing')}`,
      });

      // A second run finds nothing new.
      await owners.runOnce();
      expect(sent).toHaveLength(2);

      // A new version of billing's patch awaits its owners' review;
      // reports' patch is approved before the run, so it awaits nothing.
      const v2 = await store.recordPatch({
        migrationId: migration.id,
        consumerRef: ref('billing'),
        diff: '--- a\n+++ b\n@@\n',
        baseHash: 'sha256:b',
        status: 'needs_edit',
        reasons: [],
      });
      const reportsV2 = await store.recordPatch({
        migrationId: migration.id,
        consumerRef: ref('reports'),
        diff: '--- a\n+++ b\n@@\n',
        baseHash: 'sha256:b',
        status: 'rewritten',
        reasons: [],
      });
      await store.recordReview({
        migrationId: migration.id,
        consumerRef: ref('reports'),
        patchId: reportsV2.id,
        decision: 'approve',
        reviewer: 'user:default/guest',
      });
      expect(patches.billing).not.toBe(v2.id);
      // Deliveries: billing merged, reports failed then rolled back.
      for (const [type, consumer, status] of [
        ['delivery-updated', 'billing', 'merged'],
        ['delivery-updated', 'billing', 'delivered'],
        ['delivery-failed', 'reports', 'failed'],
        ['patch-reverted', 'reports', 'reverted'],
      ] as const) {
        await store.addEvent({
          migrationId: migration.id,
          type,
          consumerRef: ref(consumer),
          message: `Delivery of ${ref(consumer)} is ${status}`,
          data: { status, method: 'git-branch' },
        });
      }
      await owners.runOnce();
      expect(
        sent.slice(2).map(n => [n.kind, n.consumerRef, n.title, n.topic]),
      ).toEqual([
        [
          'review',
          ref('billing'),
          `Ripple: a patch of ${ref(
            'billing',
          )} awaits your review ("Rename amount")`,
          'ripple-review',
        ],
        [
          'delivery',
          ref('billing'),
          `Ripple: the patch of ${ref('billing')} is merged ("Rename amount")`,
          'ripple-delivery',
        ],
        [
          'delivery',
          ref('reports'),
          `Ripple: the patch of ${ref(
            'reports',
          )} failed to deliver ("Rename amount")`,
          'ripple-delivery',
        ],
        [
          'delivery',
          ref('reports'),
          `Ripple: the patch of ${ref(
            'reports',
          )} was rolled back ("Rename amount")`,
          'ripple-delivery',
        ],
      ]);
      expect(sent[2].key).toBe(
        `review:${migration.id}:${ref('billing')}:${v2.id}`,
      );
    });

    it('reminds owners at each offset before the deadline with a moving clock, digests an owner with many consumers weekly, and leaves done consumers alone', async () => {
      const team = 'group:default/analytics';
      const { knex, store, time, sent, make } = await setup(databaseId, {
        digestThreshold: 2,
        owners: {
          [ref('a1')]: team,
          [ref('a2')]: team,
          [ref('a3')]: team,
          [ref('solo')]: 'group:default/solo',
          [ref('done')]: 'group:default/solo',
        },
      });
      const owners = make();
      const one = await proposed(store, ['solo', 'done'], {
        targetDate: '2027-03-20',
      });
      await merged(knex, one.migration.id, 'done');
      await proposed(store, ['a1', 'a2', 'a3'], { targetDate: '2027-03-23' });
      // An unaffected consumer is done: no reminder.
      await proposed(store, ['calm'], {
        targetDate: '2027-03-10',
        status: 'unaffected',
      });
      const reminders = () =>
        sent.filter(n => n.kind === 'reminder' || n.kind === 'digest');

      // 1 March: more than 7 days before both deadlines.
      await owners.runOnce();
      expect(reminders()).toEqual([]);

      // 14 March: within 7 days of the first deadline, not the second's.
      time.set('2027-03-14T08:00:00Z');
      await owners.runOnce();
      expect(reminders().map(n => n.key)).toEqual([
        `reminder:${one.migration.id}:${ref('solo')}:7d`,
      ]);
      expect(reminders()[0]).toMatchObject({
        recipients: [ref('solo')],
        topic: 'ripple-deadline',
        link: 'http://portal/catalog/default/component/solo/ripple',
        title: `Ripple: ${ref(
          'solo',
        )} is due for "Rename amount" by 2027-03-20`,
      });

      // 17 March: analytics' three consumers are within 7 days: more than
      // the threshold, so one digest for the team, none each.
      time.set('2027-03-17T08:00:00Z');
      await owners.runOnce();
      await owners.runOnce();
      expect(reminders().map(n => n.key)).toEqual([
        `reminder:${one.migration.id}:${ref('solo')}:7d`,
        `digest:${team}:2027-W11`,
      ]);
      const digest = reminders()[1];
      expect(digest.recipients).toEqual([team]);
      expect(digest.title).toBe(
        'Ripple: 3 of your consumers are due for migrations soon',
      );
      expect(digest.description.split('\n')).toEqual([
        `${ref(
          'a1',
        )}: "Rename amount" by 2027-03-23 (http://portal/catalog/default/component/a1/ripple)`,
        `${ref(
          'a2',
        )}: "Rename amount" by 2027-03-23 (http://portal/catalog/default/component/a2/ripple)`,
        `${ref(
          'a3',
        )}: "Rename amount" by 2027-03-23 (http://portal/catalog/default/component/a3/ripple)`,
      ]);

      // 20 March: within a day of solo's deadline (the end of 20 March);
      // still the same week for analytics (2027-W11), so no second digest.
      time.set('2027-03-20T02:00:00Z');
      await owners.runOnce();
      expect(reminders().map(n => n.key)).toEqual([
        `reminder:${one.migration.id}:${ref('solo')}:7d`,
        `digest:${team}:2027-W11`,
        `reminder:${one.migration.id}:${ref('solo')}:1d`,
      ]);
      expect(reminders()[2].severity).toBe('high');

      // Monday 22 March: a new ISO week (W12), and analytics still has
      // three due.
      time.set('2027-03-22T01:00:00Z');
      await owners.runOnce();
      expect(
        reminders()
          .map(n => n.key)
          .slice(3),
      ).toEqual([`digest:${team}:2027-W12`]);

      // Past every deadline: nothing more (the entity tab shows them red).
      time.set('2027-03-25T01:00:00Z');
      await owners.runOnce();
      expect(reminders()).toHaveLength(4);
    });

    it('never sends a notification twice: a second replica and a restart find it sent, and one claimed by a sender that died is sent again with the same scope', async () => {
      const { store, time, sent, make } = await setup(databaseId);
      const replicaA = make();
      const replicaB = make();
      const { migration } = await proposed(store, ['billing', 'reports']);
      await Promise.all([replicaA.runOnce(), replicaB.runOnce()]);
      expect(sent.map(n => n.key).sort()).toEqual([
        `created:${migration.id}:${ref('billing')}`,
        `created:${migration.id}:${ref('reports')}`,
      ]);
      // A restart: a new instance on the same database.
      await make().runOnce();
      expect(sent).toHaveLength(2);

      // A sender that dies after claiming, before sending.
      await store.addEvent({
        migrationId: migration.id,
        type: 'patch-reverted',
        consumerRef: ref('billing'),
        message: 'Reverted',
        data: { status: 'reverted' },
      });
      const dying = make(async () => {
        throw new Error('killed');
      });
      await dying.runOnce();
      const ledger = await dying.notifications.list();
      expect(ledger.find(n => n.kind === 'delivery')).toMatchObject({
        status: 'pending',
        attempts: 1,
      });
      // One that dies between the claim and marking it sent: the row stays
      // claimed until the claim timeout.
      const [claimed] = await dying.notifications.claim(time.now(), 10);
      expect(claimed.kind).toBe('delivery');
      await make().runOnce();
      expect(sent).toHaveLength(2);
      time.set(new Date(time.now().getTime() + 2 * 60_000).toISOString());
      await make().runOnce();
      expect(sent).toHaveLength(3);
      expect(sent[2].scope).toBe(scopeOf(claimed.key));
      expect(
        (await dying.notifications.list()).every(n => n.status === 'sent'),
      ).toBe(true);
    });
  },
);

describe('deadline reminder helpers', () => {
  it('parses offsets, largest first, and refuses bad ones by name', () => {
    expect(parseOffsets(['1d', '7d', '12h'])).toEqual([
      { label: '7d', ms: 7 * DAY },
      { label: '1d', ms: DAY },
      { label: '12h', ms: DAY / 2 },
    ]);
    expect(() => parseOffsets(['7 days'])).toThrow(
      'ripple.notifications.deadlineReminders: "7 days" is not an offset such as 7d, 12h or 30m',
    );
  });

  it('names ISO weeks, the Thursday deciding the year', () => {
    expect(isoWeek(new Date('2027-03-15T08:00:00Z'))).toBe('2027-W11');
    expect(isoWeek(new Date('2027-03-21T23:00:00Z'))).toBe('2027-W11');
    expect(isoWeek(new Date('2027-03-22T00:00:00Z'))).toBe('2027-W12');
    expect(isoWeek(new Date('2027-01-01T00:00:00Z'))).toBe('2026-W53');
  });

  it('keeps scopes within the 255 characters of the notifications backend', () => {
    const long = `created:x:component:default/${'a'.repeat(300)}`;
    expect(scopeOf(long)).toMatch(/^ripple:created:[0-9a-f]{64}$/);
    expect(scopeOf('review:m:c:1')).toBe('ripple:review:m:c:1');
  });
});
