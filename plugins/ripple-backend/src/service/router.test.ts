import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import type { Migration, Patch } from '@ripple/backstage-plugin-ripple-common';
import { Server } from 'node:http';
import request from 'supertest';
import { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import {
  as,
  AuditRecord,
  startRippleTestBackend,
  users,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const change = {
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

const ordersExport = 'component:default/orders-export';
const jaffleDbt = 'component:default/jaffle-dbt';

describe.each(databases.eachSupportedId())(
  'the migrations API on %s',
  databaseId => {
    let server: Server;
    let store: DatabaseMigrationStore;
    let auditEvents: AuditRecord[];

    beforeAll(async () => {
      ({ server, store, auditEvents } = await startRippleTestBackend({
        databases,
        databaseId,
      }));
    });

    /** Sends a request and checks the response against the OpenAPI spec. */
    async function call(test: request.Test): Promise<request.Response> {
      const res = await test;
      expectValidResponse(res);
      return res;
    }

    const api = {
      get: (path: string, user: keyof typeof users = 'guest') =>
        call(request(server).get(`/api/ripple${path}`).set(as(user))),
      post: (path: string, body?: object, user: keyof typeof users = 'guest') =>
        call(
          request(server)
            .post(`/api/ripple${path}`)
            .set(as(user))
            .send(body ?? {}),
        ),
    };

    async function createMigration(
      body: object = {},
      user: keyof typeof users = 'guest',
    ): Promise<Migration> {
      const res = await api.post(
        '/migrations',
        {
          datasetRef: 'resource:default/orders',
          change,
          title: 'Rename amount to amount_usd',
          ...body,
        },
        user,
      );
      expect(res.status).toBe(201);
      return res.body;
    }

    /**
     * A migration the agent has analysed: in `proposed`, with orders-export
     * and jaffle-dbt as consumers and a patch for each. (The agent is not
     * built yet; the store on the same database stands in for it.)
     */
    async function proposedMigration() {
      const migration = await createMigration();
      expect(
        (await api.post(`/migrations/${migration.id}/analyze`)).status,
      ).toBe(202);
      const patches: Record<string, Patch> = {};
      for (const consumerRef of [ordersExport, jaffleDbt]) {
        await store.putConsumer({
          migrationId: migration.id,
          consumerRef,
          discoveredBy: 'catalog',
          impact: {
            files: [{ path: 'q.sql', references: 1, columns: ['amount'] }],
            references: 1,
          },
        });
        patches[consumerRef] = await store.recordPatch({
          migrationId: migration.id,
          consumerRef,
          diff: '--- a/q.sql\n+++ b/q.sql\n@@ -1 +1 @@\n-SELECT amount\n+SELECT amount_usd AS amount\n',
          baseHash: `sha256:${consumerRef}`,
          status: 'rewritten',
          reasons: [],
        });
      }
      await store.transition({ migrationId: migration.id, to: 'proposed' });
      return { migration, patches };
    }

    const path = (migration: Migration, consumerRef: string, rest: string) =>
      `/migrations/${migration.id}/consumers/${encodeURIComponent(
        consumerRef,
      )}/${rest}`;

    describe('creating, listing and reading migrations', () => {
      it('creates a migration in draft, owned by its creator, audited and on the timeline', async () => {
        const created = await createMigration();
        expect(created).toMatchObject({
          datasetRef: 'resource:default/orders',
          change,
          title: 'Rename amount to amount_usd',
          owner: users.guest.ref,
          createdBy: users.guest.ref,
          state: 'draft',
        });

        const got = await api.get(`/migrations/${created.id}`);
        expect(got.status).toBe(200);
        expect(got.body).toEqual(created);
        const events = await api.get(`/migrations/${created.id}/events`);
        expect(events.body.items).toEqual([
          expect.objectContaining({ type: 'created', actor: users.guest.ref }),
        ]);
        expect(auditEvents).toContainEqual({
          eventId: 'migration-create',
          meta: {
            datasetRef: 'resource:default/orders',
            owner: users.guest.ref,
          },
          outcome: 'success',
        });
      });

      it('takes an owner from the catalog, and a dataset ref without its namespace', async () => {
        const created = await createMigration({
          datasetRef: 'resource:customers',
          owner: 'group:default/data-platform',
          change: { ...change, dataset: 'proj.ds.customers' },
        });
        expect(created).toMatchObject({
          datasetRef: 'resource:default/customers',
          owner: 'group:default/data-platform',
        });
      });

      it('lists migrations newest first, by state and dataset, a page at a time', async () => {
        const revenueChange = {
          dataset: 'proj.reporting.daily_revenue',
          changes: [{ kind: 'rename_column', column: 'revenue', to: 'gross' }],
        };
        // analytics owns daily-revenue: its migrations are the analyst's to make.
        const first = await createMigration(
          {
            datasetRef: 'resource:default/daily-revenue',
            change: revenueChange,
            title: 'first',
          },
          'analyst',
        );
        const second = await createMigration(
          {
            datasetRef: 'resource:default/daily-revenue',
            change: revenueChange,
            title: 'second',
          },
          'analyst',
        );
        expect(
          (await api.post(`/migrations/${second.id}/analyze`, {}, 'analyst'))
            .status,
        ).toBe(202);

        const page = await api.get(
          `/migrations?dataset=${encodeURIComponent(
            'resource:default/daily-revenue',
          )}&limit=1`,
        );
        expect(page.status).toBe(200);
        expect(page.body).toEqual({
          items: [expect.objectContaining({ id: second.id })],
          totalCount: 2,
          nextCursor: expect.any(String),
        });
        const next = await api.get(
          `/migrations?dataset=${encodeURIComponent(
            'resource:default/daily-revenue',
          )}&limit=1&offset=1`,
        );
        expect(next.body.items.map((m: Migration) => m.id)).toEqual([first.id]);
        // The same page by cursor; the last page has none.
        const byCursor = await api.get(
          `/migrations?dataset=${encodeURIComponent(
            'resource:default/daily-revenue',
          )}&limit=1&cursor=${page.body.nextCursor}`,
        );
        expect(byCursor.body).toEqual(next.body);
        expect(byCursor.body).not.toHaveProperty('nextCursor');
        const drafts = await api.get(
          `/migrations?dataset=${encodeURIComponent(
            'resource:default/daily-revenue',
          )}&state=draft&state=cancelled`,
        );
        expect(drafts.body.items.map((m: Migration) => m.id)).toEqual([
          first.id,
        ]);
      });

      it('answers 404 for an unknown migration', async () => {
        const res = await api.get('/migrations/no-such-migration');
        expect(res.status).toBe(404);
        expect(res.body.error.message).toBe('No migration no-such-migration');
      });
    });

    describe('bad input gets a 400 naming the field', () => {
      it.each([
        [
          'a missing title',
          { datasetRef: 'resource:default/orders', change },
          /title/,
        ],
        [
          'an unknown field',
          {
            datasetRef: 'resource:default/orders',
            change,
            title: 't',
            colour: 'red',
          },
          /^request\/body\/colour: unknown field \(expected datasetRef, change, title, owner, targetDate\)$/,
        ],
        [
          'a change spec the engine refuses',
          {
            datasetRef: 'resource:default/orders',
            title: 't',
            change: { ...change, changes: [] },
          },
          /^change\.changes: must list at least one change$/,
        ],
        [
          'a change naming the same column twice',
          {
            datasetRef: 'resource:default/orders',
            title: 't',
            change: {
              ...change,
              changes: [
                { kind: 'drop_column', column: 'amount' },
                { kind: 'rename_column', column: 'amount', to: 'x' },
              ],
            },
          },
          /^change\.changes\[1\]\.column: changes a column another change already changes$/,
        ],
        [
          'an unknown field in the change spec',
          {
            datasetRef: 'resource:default/orders',
            title: 't',
            change: { ...change, colour: 1 },
          },
          // Refused by the spec, which holds the engine's schema.
          /^request\/body\/change\/colour: unknown field \(expected changes, dataset, dialect, preserve_output_names\)$/,
        ],
        [
          'an unknown field in one of its changes',
          {
            datasetRef: 'resource:default/orders',
            title: 't',
            change: {
              ...change,
              changes: [{ kind: 'drop_column', column: 'amount', to: 'x' }],
            },
          },
          /^request\/body\/change\/changes\/0\/to: unknown field \(expected column, kind\)$/,
        ],
        [
          'a dataset missing from the catalog',
          { datasetRef: 'resource:default/no-such-table', title: 't', change },
          /^datasetRef: no entity resource:default\/no-such-table in the catalog$/,
        ],
        [
          'a dataset that is not a dataset',
          { datasetRef: ordersExport, title: 't', change },
          /^datasetRef: component:default\/orders-export is not a dataset \(a Resource of type dataset\)$/,
        ],
        [
          'a dataset ref that is not an entity ref',
          { datasetRef: 'orders', title: 't', change },
          /^datasetRef: "orders" is not an entity ref/,
        ],
        [
          'an owner missing from the catalog',
          {
            datasetRef: 'resource:default/orders',
            title: 't',
            change,
            owner: 'group:default/nobody',
          },
          /^owner: no entity group:default\/nobody in the catalog$/,
        ],
      ])('%s', async (_, body, message) => {
        const before = (await api.get('/migrations?limit=1')).body.totalCount;
        const res = await api.post('/migrations', body);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toMatch(message);
        // Nothing was written.
        expect((await api.get('/migrations?limit=1')).body.totalCount).toBe(
          before,
        );
      });

      it('refuses a malformed consumer ref, pagination or state filter', async () => {
        const { migration } = await proposedMigration();
        const badRef = await api.get(
          `/migrations/${migration.id}/consumers/orders-export/patch`,
        );
        expect(badRef.status).toBe(400);
        expect(badRef.body.error.message).toMatch(
          /^consumerRef: "orders-export" is not an entity ref/,
        );
        const badLimit = await api.get('/migrations?limit=0');
        expect(badLimit.status).toBe(400);
        expect(badLimit.body.error.message).toMatch(/limit/);
        const badState = await api.get('/migrations?state=finished');
        expect(badState.status).toBe(400);
        expect(badState.body.error.message).toMatch(/state/);
      });
    });

    describe('analysis and cancellation', () => {
      it('asks for analysis once; asking again while analyzing changes nothing', async () => {
        const migration = await createMigration();
        const first = await api.post(`/migrations/${migration.id}/analyze`);
        expect(first.status).toBe(202);
        expect(first.body.state).toBe('analyzing');
        const again = await api.post(`/migrations/${migration.id}/analyze`);
        expect(again.status).toBe(202);
        expect(again.body).toEqual(first.body);
        const events = await api.get(`/migrations/${migration.id}/events`);
        expect(
          events.body.items.map((e: { message: string }) => e.message),
        ).toEqual([
          expect.stringMatching(
            /^Migration "Rename amount to amount_usd" created/,
          ),
          'Analysis requested',
        ]);
      });

      it('cancels with a reason on the timeline; a cancelled migration stays cancelled', async () => {
        const migration = await createMigration();
        const res = await api.post(`/migrations/${migration.id}/cancel`, {
          reason: 'wrong column',
        });
        expect(res.status).toBe(200);
        expect(res.body.state).toBe('cancelled');
        const events = await api.get(
          `/migrations/${migration.id}/events?after=0&limit=10`,
        );
        expect(events.body.items.at(-1)).toMatchObject({
          type: 'state-changed',
          message: 'Cancelled: wrong column',
          actor: users.guest.ref,
          data: { from: 'draft', to: 'cancelled' },
        });

        const again = await api.post(`/migrations/${migration.id}/cancel`);
        expect(again.status).toBe(409);
        expect(again.body.error.message).toBe(
          `Migration ${migration.id} is cancelled; it can become cancelled only from draft, analyzing, proposed or rolled_back`,
        );
        const analyze = await api.post(`/migrations/${migration.id}/analyze`);
        expect(analyze.status).toBe(409);
        expect(
          auditEvents.filter(e => e.meta?.migrationId === migration.id),
        ).toEqual([
          expect.objectContaining({
            eventId: 'migration-cancel',
            outcome: 'success',
          }),
          expect.objectContaining({
            eventId: 'migration-cancel',
            outcome: 'failure',
          }),
          expect.objectContaining({
            eventId: 'migration-analyze',
            outcome: 'failure',
          }),
        ]);
      });

      it('answers 404 when analysing or cancelling an unknown migration', async () => {
        expect((await api.post('/migrations/nope/analyze')).status).toBe(404);
        expect((await api.post('/migrations/nope/cancel')).status).toBe(404);
      });
    });

    describe('consumers, patches and reviews', () => {
      it('lists consumers with their patch, and shows a patch with its reviews', async () => {
        const { migration, patches } = await proposedMigration();
        const consumers = await api.get(
          `/migrations/${migration.id}/consumers?limit=1`,
        );
        expect(consumers.status).toBe(200);
        expect(consumers.body).toEqual({
          items: [
            expect.objectContaining({
              consumerRef: jaffleDbt,
              discoveredBy: 'catalog',
              patch: expect.objectContaining({
                id: patches[jaffleDbt].id,
                version: 1,
                stale: false,
              }),
            }),
          ],
          totalCount: 2,
          nextCursor: expect.any(String),
        });

        const patch = await api.get(path(migration, ordersExport, 'patch'));
        expect(patch.status).toBe(200);
        expect(patch.body).toEqual({
          patch: patches[ordersExport],
          reviews: [],
        });

        const unknown = await api.get(
          path(migration, 'component:default/fraud-scoring', 'patch'),
        );
        expect(unknown.status).toBe(404);
        expect(unknown.body.error.message).toBe(
          `component:default/fraud-scoring is not a consumer in migration ${migration.id}`,
        );
      });

      it('shows one consumer as the list does, and 404 for one not in the migration', async () => {
        const { migration, patches } = await proposedMigration();
        const one = await api.get(
          `/migrations/${migration.id}/consumers/${encodeURIComponent(
            ordersExport,
          )}`,
        );
        expect(one.status).toBe(200);
        const list = await api.get(`/migrations/${migration.id}/consumers`);
        expect(one.body).toEqual(
          list.body.items.find(
            (c: { consumerRef: string }) => c.consumerRef === ordersExport,
          ),
        );
        expect(one.body.patch.id).toBe(patches[ordersExport].id);

        const unknown = await api.get(
          `/migrations/${migration.id}/consumers/${encodeURIComponent(
            'component:default/fraud-scoring',
          )}`,
        );
        expect(unknown.status).toBe(404);
        expect(unknown.body.error.message).toBe(
          `component:default/fraud-scoring is not a consumer in migration ${migration.id}`,
        );
      });

      it("lets a consumer's owner approve its patch, and keeps the history", async () => {
        const { migration, patches } = await proposedMigration();
        const patchId = patches[ordersExport].id;

        const rejected = await api.post(
          path(migration, ordersExport, 'review'),
          {
            decision: 'reject',
            patchId,
            comment: 'The partner file keeps the column name',
          },
        );
        expect(rejected.status).toBe(201);
        const approved = await api.post(
          path(migration, ordersExport, 'review'),
          {
            decision: 'approve',
            patchId,
            previousReviewId: rejected.body.id,
          },
        );
        expect(approved.status).toBe(201);
        expect(approved.body).toMatchObject({
          consumerRef: ordersExport,
          patchId,
          decision: 'approve',
          reviewer: users.guest.ref,
        });

        const patch = await api.get(path(migration, ordersExport, 'patch'));
        expect(patch.body.reviews).toEqual([approved.body, rejected.body]);
        const consumers = await api.get(
          `/migrations/${migration.id}/consumers`,
        );
        expect(consumers.body.items).toContainEqual(
          expect.objectContaining({
            consumerRef: ordersExport,
            decision: approved.body,
          }),
        );
        expect(auditEvents).toContainEqual({
          eventId: 'patch-review',
          meta: {
            migrationId: migration.id,
            consumerRef: ordersExport,
            patchId,
            decision: 'approve',
          },
          outcome: 'success',
        });
      });

      it('refuses a review by someone who does not own the consumer', async () => {
        const { migration, patches } = await proposedMigration();
        // The analyst's group owns jaffle-dbt, not orders-export.
        const res = await api.post(
          path(migration, ordersExport, 'review'),
          { decision: 'approve', patchId: patches[ordersExport].id },
          'analyst',
        );
        expect(res.status).toBe(403);
        expect(res.body.error.message).toBe(
          `You are not allowed to review the patches of ${ordersExport} (ripple.patch.review)`,
        );
        const own = await api.post(
          path(migration, jaffleDbt, 'review'),
          { decision: 'approve', patchId: patches[jaffleDbt].id },
          'analyst',
        );
        expect(own.status).toBe(201);
        const patch = await api.get(path(migration, ordersExport, 'patch'));
        expect(patch.body.reviews).toEqual([]);
      });

      it('refuses a review of a stale or superseded patch with 409', async () => {
        const { migration, patches } = await proposedMigration();
        const old = patches[ordersExport];
        await store.markPatchStale({
          migrationId: migration.id,
          consumerRef: ordersExport,
          patchId: old.id,
        });
        const stale = await api.post(path(migration, ordersExport, 'review'), {
          decision: 'approve',
          patchId: old.id,
        });
        expect(stale.status).toBe(409);
        expect(stale.body.error.message).toMatch(
          /is stale: the code changed since it was made/,
        );

        const regenerated = await store.recordPatch({
          migrationId: migration.id,
          consumerRef: ordersExport,
          diff: `${old.diff}\n`,
          baseHash: 'sha256:new',
          status: 'rewritten',
          reasons: [],
        });
        const superseded = await api.post(
          path(migration, ordersExport, 'review'),
          {
            decision: 'approve',
            patchId: old.id,
          },
        );
        expect(superseded.status).toBe(409);
        expect(superseded.body.error.message).toBe(
          `Patch ${old.id} (version 1) of ${ordersExport} was superseded by patch ${regenerated.id}; review the current one`,
        );
        const current = await api.post(
          path(migration, ordersExport, 'review'),
          {
            decision: 'approve',
            patchId: regenerated.id,
          },
        );
        expect(current.status).toBe(201);
      });

      it('accepts one of several racing reviews and answers 409 to the others', async () => {
        const { migration, patches } = await proposedMigration();
        const patchId = patches[ordersExport].id;

        const results = await Promise.all(
          ['approve', 'reject', 'approve', 'reject'].map(decision =>
            api.post(path(migration, ordersExport, 'review'), {
              decision,
              patchId,
            }),
          ),
        );

        expect(results.map(r => r.status).sort()).toEqual([201, 409, 409, 409]);
        for (const refused of results.filter(r => r.status === 409)) {
          expect(refused.body.error.message).toMatch(
            /was reviewed (meanwhile|by someone else at the same time)/,
          );
        }
        const patch = await api.get(path(migration, ordersExport, 'patch'));
        expect(patch.body.reviews).toHaveLength(1);
      });

      it('refuses a review with an unknown patch, decision or migration', async () => {
        const { migration } = await proposedMigration();
        const unknownPatch = await api.post(
          path(migration, ordersExport, 'review'),
          {
            decision: 'approve',
            patchId: 999999,
          },
        );
        expect(unknownPatch.status).toBe(404);
        expect(unknownPatch.body.error.message).toBe(
          `No patch 999999 of ${ordersExport} in migration ${migration.id}`,
        );
        const badDecision = await api.post(
          path(migration, ordersExport, 'review'),
          {
            decision: 'maybe',
            patchId: 1,
          },
        );
        expect(badDecision.status).toBe(400);
        expect(badDecision.body.error.message).toMatch(/decision/);
        const noPatch = await api.post(
          path(migration, ordersExport, 'review'),
          {
            decision: 'approve',
          },
        );
        expect(noPatch.status).toBe(400);
        expect(noPatch.body.error.message).toMatch(/patchId/);
      });
    });

    describe('permissions', () => {
      it('denies creating, analysing, cancelling and reviewing to whom the policy denies them', async () => {
        const { migration, patches } = await proposedMigration();
        const before = (await api.get('/migrations?limit=1')).body.totalCount;

        const create = await api.post(
          '/migrations',
          { datasetRef: 'resource:default/orders', change, title: 't' },
          'mallory',
        );
        expect(create.status).toBe(403);
        expect(create.body.error.message).toBe(
          'You are not allowed to create migrations of resource:default/orders (ripple.migration.create)',
        );
        const analyze = await api.post(
          `/migrations/${migration.id}/analyze`,
          {},
          'mallory',
        );
        expect(analyze.status).toBe(403);
        const cancel = await api.post(
          `/migrations/${migration.id}/cancel`,
          {},
          'mallory',
        );
        expect(cancel.status).toBe(403);
        expect(cancel.body.error.message).toBe(
          'You are not allowed to cancel migrations of resource:default/orders (ripple.migration.cancel)',
        );
        const review = await api.post(
          path(migration, ordersExport, 'review'),
          { decision: 'approve', patchId: patches[ordersExport].id },
          'mallory',
        );
        expect(review.status).toBe(403);

        // Nothing changed, and every refusal is in the audit log.
        expect((await api.get('/migrations?limit=1')).body.totalCount).toBe(
          before,
        );
        expect((await api.get(`/migrations/${migration.id}`)).body.state).toBe(
          'proposed',
        );
        expect(
          auditEvents
            .filter(
              e => e.outcome === 'failure' && /not allowed/.test(e.error ?? ''),
            )
            .map(e => e.eventId),
        ).toEqual(
          expect.arrayContaining([
            'migration-create',
            'migration-analyze',
            'migration-cancel',
            'patch-review',
          ]),
        );
      });

      it('lets anyone signed in read', async () => {
        const res = await api.get('/migrations', 'mallory');
        expect(res.status).toBe(200);
      });

      it('refuses requests without valid credentials, and services where a person must act', async () => {
        const anonymous = await request(server)
          .get('/api/ripple/migrations')
          .set({ Authorization: mockCredentials.none.header() });
        expect(anonymous.status).toBe(401);
        const invalid = await request(server)
          .get('/api/ripple/migrations')
          .set({ Authorization: mockCredentials.user.invalidHeader() });
        expect(invalid.status).toBe(401);
        // A review or a migration is a person's act: service tokens may read only.
        const service = await request(server)
          .post('/api/ripple/migrations')
          .set({ Authorization: mockCredentials.service.header() })
          .send({ datasetRef: 'resource:default/orders', change, title: 't' });
        expect(service.status).toBe(403);
        const serviceRead = await request(server)
          .get('/api/ripple/migrations')
          .set({ Authorization: mockCredentials.service.header() });
        expect(serviceRead.status).toBe(200);
      });
    });

    describe('migrations of an entity', () => {
      it('lists the migrations touching an entity as dataset or consumer', async () => {
        const { migration } = await proposedMigration();
        const ofExport = await api.get(
          '/entities/component/default/orders-export/migrations',
        );
        expect(ofExport.status).toBe(200);
        expect(ofExport.body.items).toContainEqual({
          migration: expect.objectContaining({ id: migration.id }),
          roles: ['consumer'],
        });
        const ofOrders = await api.get(
          '/entities/resource/default/orders/migrations?limit=1',
        );
        expect(ofOrders.body.items).toEqual([
          {
            migration: expect.objectContaining({ id: migration.id }),
            roles: ['dataset'],
          },
        ]);
        expect(ofOrders.body.totalCount).toBeGreaterThan(1);
      });
    });
  },
);
