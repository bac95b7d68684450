import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  PatchReason,
  PatchReasonKind,
} from '@ripple/backstage-plugin-ripple-common';
import type { Server } from 'node:http';
import request from 'supertest';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import {
  as,
  startRippleTestBackend,
  users,
} from '../__testUtils__/testBackend';
import { DatabaseValidationStore } from '../database/DatabaseValidationStore';
import type { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';

// The list routes paged by cursor (docs/backend.md, "Paging"), on SQLite
// and PostgreSQL through the real backend: a walk shows each item exactly
// once in the list's order, whatever its filters, and whatever is added or
// removed between its pages; a cursor that is not one is a 400.

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const KINDS: PatchReasonKind[] = [
  'dropped_column_used',
  'retyped_column_used',
  'ambiguous_name',
];

const VISIBLE_TO_CONTRACTOR = [
  'resource:default/customers',
  'resource:default/daily-revenue',
  'resource:default/orders',
  'group:default/analytics',
  'group:default/data-platform',
  'group:default/finance',
  'group:default/risk',
  'system:default/warehouse',
  'component:default/jaffle-dbt',
];

type Page = { items: unknown[]; totalCount?: number; nextCursor?: string };

function withQuery(url: string, query: Record<string, string | number>) {
  const params = new URLSearchParams(
    Object.entries(query).map(([k, v]) => [k, String(v)]),
  ).toString();
  return `${url}${url.includes('?') ? '&' : '?'}${params}`;
}

async function get(
  server: Server,
  url: string,
  user: keyof typeof users = 'guest',
): Promise<Page> {
  const res = await request(server).get(`/api/ripple${url}`).set(as(user));
  expectValidResponse(res);
  expect(res.status).toBe(200);
  return res.body;
}

/**
 * Every page of `url` by cursor, `limit` at a time; `between` runs after
 * each page (writes between pages). Checks what every page says of the
 * walk: its count, and a cursor on all pages but the last.
 */
async function walk(
  server: Server,
  url: string,
  limit: number,
  options: {
    user?: keyof typeof users;
    between?: (page: number) => Promise<void>;
  } = {},
): Promise<{ items: unknown[]; pages: Page[] }> {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const page = await get(
      server,
      withQuery(url, { limit, ...(cursor ? { cursor } : {}) }),
      options.user,
    );
    pages.push(page);
    cursor = page.nextCursor;
    if (cursor) {
      expect(page.items).toHaveLength(limit);
      await options.between?.(pages.length);
    }
  } while (cursor);
  return { items: pages.flatMap(p => p.items), pages };
}

/** The whole list in one page, by offset: what a walk must equal. */
async function whole(
  server: Server,
  url: string,
  user: keyof typeof users = 'guest',
): Promise<Page> {
  const page = await get(server, withQuery(url, { limit: 500 }), user);
  expect(page.nextCursor).toBeUndefined();
  return page;
}

const consumerRefs = (items: unknown[]) =>
  items.map(c => (c as { consumerRef: string }).consumerRef);
const migrationIds = (items: unknown[]) =>
  items.map(m => {
    const item = m as { id?: string; migration?: { id: string } };
    return item.migration?.id ?? item.id;
  });

async function newMigration(
  store: DatabaseMigrationStore,
  datasetRef: string,
  targetDate?: string,
) {
  return store.createMigration({
    datasetRef,
    change: { dataset: 'shop.orders', changes: [] },
    title: `Migration of ${datasetRef}`,
    owner: 'group:default/data-platform',
    createdBy: 'user:default/guest',
    ...(targetDate ? { targetDate } : {}),
  });
}

