import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  Migration,
  PatchReason,
} from '@ripple/backstage-plugin-ripple-common';
import { Server } from 'node:http';
import request from 'supertest';
import { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import {
  as,
  startRippleTestBackend,
  users,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

// A patch's reasons over HTTP: kind, severity and place as the spec types
// them, and the consumer list filtered by kind (`?reasonKind=`), for a
// caller who sees every consumer and for one the catalog lets see some.
const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const ordersExport = 'component:default/orders-export';
const jaffleDbt = 'component:default/jaffle-dbt';

const using: PatchReason = {
  path: 'q.sql',
  kind: 'using_join',
  severity: 'needs_edit',
  line: 2,
  column: 40,
  endLine: 2,
  endColumn: 46,
  message:
    '`amount` joins the dataset with `refunds` by name (USING); rename it on both sides by hand',
};

describe.each(databases.eachSupportedId())(
  'reasons over HTTP on %s',
  databaseId => {
    let server: Server;
    let store: DatabaseMigrationStore;
    let migration: Migration;

    const get = async (path: string, user: keyof typeof users = 'guest') => {
      const res = await request(server).get(`/api/ripple${path}`).set(as(user));
      expectValidResponse(res);
      return res;
    };

    beforeAll(async () => {
      ({ server, store } = await startRippleTestBackend({
        databases,
        databaseId,
      }));
      const created = await request(server)
        .post('/api/ripple/migrations')
        .set(as('guest'))
        .send({
          datasetRef: 'resource:default/orders',
          change: {
            dataset: 'proj.ds.orders',
            changes: [
              { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
            ],
          },
          title: 'Rename amount',
        });
      migration = created.body;
      await store.transition({ migrationId: migration.id, to: 'analyzing' });
      const patched = async (consumerRef: string, reasons: PatchReason[]) => {
        await store.putConsumer({
          migrationId: migration.id,
          consumerRef,
          discoveredBy: 'catalog',
        });
        await store.recordPatch({
          migrationId: migration.id,
          consumerRef,
          diff: '',
          baseHash: `sha256:${consumerRef}`,
          status: 'needs_edit',
          reasons,
        });
      };
      await patched(ordersExport, [using]);
      await patched(jaffleDbt, [
        { ...using, kind: 'ambiguous_name', message: 'could come from a, b' },
        {
          path: 'models/x.sql',
          kind: 'output_names_kept',
          severity: 'note',
          message: 'output column names are kept',
        },
      ]);
      await store.transition({ migrationId: migration.id, to: 'proposed' });
    });

    const refs = (body: { items: { consumerRef: string }[] }) =>
      body.items.map(c => c.consumerRef);

    it('gives each reason its kind, severity, line and column', async () => {
      const res = await get(
        `/migrations/${migration.id}/consumers/${encodeURIComponent(
          ordersExport,
        )}/patch`,
      );
      expect(res.status).toBe(200);
      expect(res.body.patch.reasons).toEqual([using]);
    });

    it('filters the consumers by the kinds of their reasons', async () => {
      const list = (query: string, user: keyof typeof users = 'guest') =>
        get(`/migrations/${migration.id}/consumers?${query}`, user);

      const one = await list('reasonKind=using_join');
      expect(one.status).toBe(200);
      expect([refs(one.body), one.body.totalCount]).toEqual([
        [ordersExport],
        1,
      ]);
      const either = await list(
        'reasonKind=using_join&reasonKind=output_names_kept&limit=1',
      );
      expect([refs(either.body), either.body.totalCount]).toEqual([
        [jaffleDbt],
        2,
      ]);
      const none = await list('reasonKind=verification_failed');
      expect([refs(none.body), none.body.totalCount]).toEqual([[], 0]);

      // The contractor sees jaffle-dbt only: the filter and the catalog's
      // permission both apply, and the count is of what they may see.
      const seen = await list(
        'reasonKind=using_join&reasonKind=ambiguous_name',
        'contractor',
      );
      expect([refs(seen.body), seen.body.totalCount]).toEqual([[jaffleDbt], 1]);
    });

    it('refuses a kind the spec does not know, naming the parameter', async () => {
      const res = await get(
        `/migrations/${migration.id}/consumers?reasonKind=wrong_kind`,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/reasonKind/);
    });
  },
);
