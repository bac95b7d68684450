import type {
  ChangeSpec,
  PatchReason,
} from '@ripple/backstage-plugin-ripple-common';
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { DatabaseMigrationStore } from './DatabaseMigrationStore';
import { applyDatabaseMigrations } from './schema';

jest.setTimeout(60_000);

// Every test runs on embedded SQLite and on a real PostgreSQL 15 (the test
// command starts one and exports its connection string; see scripts/test.sh).
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const change: ChangeSpec = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

async function createStore(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  return { knex, store: new DatabaseMigrationStore(knex) };
}

async function createMigration(
  store: DatabaseMigrationStore,
  overrides: { datasetRef?: string; title?: string } = {},
) {
  return store.createMigration({
    datasetRef: overrides.datasetRef ?? 'resource:default/orders',
    change,
    title: overrides.title ?? 'Rename amount to amount_usd',
    owner: 'group:default/data-platform',
    createdBy: 'user:default/guest',
  });
}

/** A migration in `proposed` with one consumer and its first patch. */
async function proposedWithPatch(store: DatabaseMigrationStore) {
  const migration = await createMigration(store);
  await store.transition({ migrationId: migration.id, to: 'analyzing' });
  await store.putConsumer({
    migrationId: migration.id,
    consumerRef: 'component:default/jaffle-dbt',
    discoveredBy: 'catalog',
  });
  const patch = await store.recordPatch({
    migrationId: migration.id,
    consumerRef: 'component:default/jaffle-dbt',
    diff: '--- a/models/daily.sql\n+++ b/models/daily.sql\n',
    baseHash: 'sha256:aaa',
    status: 'rewritten',
    reasons: [],
  });
  await store.transition({ migrationId: migration.id, to: 'proposed' });
  return { migration, patch, consumerRef: 'component:default/jaffle-dbt' };
}

async function rowCount(knex: Knex, table: string): Promise<number> {
  const [row] = await knex(table).count({ count: '*' });
  return Number(row.count);
}