describe.each(databases.eachSupportedId())('paging on %s', databaseId => {
  let backend: Awaited<ReturnType<typeof startRippleTestBackend>>;
  let migrationId: string;

  beforeAll(async () => {
    backend = await startRippleTestBackend({ databases, databaseId });
    const { store, knex } = backend;
    const migration = await newMigration(store, 'resource:default/shop-orders');
    migrationId = migration.id;
    await store.transition({ migrationId, to: 'analyzing' });
    const validations = new DatabaseValidationStore(knex);
    // Entities of the example catalog the contractor may see (those not
    // components, and analytics' jaffle-dbt), and components they may not
    // (others', and some the catalog does not have).
    const refs = [
      ...VISIBLE_TO_CONTRACTOR,
      'component:default/finance-reports',
      'component:default/fraud-scoring',
      'component:default/orders-export',
      ...Array.from(
        { length: 14 },
        (_, i) => `component:default/c-${String(i).padStart(2, '0')}`,
      ),
    ];
    for (const [i, consumerRef] of refs.entries()) {
      await store.putConsumer({
        migrationId,
        consumerRef,
        discoveredBy: 'code',
      });
      if (i % 4 === 3) continue; // no patch yet
      const patch = await store.recordPatch({
        migrationId,
        consumerRef,
        diff: `diff ${i}`,
        baseHash: `h${i}`,
        status: 'needs_edit',
        reasons: KINDS.filter((_, k) => (i + k) % 3 !== 0).map(
          kind => ({ kind, message: kind } as PatchReason),
        ),
      });
      if (i % 5 === 0) {
        // A validation that started: `running`.
        await validations.claim(
          {
            migrationId,
            datasetRef: migration.datasetRef,
            change: migration.change,
            consumerRef,
            patchId: patch.id,
            diff: patch.diff,
            baseHash: patch.baseHash,
          },
          'example',
          new Date(0),
        );
      }
    }
  });

  afterAll(async () => {
    await backend?.stop();
  });

  it.each([
    ['no filter', ''],
    ['one reason kind', '?reasonKind=ambiguous_name'],
    [
      'two reason kinds',
      '?reasonKind=ambiguous_name&reasonKind=dropped_column_used',
    ],
    ['a validation status', '?validationStatus=running'],
    [
      'a reason kind and no validation',
      '?reasonKind=retyped_column_used&validationStatus=not_validated',
    ],
  ])(
    'walks the consumers by cursor, each once and in order, with %s',
    async (_, filter) => {
      const url = `/migrations/${migrationId}/consumers${filter}`;
      const all = await whole(backend.server, url);
      expect(all.items.length).toBeGreaterThan(3);
      const { items, pages } = await walk(backend.server, url, 3);
      expect(consumerRefs(items)).toEqual(consumerRefs(all.items));
      for (const page of pages) expect(page.totalCount).toBe(all.totalCount);
      expect(all.totalCount).toBe(all.items.length);
    },
  );

  it('walks the consumers a conditional policy lets the caller see, by cursor', async () => {
    const url = `/migrations/${migrationId}/consumers`;
    const all = await whole(backend.server, url, 'contractor');
    const refs = consumerRefs(all.items);
    // Only those they may read in the catalog.
    expect([...refs].sort()).toEqual([...VISIBLE_TO_CONTRACTOR].sort());
    const { items, pages } = await walk(backend.server, url, 2, {
      user: 'contractor',
    });
    expect(consumerRefs(items)).toEqual(refs);
    for (const page of pages) expect(page.totalCount).toBe(refs.length);
  });

  it('shows each consumer there throughout exactly once when others come and go between pages', async () => {
    const { store } = backend;
    const migration = await newMigration(
      store,
      'resource:default/shop-customers',
    );
    const ref = (i: number) =>
      `component:default/m-${String(i).padStart(3, '0')}`;
    for (let i = 10; i < 40; i += 2) {
      await store.putConsumer({
        migrationId: migration.id,
        consumerRef: ref(i),
        discoveredBy: 'code',
      });
    }
    const before = consumerRefs(
      (await whole(backend.server, `/migrations/${migration.id}/consumers`))
        .items,
    );
    const removed = new Set<string>();
    const { items, pages } = await walk(
      backend.server,
      `/migrations/${migration.id}/consumers`,
      4,
      {
        between: async page => {
          // Added before the cursor, at it, and after it; one removed
          // ahead and one already shown.
          for (const i of [page, 10 + page * 8 + 1, 39 - page]) {
            await store.putConsumer({
              migrationId: migration.id,
              consumerRef: ref(i),
              discoveredBy: 'code',
            });
          }
          for (const gone of [ref(38 - page * 2), ref(10 + (page - 1) * 2)]) {
            if (
              await store.removeConsumer({
                migrationId: migration.id,
                consumerRef: gone,
                reason: 'gone',
              })
            ) {
              removed.add(gone);
            }
          }
        },
      },
    );
    const shown = consumerRefs(items);
    expect(new Set(shown).size).toBe(shown.length);
    expect([...shown].sort()).toEqual(shown);
    for (const r of before.filter(x => !removed.has(x))) {
      expect(shown).toContain(r);
    }
    // The kept count follows the writes: each page says the list's size then.
    const last = pages[pages.length - 1];
    expect(last.totalCount).toBe(
      (await whole(backend.server, `/migrations/${migration.id}/consumers`))
        .items.length,
    );
  });

  it("walks the migrations by cursor in each order and filter, and an entity's", async () => {
    const { store } = backend;
    const dataset = 'resource:default/paging-dataset';
    const created = [];
    for (const [i, date] of [
      '2027-03-01',
      undefined,
      '2027-01-15',
      '2027-03-01',
      undefined,
      '2027-02-01',
      '2027-03-01',
    ].entries()) {
      const m = await newMigration(
        store,
        i % 2 ? dataset : `${dataset}-${i}`,
        date,
      );
      created.push(m);
      await store.putConsumer({
        migrationId: m.id,
        consumerRef: 'component:default/paging-consumer',
        discoveredBy: 'catalog',
      });
    }
    for (const url of [
      '/migrations',
      '/migrations?sort=deadline',
      '/migrations?sort=deadline&hasDeadline=true',
      '/migrations?sort=deadline&deadlineBefore=2027-02-15',
      `/migrations?dataset=${encodeURIComponent(dataset)}`,
      '/migrations?state=draft&sort=deadline',
      '/entities/component/default/paging-consumer/migrations',
      `/entities/resource/default/paging-dataset/migrations`,
    ]) {
      const all = await whole(backend.server, url);
      expect(all.items.length).toBeGreaterThan(0);
      const { items, pages } = await walk(backend.server, url, 2);
      expect(migrationIds(items)).toEqual(migrationIds(all.items));
      for (const page of pages) expect(page.totalCount).toBe(all.totalCount);
    }
    // The deadline order: dated first, earliest first, newest among equals.
    const byDeadline = await whole(
      backend.server,
      withQuery('/migrations', { sort: 'deadline', dataset }),
    );
    expect(migrationIds(byDeadline.items)).toEqual(
      [created[5], created[3], created[1]].map(m => m.id),
    );
  });

  it('walks the timeline by cursor, and follows it with after', async () => {
    const url = `/migrations/${migrationId}/events`;
    const all = await whole(backend.server, url);
    expect(all.items.length).toBeGreaterThan(10);
    const { items } = await walk(backend.server, url, 4);
    expect(items).toEqual(all.items);
    const ids = items.map(e => (e as { id: number }).id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it("refuses a cursor that is not one of the list's, naming cursor", async () => {
    const consumers = `/migrations/${migrationId}/consumers`;
    const { nextCursor } = await get(backend.server, `${consumers}?limit=2`);
    expect(nextCursor).toBeDefined();
    const refused = async (url: string) => {
      const res = await request(backend.server)
        .get(`/api/ripple${url}`)
        .set(as('guest'));
      expectValidResponse(res);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/cursor/);
      return res.body.error.message as string;
    };
    await refused(`${consumers}?cursor=not%20a%20cursor`);
    await refused(`${consumers}?cursor=bm90IGpzb24`);
    await refused(
      `${consumers}?cursor=${Buffer.from('{"l":"consumers"}').toString(
        'base64url',
      )}`,
    );
    // Another list, another filter, or with an offset.
    await refused(`/migrations?cursor=${nextCursor}`);
    await refused(`/migrations/${migrationId}/events?cursor=${nextCursor}`);
    expect(
      await refused(
        `${consumers}?reasonKind=ambiguous_name&cursor=${nextCursor}`,
      ),
    ).toMatch(/other filters/);
    await refused(`${consumers}?offset=2&cursor=${nextCursor}`);
    // A cursor whose key is not a ref: refused, never sent to SQL.
    const forged = JSON.parse(Buffer.from(nextCursor!, 'base64url').toString());
    await refused(
      `${consumers}?cursor=${Buffer.from(
        JSON.stringify({ ...forged, k: { or: '1=1' } }),
      ).toString('base64url')}`,
    );
  });
});
