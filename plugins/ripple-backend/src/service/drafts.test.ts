import notificationsPlugin from '@backstage/plugin-notifications-backend';
import type { Notification } from '@backstage/plugin-notifications-common';
import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  Migration,
  MigrationEvent,
} from '@ripple/backstage-plugin-ripple-common';
import fs from 'node:fs/promises';
import { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import type { Knex } from 'knex';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import {
  type LogRecord,
  recordingLoggerFactory,
} from '../__testUtils__/recordingLogger';
import { waitForWholeRun } from '../__testUtils__/scheduledRuns';
import {
  as,
  type AuditRecord,
  startRippleTestBackend,
} from '../__testUtils__/testBackend';
import { writeFolders } from '../__testUtils__/warehouseFiles';

// Issue 23: a dataset whose schema changes gets a draft migration, its
// owners a notification. A real backend on both databases, the real
// catalog reading the datasets from files written here (the schema file
// is read again at each run; an annotation when the catalog processes the
// entity again, every second here), the real scheduler running the draft
// task, the agent's preview for the impact, and the real notifications
// backend.

jest.setTimeout(300_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const datasetRef = (name: string) => `resource:default/${name}`;

function dataset(name: string, annotations: string): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: ${name}
  annotations:
    ripple.io/dialect: duckdb
${annotations}
spec:
  type: dataset
  owner: group:default/data-platform
`;
}

function component(name: string, dependsOn: string): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: data-pipeline
  lifecycle: production
  owner: group:default/data-platform
  dependsOn: [${datasetRef(dependsOn)}]
`;
}

const SCHEMA = `columns:
  - {name: id, type: INTEGER}
  - {name: amount, type: INTEGER}
  - {name: status, type: VARCHAR}
`;
// amount renamed as declared; status dropped and state added with its
// type at its place: a rename the engine suggests.
const RENAMED = `columns:
  - {name: id, type: INTEGER}
  - {name: amount_usd, type: INTEGER, renamed_from: amount}
  - {name: state, type: VARCHAR}
`;
// Then id retyped, the rest as before.
const RETYPED = RENAMED.replace(
  '{name: id, type: INTEGER}',
  '{name: id, type: BIGINT}',
);
const ITEMS = (columns: string) =>
  `    ripple.io/table: shop.items\n    ripple.io/schema: "${columns}"`;

const FOLDERS: Record<string, Record<string, string>> = {
  'draft-orders': {
    'catalog-info.yaml': dataset(
      'draft-orders',
      '    ripple.io/table: shop.orders\n    ripple.io/schema-file: schema.yaml',
    ),
    'schema.yaml': SCHEMA,
  },
  // Reads amount and status: broken by the change.
  'draft-report': {
    'catalog-info.yaml': component('draft-report', 'draft-orders'),
    'report.sql':
      'SELECT status, sum(amount) AS total FROM shop.orders GROUP BY status;\n',
  },
  // Reads id only: unaffected until id is retyped.
  'draft-ids': {
    'catalog-info.yaml': component('draft-ids', 'draft-orders'),
    'ids.sql': 'SELECT count(*) AS n FROM shop.orders;\n',
  },
  items: {
    'catalog-info.yaml': dataset(
      'items',
      ITEMS('[{name: sku, type: VARCHAR}, {name: price, type: INTEGER}]'),
    ),
  },
  // A schema annotation Ripple cannot read: skipped, with a log line.
  'bad-orders': {
    'catalog-info.yaml': dataset(
      'bad-orders',
      '    ripple.io/schema: "[{type: INTEGER}]"',
    ),
  },
};

describe.each(databases.eachSupportedId())(
  'drafts from schema changes on %s',
  databaseId => {
    let server: Server;
    let stop: () => Promise<void>;
    let knex: Knex;
    let auditEvents: AuditRecord[];
    let pluginDatabases: Map<string, Knex>;
    let root: string;
    let locations: string[];
    const logs: LogRecord[] = [];

    async function start(share?: Map<string, Knex>) {
      ({ server, stop, auditEvents, knex, pluginDatabases } =
        await startRippleTestBackend({
          databases,
          databaseId,
          share,
          locations,
          readable: [root],
          agent: { intervalSeconds: 1 },
          features: [notificationsPlugin, recordingLoggerFactory(logs)],
          config: {
            app: { baseUrl: 'http://localhost:3000' },
            catalog: { processingInterval: { seconds: 1 } },
            ripple: {
              agent: { searchCode: false },
              // Every 1.2 s.
              drafts: { fromSchemaChanges: true, intervalMinutes: 0.02 },
            },
          },
        }));
    }

    beforeAll(async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-drafts-'));
      locations = await writeFolders(root, FOLDERS);
      await start();
    });

    afterAll(async () => {
      await stop();
      await fs.rm(root, { recursive: true, force: true });
    });

    async function call(
      method: 'get' | 'post',
      url: string,
      body?: object,
      user: Parameters<typeof as>[0] = 'guest',
    ): Promise<request.Response> {
      const req = request(server)[method](`/api/ripple${url}`).set(as(user));
      const res = await (body === undefined ? req : req.send(body));
      expectValidResponse(res);
      return res;
    }

    const wholeRun = () =>
      waitForWholeRun(server, {
        taskId: 'ripple-drafts',
        headers: as('guest'),
      });

    async function migrationsOf(name: string): Promise<Migration[]> {
      const res = await call(
        'get',
        `/migrations?dataset=${encodeURIComponent(datasetRef(name))}`,
      );
      expect(res.status).toBe(200);
      return res.body.items;
    }

    async function inbox(): Promise<Notification[]> {
      const res = await request(server)
        .get('/api/notifications/notifications')
        .query({ topic: 'ripple-draft' })
        .set(as('guest'));
      expect(res.status).toBe(200);
      return res.body.notifications;
    }

    async function events(id: string): Promise<MigrationEvent[]> {
      return (await call('get', `/migrations/${id}/events`)).body.items;
    }

    it('records the first sighting only, and skips a bad annotation with a log line', async () => {
      await wholeRun();
      expect(await migrationsOf('draft-orders')).toEqual([]);
      const seen = await knex('dataset_schema').orderBy('dataset_ref');
      expect(seen.map(r => r.dataset_ref)).toEqual(
        expect.arrayContaining([
          datasetRef('draft-orders'),
          datasetRef('items'),
          // The example catalog's datasets.
          datasetRef('orders'),
        ]),
      );
      expect(seen.map(r => r.dataset_ref)).not.toContain(
        datasetRef('bad-orders'),
      );
      expect(logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: expect.stringMatching(
            /^Schema of resource:default\/bad-orders skipped: resource:default\/bad-orders: annotation ripple\.io\/schema: \[0\]: must be a column name/,
          ),
        }),
      );
      expect(await inbox()).toEqual([]);
    });

    let draft: Migration;

    it('drafts one migration from a rename, a drop and a suggested rename in the schema file, and notifies the owners', async () => {
      await fs.writeFile(
        path.join(root, 'draft-orders', 'schema.yaml'),
        RENAMED,
      );
      [draft] = await until('the draft', async () => {
        const found = await migrationsOf('draft-orders');
        return found.length > 0 && found;
      });
      await wholeRun();
      expect(await migrationsOf('draft-orders')).toHaveLength(1);
      const schemaFile = pathToFileURL(
        path.join(root, 'draft-orders', 'schema.yaml'),
      ).href;
      expect(draft).toMatchObject({
        state: 'draft',
        origin: 'schema-change',
        title: 'Schema change to shop.orders',
        owner: 'group:default/data-platform',
        createdBy: 'plugin:default/ripple',
        change: {
          dataset: 'shop.orders',
          changes: [
            { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
            { kind: 'drop_column', column: 'status' },
          ],
        },
        suggestions: [
          {
            id: expect.any(String),
            change: { kind: 'rename_column', column: 'status', to: 'state' },
            replaces: [{ kind: 'drop_column', column: 'status' }],
            reason: expect.any(String),
            file: schemaFile,
            line: 4,
          },
        ],
        undecided: [],
        // The report reads amount and status; the count reads neither.
        impactSummary: {
          total: 2,
          breaking: 1,
          partiallyBreaking: 0,
          unaffected: 1,
          unknown: 0,
        },
      });
      const [notification] = await until('the owners notified', async () => {
        const received = await inbox();
        return received.length > 0 && received;
      });
      expect(notification.payload).toMatchObject({
        title: 'Ripple: Schema change to shop.orders',
        description: expect.stringContaining(
          'amount renamed to amount_usd, status dropped; 1 rename(s) to confirm. 1 of 2 consumers break',
        ),
        link: 'http://localhost:3000/catalog/default/resource/draft-orders/ripple',
        topic: 'ripple-draft',
      });
      expect(await inbox()).toHaveLength(1);
    });

    it('updates the same draft on a second change, and sends nothing twice after a restart', async () => {
      await fs.writeFile(
        path.join(root, 'draft-orders', 'schema.yaml'),
        RETYPED,
      );
      const updated = await until('the draft updated', async () => {
        const [m] = await migrationsOf('draft-orders');
        return m.change.changes.length === 3 && m;
      });
      expect(updated.id).toBe(draft.id);
      // The whole change since the schema the draft started from.
      expect(updated.change.changes).toEqual([
        { kind: 'change_type', column: 'id', to: 'BIGINT' },
        { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        { kind: 'drop_column', column: 'status' },
      ]);
      expect(updated.suggestions).toEqual(draft.suggestions);
      expect(updated.impactSummary).toMatchObject({ total: 2, breaking: 1 });
      expect((await events(draft.id)).map(e => e.type)).toEqual([
        'created',
        'draft-updated',
      ]);
      const notified = await until('the update notified', async () => {
        const [n] = await inbox();
        return n.payload.description?.includes('id retyped to BIGINT') && n;
      });
      expect(await inbox()).toHaveLength(1);

      // A restart on the same databases drafts nothing again and sends
      // nothing again (a notification sent again would be updated).
      await stop();
      await start(pluginDatabases);
      await wholeRun();
      await wholeRun();
      expect(await migrationsOf('draft-orders')).toHaveLength(1);
      expect(await inbox()).toEqual([notified]);
      expect((await events(draft.id)).map(e => e.type)).toEqual([
        'created',
        'draft-updated',
      ]);
    });

    it('confirms and rejects suggested renames, for those who may create the migration', async () => {
      const suggestion = draft.suggestions![0];
      const url = `/migrations/${draft.id}/suggestions/${suggestion.id}`;

      const denied = await call(
        'post',
        url,
        { decision: 'confirm' },
        'mallory',
      );
      expect(denied.status).toBe(403);
      const unknown = await call(
        'post',
        `/migrations/${draft.id}/suggestions/nope`,
        {
          decision: 'reject',
        },
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toBe(
        `Migration ${draft.id} has no suggestion nope (it has ${suggestion.id})`,
      );
      const bad = await call('post', url, { decision: 'maybe' });
      expect(bad.status).toBe(400);

      const confirmed = await call('post', url, { decision: 'confirm' });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.change.changes).toEqual([
        { kind: 'change_type', column: 'id', to: 'BIGINT' },
        { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        { kind: 'rename_column', column: 'status', to: 'state' },
      ]);
      expect(confirmed.body.suggestions).toEqual([]);
      expect((await call('post', url, { decision: 'reject' })).status).toBe(
        404,
      );
      expect(
        auditEvents.filter(e => e.eventId === 'draft-suggestion-decide'),
      ).toEqual([
        expect.objectContaining({ outcome: 'failure' }),
        expect.objectContaining({ outcome: 'failure' }),
        expect.objectContaining({ outcome: 'success' }),
        expect.objectContaining({ outcome: 'failure' }),
      ]);
      expect((await events(draft.id)).at(-1)).toMatchObject({
        type: 'draft-updated',
        actor: 'user:default/guest',
        message: 'Suggested rename confirmed: status renamed to state',
      });

      // A later change recomputes the draft from the schema it started
      // from: the confirmed rename holds, not suggested again.
      await fs.writeFile(
        path.join(root, 'draft-orders', 'schema.yaml'),
        RETYPED.replace(
          '{name: state, type: VARCHAR}',
          '{name: state, type: VARCHAR}\n  - {name: note, type: VARCHAR}',
        ),
      );
      await wholeRun();
      await wholeRun();
      const [again] = await migrationsOf('draft-orders');
      expect(again.id).toBe(draft.id);
      // An added column changes nothing consumers read: the same change.
      expect(again.change).toEqual(confirmed.body.change);
      expect(again.suggestions).toEqual([]);
      // Nothing new for the owners: the draft is left as it was.
      expect(again.updatedAt).toBe(confirmed.body.updatedAt);
    });

    it('starts a draft: the analysis runs as for any migration, and it is a draft no more', async () => {
      const started = await call('post', `/migrations/${draft.id}/analyze`);
      expect(started.status).toBe(202);
      await until(
        'the analysis',
        async () =>
          (await call('get', `/migrations/${draft.id}`)).body.state ===
          'proposed',
      );
      const again = await call('post', `/migrations/${draft.id}/discard`);
      expect(again.status).toBe(409);
      expect(again.body.error.message).toBe(
        `Migration ${draft.id} is proposed, not a draft`,
      );
      const decided = await call(
        'post',
        `/migrations/${draft.id}/suggestions/x`,
        { decision: 'reject' },
      );
      expect(decided.status).toBe(409);
    });

    it('drafts from a schema annotation the catalog reads again, and discards the draft', async () => {
      await fs.writeFile(
        path.join(root, 'items', 'catalog-info.yaml'),
        dataset('items', ITEMS('[{name: sku, type: VARCHAR}]')),
      );
      const [items] = await until('the draft of items', async () => {
        const found = await migrationsOf('items');
        return found.length > 0 && found;
      });
      expect(items).toMatchObject({
        state: 'draft',
        title: 'Schema change to shop.items',
        change: {
          dataset: 'shop.items',
          changes: [{ kind: 'drop_column', column: 'price' }],
        },
        impactSummary: { total: 0 },
      });
      expect(
        (
          await call(
            'post',
            `/migrations/${items.id}/discard`,
            undefined,
            'mallory',
          )
        ).status,
      ).toBe(403);
      const discarded = await call('post', `/migrations/${items.id}/discard`);
      expect(discarded.status).toBe(200);
      expect(discarded.body.state).toBe('cancelled');
      expect((await events(items.id)).at(-1)).toMatchObject({
        type: 'state-changed',
        message: 'Draft discarded',
        actor: 'user:default/guest',
      });
      // The change is not drafted again.
      await wholeRun();
      expect(await migrationsOf('items')).toHaveLength(1);
      expect(
        auditEvents
          .filter(e => e.eventId === 'draft-discard')
          .map(e => e.outcome),
        // Refused: the started draft (above), then mallory.
      ).toEqual(['failure', 'failure', 'success']);
    });
  },
);

describe('drafts from schema changes, switched off', () => {
  it('schedules nothing and records nothing', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-drafts-off-'));
    const locations = await writeFolders(root, {
      'draft-orders': FOLDERS['draft-orders'],
    });
    const { server, stop, knex } = await startRippleTestBackend({
      databases,
      databaseId: 'SQLITE_3',
      locations,
      readable: [root],
      agent: { intervalSeconds: 1 },
      config: { ripple: { agent: { searchCode: false } } },
    });
    try {
      // A whole run of the agent: the backend is up and its tasks run.
      await waitForWholeRun(server, {
        taskId: 'ripple-agent',
        headers: as('guest'),
      });
      const res = await request(server)
        .get('/api/ripple/.backstage/scheduler/v1/tasks')
        .set(as('guest'));
      expect(
        res.body.tasks.map((t: { taskId: string }) => t.taskId),
      ).not.toContain('ripple-drafts');
      expect(await knex('dataset_schema')).toEqual([]);
    } finally {
      await stop();
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false | null | '' | 0>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 200));
  }
}