describe.each(databases.eachSupportedId())(
  'DatabaseMigrationStore on %s',
  databaseId => {
    it('creates a migration in draft, with lower-case refs and a created event', async () => {
      const { store } = await createStore(databaseId);
      const created = await store.createMigration({
        datasetRef: 'Resource:default/Orders',
        change,
        title: 'Rename amount',
        owner: 'Group:default/Data-Platform',
        createdBy: 'user:default/guest',
      });

      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        datasetRef: 'resource:default/orders',
        change,
        title: 'Rename amount',
        owner: 'group:default/data-platform',
        state: 'draft',
        createdBy: 'user:default/guest',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        updatedAt: created.createdAt,
        progress: {
          total: 0,
          approved: 0,
          rejected: 0,
          awaitingDecision: 0,
          needsReview: 0, // awaitingDecision's old name, until 0.3
          delivered: 0,
          merged: 0,
          failed: 0,
          unhealthy: 0,
        },
      });
      await expect(store.getMigration(created.id)).resolves.toEqual(created);
      await expect(store.getMigration('no-such-id')).resolves.toBeUndefined();
      await expect(
        store.listEvents(created.id, { limit: 10 }),
      ).resolves.toEqual([
        expect.objectContaining({
          type: 'created',
          actor: 'user:default/guest',
          message:
            'Migration "Rename amount" created for resource:default/orders',
        }),
      ]);
    });

    it('lists migrations newest first, filtered and paginated, with the total', async () => {
      const { store } = await createStore(databaseId);
      const first = await createMigration(store, { title: 'first' });
      const second = await createMigration(store, {
        title: 'second',
        datasetRef: 'resource:default/customers',
      });
      const third = await createMigration(store, { title: 'third' });
      await store.transition({ migrationId: third.id, to: 'cancelled' });

      const all = await store.listMigrations({}, { limit: 2, offset: 0 });
      expect(all.totalCount).toBe(3);
      expect(all.items.map(m => m.title)).toEqual(['third', 'second']);
      const next = await store.listMigrations({}, { limit: 2, offset: 2 });
      expect(next.items.map(m => m.id)).toEqual([first.id]);

      const ofOrders = await store.listMigrations(
        { datasetRef: 'Resource:default/orders' },
        { limit: 10, offset: 0 },
      );
      expect(ofOrders.items.map(m => m.title)).toEqual(['third', 'first']);

      const drafts = await store.listMigrations(
        { states: ['draft'] },
        { limit: 10, offset: 0 },
      );
      expect(drafts).toEqual({
        items: [second, first].map(expect.objectContaining),
        totalCount: 2,
      });
    });

    it('moves a migration only as the state machine allows, recording each move', async () => {
      const { store } = await createStore(databaseId);
      const migration = await createMigration(store);

      await expect(
        store.transition({ migrationId: migration.id, to: 'rolling_out' }),
      ).rejects.toThrow(
        new ConflictError(
          `Migration ${migration.id} is draft; it can become rolling_out only from proposed, paused or rolled_back`,
        ),
      );
      const analyzing = await store.transition({
        migrationId: migration.id,
        to: 'analyzing',
        actor: 'user:default/guest',
      });
      expect(analyzing.state).toBe('analyzing');
      const cancelled = await store.transition({
        migrationId: migration.id,
        to: 'cancelled',
        actor: 'user:default/guest',
        message: 'Cancelled: wrong column',
      });
      expect(cancelled.state).toBe('cancelled');
      await expect(
        store.transition({ migrationId: migration.id, to: 'analyzing' }),
      ).rejects.toThrow(ConflictError);
      await expect(
        store.transition({ migrationId: 'no-such-id', to: 'analyzing' }),
      ).rejects.toThrow(new NotFoundError('No migration no-such-id'));

      const events = await store.listEvents(migration.id, { limit: 10 });
      expect(events.map(e => [e.type, e.data, e.message])).toEqual([
        ['created', undefined, expect.any(String)],
        [
          'state-changed',
          { from: 'draft', to: 'analyzing' },
          'State changed from draft to analyzing',
        ],
        [
          'state-changed',
          { from: 'analyzing', to: 'cancelled' },
          'Cancelled: wrong column',
        ],
      ]);
      await expect(
        store.listEvents(migration.id, { afterId: events[1].id, limit: 10 }),
      ).resolves.toEqual([events[2]]);
      await expect(store.getMigration(migration.id)).resolves.toMatchObject({
        state: 'cancelled',
      });
    });

    it('lets only one of two racing state moves happen', async () => {
      const { store } = await createStore(databaseId);
      const migration = await createMigration(store);

      // Both find draft, from which analyzing is allowed; analyzing cannot
      // follow analyzing, so the second must fail rather than record a move.
      const results = await Promise.allSettled([
        store.transition({ migrationId: migration.id, to: 'analyzing' }),
        store.transition({ migrationId: migration.id, to: 'analyzing' }),
      ]);

      const fulfilled = results.filter(r => r.status === 'fulfilled');
      const rejected = results.filter(
        (r): r is PromiseRejectedResult => r.status === 'rejected',
      );
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect(rejected[0].reason).toBeInstanceOf(ConflictError);
      const events = await store.listEvents(migration.id, { limit: 10 });
      expect(events.filter(e => e.type === 'state-changed')).toHaveLength(1);
    });

    it('adds a consumer once and updates its impact later', async () => {
      const { store } = await createStore(databaseId);
      const migration = await createMigration(store);

      const added = await store.putConsumer({
        migrationId: migration.id,
        consumerRef: 'Component:default/Orders-Export',
        discoveredBy: 'catalog',
      });
      expect(added).toEqual({
        migrationId: migration.id,
        consumerRef: 'component:default/orders-export',
        discoveredBy: 'catalog',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const impact = {
        files: [
          { path: 'export_orders.py', references: 2, columns: ['amount'] },
        ],
        references: 2,
      };
      const updated = await store.putConsumer({
        migrationId: migration.id,
        consumerRef: 'component:default/orders-export',
        discoveredBy: 'catalog',
        impact,
      });
      expect(updated.impact).toEqual(impact);

      const events = await store.listEvents(migration.id, { limit: 10 });
      expect(events.filter(e => e.type === 'consumer-added')).toEqual([
        expect.objectContaining({
          consumerRef: 'component:default/orders-export',
          data: { discoveredBy: 'catalog' },
        }),
      ]);
      await expect(
        store.putConsumer({
          migrationId: 'no-such-id',
          consumerRef: 'component:default/orders-export',
          discoveredBy: 'code',
        }),
      ).rejects.toThrow(NotFoundError);
    });

    it('counts the consumers of each migration by decision in its progress', async () => {
      const { store } = await createStore(databaseId);
      const { migration, patch, consumerRef } = await proposedWithPatch(store);
      for (const other of ['component:default/a', 'component:default/b']) {
        await store.putConsumer({
          migrationId: migration.id,
          consumerRef: other,
          discoveredBy: 'code',
        });
      }
      const b = await store.recordPatch({
        migrationId: migration.id,
        consumerRef: 'component:default/b',
        diff: 'diff',
        baseHash: 'h',
        status: 'needs_edit',
        reasons: [],
      });
      await store.recordReview({
        migrationId: migration.id,
        consumerRef,
        patchId: patch.id,
        decision: 'approve',
        reviewer: 'user:default/guest',
      });
      const expected = {
        total: 3,
        approved: 1,
        rejected: 0,
        // b's patch waits for a review; a has no patch yet.
        awaitingDecision: 1,
        needsReview: 1, // awaitingDecision's old name, until 0.3
        delivered: 0,
        merged: 0,
        failed: 0,
        unhealthy: 0,
      };
      expect((await store.getMigration(migration.id))!.progress).toEqual(
        expected,
      );
      await store.recordReview({
        migrationId: migration.id,
        consumerRef: 'component:default/b',
        patchId: b.id,
        decision: 'reject',
        reviewer: 'user:default/guest',
      });
      const [listed] = (await store.listMigrations({}, { limit: 5, offset: 0 }))
        .items;
      expect(listed.progress).toEqual({
        ...expected,
        rejected: 1,
        awaitingDecision: 0,
        needsReview: 0, // awaitingDecision's old name, until 0.3
      });
    });

    it('lists consumers in ref order with their current patch and decision', async () => {
      const { store } = await createStore(databaseId);
      const { migration, patch, consumerRef } = await proposedWithPatch(store);
      await store.putConsumer({
        migrationId: migration.id,
        consumerRef: 'component:default/fraud-scoring',
        discoveredBy: 'code',
      });
      const review = await store.recordReview({
        migrationId: migration.id,
        consumerRef,
        patchId: patch.id,
        decision: 'approve',
        reviewer: 'user:default/guest',
        comment: 'LGTM',
      });

      const page = await store.listConsumers(migration.id, {
        limit: 10,
        offset: 0,
      });
      expect(page.totalCount).toBe(2);
      expect(page.items).toEqual([
        expect.objectContaining({
          consumerRef: 'component:default/fraud-scoring',
          discoveredBy: 'code',
        }),
        expect.objectContaining({
          consumerRef,
          patch: {
            id: patch.id,
            version: 1,
            status: 'rewritten',
            stale: false,
            createdAt: patch.createdAt,
          },
          decision: review,
        }),
      ]);
      expect(page.items[0].patch).toBeUndefined();
      const second = await store.listConsumers(migration.id, {
        limit: 1,
        offset: 1,
      });
      expect(second).toEqual({ items: [page.items[1]], totalCount: 2 });
      await expect(
        store.getConsumer(migration.id, consumerRef),
      ).resolves.toEqual(page.items[1]);
      // What the agent compares its findings with: refs only, in order.
      await expect(store.listConsumerRefs(migration.id)).resolves.toEqual([
        {
          consumerRef: 'component:default/fraud-scoring',
          discoveredBy: 'code',
        },
        { consumerRef, discoveredBy: 'catalog' },
      ]);
    });

    it('reads a page of consumers and its kept count in one statement', async () => {
      const { knex, store } = await createStore(databaseId);
      const { migration } = await proposedWithPatch(store);
      const statements: string[] = [];
      const count = (query: { sql: string }) => statements.push(query.sql);
      knex.on('query', count);
      try {
        const page = await store.listConsumers(migration.id, {
          limit: 10,
          offset: 0,
        });
        expect(page.totalCount).toBe(1);
        expect(statements).toHaveLength(1);
        // A page past the end carries no row to bring the count: it is
        // read alone.
        statements.length = 0;
        const past = await store.listConsumers(migration.id, {
          limit: 10,
          offset: 5,
        });
        expect(past).toEqual({ items: [], totalCount: 1 });
        expect(statements).toHaveLength(2);
      } finally {
        knex.off('query', count);
      }
    });

    it('versions patches; a new version supersedes the old one and its reviews', async () => {
      const { store } = await createStore(databaseId);
      const { migration, patch, consumerRef } = await proposedWithPatch(store);
      expect(patch).toEqual({
        id: expect.any(Number),
        migrationId: migration.id,
        consumerRef,
        version: 1,
        diff: '--- a/models/daily.sql\n+++ b/models/daily.sql\n',
        baseHash: 'sha256:aaa',
        status: 'rewritten',
        reasons: [],
        stale: false,
        createdAt: expect.any(String),
      });
      const approval = await store.recordReview({
        migrationId: migration.id,
        consumerRef,
        patchId: patch.id,
        decision: 'approve',
        reviewer: 'user:default/guest',
      });

      // The same proposal again (a re-analysis of unchanged code) keeps the
      // patch and its approval.
      const same = await store.recordPatch({
        migrationId: migration.id,
        consumerRef,
        diff: patch.diff,
        baseHash: patch.baseHash,
        status: patch.status,
        reasons: [],
      });
      expect(same.id).toBe(patch.id);
      await expect(
        store.getConsumer(migration.id, consumerRef),
      ).resolves.toMatchObject({
        decision: approval,
      });

      const reasons: PatchReason[] = [
        {
          path: 'models/daily.sql',
          kind: 'dropped_column_used',
          severity: 'needs_edit',
          line: 3,
          column: 7,
          endLine: 3,
          endColumn: 13,
          message: 'reads `amount`, which the change drops',
        },
      ];
      const second = await store.recordPatch({
        migrationId: migration.id,
        consumerRef,
        diff: '--- a/models/daily.sql\n+++ b/models/daily.sql\n@@ -1 +1 @@\n',
        baseHash: 'sha256:bbb',
        status: 'needs_edit',
        reasons,
      });
      expect(second).toMatchObject({
        version: 2,
        status: 'needs_edit',
        reasons,
      });
      await expect(
        store.getCurrentPatch(migration.id, consumerRef),
      ).resolves.toEqual(second);
      const consumer = await store.getConsumer(migration.id, consumerRef);
      expect(consumer?.patch?.id).toBe(second.id);
      expect(consumer?.decision).toBeUndefined();

      await expect(
        store.recordReview({
          migrationId: migration.id,
          consumerRef,
          patchId: patch.id,
          previousReviewId: approval.id,
          decision: 'approve',
          reviewer: 'user:default/guest',
        }),
      ).rejects.toThrow(
        new ConflictError(
          `Patch ${patch.id} (version 1) of ${consumerRef} was superseded by patch ${second.id}; review the current one`,
        ),
      );
      // The old approval is history, not deleted.
      await expect(
        store.listReviews(migration.id, consumerRef),
      ).resolves.toEqual([approval]);
      const events = await store.listEvents(migration.id, { limit: 20 });
      expect(
        events.filter(e => e.type === 'patch-proposed').map(e => e.data),
      ).toEqual([
        { patchId: patch.id, version: 1, status: 'rewritten' },
        { patchId: second.id, version: 2, status: 'needs_edit' },
      ]);
    });

    it('refuses to review a stale patch', async () => {
      const { store } = await createStore(databaseId);
      const { migration, patch, consumerRef } = await proposedWithPatch(store);

      const stale = await store.markPatchStale({
        migrationId: migration.id,
        consumerRef,
        patchId: patch.id,
      });
      expect(stale.stale).toBe(true);
      // Marking it again changes nothing and records nothing.
      await store.markPatchStale({
        migrationId: migration.id,
        consumerRef,
        patchId: patch.id,
      });

      await expect(
        store.recordReview({
          migrationId: migration.id,
          consumerRef,
          patchId: patch.id,
          decision: 'approve',
          reviewer: 'user:default/guest',
        }),
      ).rejects.toThrow(
        new ConflictError(
          `Patch ${patch.id} of ${consumerRef} is stale: the code changed since it was made, and a new version will replace it`,
        ),
      );
      await expect(
        store.getConsumer(migration.id, consumerRef),
      ).resolves.toMatchObject({
        patch: { id: patch.id, stale: true },
      });
      const events = await store.listEvents(migration.id, { limit: 20 });
      expect(events.filter(e => e.type === 'patch-stale')).toHaveLength(1);

      // Regenerated from the same code it was made from, it is a new version.
      const regenerated = await store.recordPatch({
        migrationId: migration.id,
        consumerRef,
        diff: patch.diff,
        baseHash: patch.baseHash,
        status: patch.status,
        reasons: [],
      });
      expect(regenerated).toMatchObject({ version: 2, stale: false });
      await expect(
        store.markPatchStale({
          migrationId: migration.id,
          consumerRef,
          patchId: 9999,
        }),
      ).rejects.toThrow(NotFoundError);
    });

    it('refuses to approve a patch with no edit to deliver, and lets it be rejected', async () => {
      const { store } = await createStore(databaseId);
      const { migration, consumerRef } = await proposedWithPatch(store);
      // The engine could not rewrite the code: every edit is for a person.
      const empty = await store.recordPatch({
        migrationId: migration.id,
        consumerRef,
        diff: '',
        baseHash: 'sha256:bbb',
        status: 'needs_edit',
        reasons: [
          {
            path: 'models/daily.sql',
            kind: 'unresolved_name',
            severity: 'needs_edit',
            line: 3,
            column: 8,
            endLine: 3,
            endColumn: 14,
            message: '`amount` could not be traced to a table',
          },
        ],
      });
      await expect(
        store.recordReview({
          migrationId: migration.id,
          consumerRef,
          patchId: empty.id,
          decision: 'approve',
          reviewer: 'user:default/guest',
        }),
      ).rejects.toThrow(
        new ConflictError(
          `Patch ${empty.id} of ${consumerRef} holds no edit to deliver (needs_edit; see its reasons): change the consumer's code by hand, and the agent proposes a new patch from it; or reject this one`,
        ),
      );
      await expect(
        store.recordReview({
          migrationId: migration.id,
          consumerRef,
          patchId: empty.id,
          decision: 'reject',
          reviewer: 'user:default/guest',
        }),
      ).resolves.toMatchObject({ decision: 'reject' });
    });

    it('keeps every review; the latest decides, and replacing one names it', async () => {
      const { store } = await createStore(databaseId);
      const { migration, patch, consumerRef } = await proposedWithPatch(store);

      const rejection = await store.recordReview({
        migrationId: migration.id,
        consumerRef,
        patchId: patch.id,
        decision: 'reject',
        reviewer: 'user:default/alice',
        comment: 'Keep the old name in the export',
      });
      // A reviewer who did not see the rejection cannot silently overrule it.
      await expect(
        store.recordReview({
          migrationId: migration.id,
          consumerRef,
          patchId: patch.id,
          decision: 'approve',
          reviewer: 'user:default/bob',
        }),
      ).rejects.toThrow(
        new ConflictError(
          `Patch ${patch.id} of ${consumerRef} was reviewed meanwhile: review ${rejection.id} (reject by user:default/alice) is the latest; read it and send its id as previousReviewId to replace it`,
        ),
      );
      const approval = await store.recordReview({
        migrationId: migration.id,
        consumerRef,
        patchId: patch.id,
        previousReviewId: rejection.id,
        decision: 'approve',
        reviewer: 'user:default/bob',
      });
      // Naming a review that is no longer the latest is a conflict too.
      await expect(
        store.recordReview({
          migrationId: migration.id,
          consumerRef,
          patchId: patch.id,
          previousReviewId: rejection.id,
          decision: 'reject',
          reviewer: 'user:default/alice',
        }),
      ).rejects.toThrow(ConflictError);

      expect(approval).toEqual({
        id: expect.any(Number),
        migrationId: migration.id,
        consumerRef,
        patchId: patch.id,
        decision: 'approve',
        reviewer: 'user:default/bob',
        createdAt: expect.any(String),
      });
      await expect(
        store.listReviews(migration.id, consumerRef),
      ).resolves.toEqual([approval, rejection]);
      await expect(
        store.getConsumer(migration.id, consumerRef),
      ).resolves.toMatchObject({
        decision: approval,
      });
      const events = await store.listEvents(migration.id, { limit: 20 });
      expect(
        events.filter(e => e.type === 'review-recorded').map(e => e.message),
      ).toEqual([
        `user:default/alice rejected patch version 1 of ${consumerRef}`,
        `user:default/bob approved patch version 1 of ${consumerRef}`,
      ]);
    });

    it('accepts exactly one of several reviews racing from the same view', async () => {
      const { knex, store } = await createStore(databaseId);
      const { migration, patch, consumerRef } = await proposedWithPatch(store);

      const results = await Promise.allSettled(
        ['alice', 'bob', 'carol', 'dave'].map((name, i) =>
          store.recordReview({
            migrationId: migration.id,
            consumerRef,
            patchId: patch.id,
            decision: i % 2 ? 'reject' : 'approve',
            reviewer: `user:default/${name}`,
          }),
        ),
      );

      const accepted = results.filter(r => r.status === 'fulfilled');
      const refused = results.filter(
        (r): r is PromiseRejectedResult => r.status === 'rejected',
      );
      expect(accepted).toHaveLength(1);
      expect(refused).toHaveLength(3);
      for (const r of refused) {
        expect(r.reason).toBeInstanceOf(ConflictError);
      }
      // The refused ones left nothing behind: no review row, no event.
      expect(await rowCount(knex, 'review')).toBe(1);
      const events = await store.listEvents(migration.id, { limit: 20 });
      expect(events.filter(e => e.type === 'review-recorded')).toHaveLength(1);
      const winner = (accepted[0] as PromiseFulfilledResult<{ id: number }>)
        .value;
      await expect(
        store.getConsumer(migration.id, consumerRef),
      ).resolves.toMatchObject({
        decision: { id: winner.id },
      });
    });

    it('refuses reviews before patches exist and after the migration ends', async () => {
      const { store } = await createStore(databaseId);
      const { migration, patch, consumerRef } = await proposedWithPatch(store);
      await store.transition({ migrationId: migration.id, to: 'cancelled' });

      await expect(
        store.recordReview({
          migrationId: migration.id,
          consumerRef,
          patchId: patch.id,
          decision: 'approve',
          reviewer: 'user:default/guest',
        }),
      ).rejects.toThrow(
        new ConflictError(
          `Migration ${migration.id} is cancelled; patches are reviewed only when it is analyzing, proposed, rolling_out, paused or rolled_back`,
        ),
      );

      const draft = await createMigration(store);
      await expect(
        store.recordReview({
          migrationId: draft.id,
          consumerRef,
          patchId: patch.id,
          decision: 'approve',
          reviewer: 'user:default/guest',
        }),
      ).rejects.toThrow(ConflictError);
      await expect(
        store.recordReview({
          migrationId: 'no-such-id',
          consumerRef,
          patchId: patch.id,
          decision: 'approve',
          reviewer: 'user:default/guest',
        }),
      ).rejects.toThrow(NotFoundError);
    });

    it('refuses a review of an unknown consumer or of another consumer’s patch', async () => {
      const { store } = await createStore(databaseId);
      const { migration, patch } = await proposedWithPatch(store);
      await store.putConsumer({
        migrationId: migration.id,
        consumerRef: 'component:default/fraud-scoring',
        discoveredBy: 'catalog',
      });

      await expect(
        store.recordReview({
          migrationId: migration.id,
          consumerRef: 'component:default/nobody',
          patchId: patch.id,
          decision: 'approve',
          reviewer: 'user:default/guest',
        }),
      ).rejects.toThrow(
        new NotFoundError(
          `component:default/nobody is not a consumer in migration ${migration.id}`,
        ),
      );
      await expect(
        store.recordReview({
          migrationId: migration.id,
          consumerRef: 'component:default/fraud-scoring',
          patchId: patch.id,
          decision: 'approve',
          reviewer: 'user:default/guest',
        }),
      ).rejects.toThrow(
        new NotFoundError(
          `No patch ${patch.id} of component:default/fraud-scoring in migration ${migration.id}`,
        ),
      );
    });

    it('schedules retries of failed analyses and forgets them when the state moves', async () => {
      const { store } = await createStore(databaseId);
      const first = await createMigration(store, { title: 'first' });
      const second = await createMigration(store, { title: 'second' });
      await createMigration(store, { title: 'draft' });
      await store.transition({ migrationId: first.id, to: 'analyzing' });
      await store.transition({ migrationId: second.id, to: 'analyzing' });
      const now = new Date();

      expect((await store.listDueAnalyses(now, 10)).map(m => m.title)).toEqual([
        'first',
        'second',
      ]);
      const retryAt = new Date(now.getTime() + 60_000);
      const failed = await store.recordAnalysisFailure({
        migrationId: first.id,
        error: 'could not read component:default/jaffle-dbt',
        retryAt,
      });
      expect(failed.analysis).toEqual({
        attempts: 1,
        error: 'could not read component:default/jaffle-dbt',
        retryAt: retryAt.toISOString(),
      });
      await store.recordAnalysisFailure({
        migrationId: first.id,
        error: 'again',
        retryAt,
      });
      // Not due before its retry time, due after it.
      expect((await store.listDueAnalyses(now, 10)).map(m => m.title)).toEqual([
        'second',
      ]);
      expect(
        (await store.listDueAnalyses(new Date(retryAt.getTime() + 1), 10)).map(
          m => m.title,
        ),
      ).toEqual(['first', 'second']);
      await expect(store.getMigration(first.id)).resolves.toMatchObject({
        analysis: { attempts: 2, error: 'again' },
      });
      const events = await store.listEvents(first.id, { limit: 10 });
      expect(
        events.filter(e => e.type === 'analysis-failed').map(e => e.message),
      ).toEqual([
        'Analysis failed (attempt 1): could not read component:default/jaffle-dbt',
        'Analysis failed (attempt 2): again',
      ]);

      const proposed = await store.transition({
        migrationId: first.id,
        to: 'proposed',
      });
      expect(proposed.analysis).toBeUndefined();
      await expect(
        store.recordAnalysisFailure({
          migrationId: first.id,
          error: 'x',
          retryAt,
        }),
      ).rejects.toThrow(ConflictError);
    });

    it('finds the migrations touching an entity, as dataset or consumer', async () => {
      const { store } = await createStore(databaseId);
      const ofOrders = await createMigration(store, { title: 'orders' });
      const ofRevenue = await createMigration(store, {
        title: 'daily revenue',
        datasetRef: 'resource:default/daily-revenue',
      });
      await createMigration(store, {
        title: 'customers',
        datasetRef: 'resource:default/customers',
      });
      // daily-revenue is built from orders: a consumer of it, and a dataset.
      await store.putConsumer({
        migrationId: ofOrders.id,
        consumerRef: 'resource:default/daily-revenue',
        discoveredBy: 'catalog',
      });

      const touching = await store.listMigrationsOfEntity(
        'Resource:default/daily-revenue',
        { limit: 10, offset: 0 },
      );
      expect(touching.totalCount).toBe(2);
      expect(touching.items.map(i => [i.migration.id, i.roles])).toEqual([
        [ofRevenue.id, ['dataset']],
        [ofOrders.id, ['consumer']],
      ]);
      const page = await store.listMigrationsOfEntity(
        'resource:default/daily-revenue',
        {
          limit: 1,
          offset: 1,
        },
      );
      expect(page.items.map(i => i.migration.id)).toEqual([ofOrders.id]);
      await expect(
        store.listMigrationsOfEntity('component:default/nothing', {
          limit: 10,
          offset: 0,
        }),
      ).resolves.toEqual({ items: [], totalCount: 0 });
    });
  },
);
