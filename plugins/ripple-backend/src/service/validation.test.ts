import { makeDuckDbFile, writeFolders } from '../__testUtils__/warehouseFiles';
import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  Consumer,
  MigrationEvent,
  Validation,
} from '@ripple/backstage-plugin-ripple-common';
import fs from 'node:fs/promises';
import { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import {
  as,
  type AuditRecord,
  startRippleTestBackend,
  users,
} from '../__testUtils__/testBackend';
import type { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';

// Issue 19: patches validated in the background on the dataset's warehouse
// (a DuckDB file made here), recorded per patch version, shown and filtered
// by the API, and re-run on request.

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const shopOrders = 'resource:default/shop-orders';
const lostOrders = 'resource:default/lost-orders';
const report = 'component:default/orders-report';
const audit = 'component:default/orders-audit';
const lostReport = 'component:default/lost-report';
const change = (table: string) => ({
  dataset: table,
  dialect: 'duckdb',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
});

const COLUMNS = `[{name: id, type: INTEGER}, {name: amount, type: INTEGER}, {name: status, type: VARCHAR}]`;

function dataset(name: string, table: string, warehouse: string): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: ${name}
  annotations:
    ripple.io/table: ${table}
    ripple.io/dialect: duckdb
    ripple.io/schema: "${COLUMNS}"
    ripple.io/warehouse: ${warehouse}
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
  dependsOn: [${dependsOn}]
`;
}

const FOLDERS: Record<string, Record<string, string>> = {
  'shop-orders': {
    'catalog-info.yaml': dataset('shop-orders', 'shop.orders', 'test'),
  },
  // Names a warehouse that is not configured.
  'lost-orders': {
    'catalog-info.yaml': dataset('lost-orders', 'shop.orders', 'nowhere'),
  },
  'orders-report': {
    'catalog-info.yaml': component('orders-report', shopOrders),
    'report.sql':
      'SELECT status, sum(amount) AS total FROM shop.orders GROUP BY status;\n',
  },
  'orders-audit': {
    'catalog-info.yaml': component('orders-audit', shopOrders),
    'audit.sql': "SELECT id, amount FROM shop.orders WHERE status = 'paid';\n",
  },
  'lost-report': {
    'catalog-info.yaml': component('lost-report', lostOrders),
    'lost.sql': 'SELECT id, amount FROM shop.orders;\n',
  },
};

describe.each(databases.eachSupportedId())(
  'validation of patches on a warehouse on %s',
  databaseId => {
    let server: Server;
    let stop: () => Promise<void>;
    let store: DatabaseMigrationStore;
    let auditEvents: AuditRecord[];
    let root: string;
    let migrationId: string;

    beforeAll(async () => {
      root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-validation-'));
      const file = path.join(root, 'warehouse.duckdb');
      await makeDuckDbFile(
        file,
        `CREATE SCHEMA shop;
        CREATE TABLE shop.orders (id INTEGER, amount INTEGER, status VARCHAR);
        INSERT INTO shop.orders VALUES (1, 10, 'paid'), (2, 4, 'open'), (3, 7, 'paid'), (4, 1, 'open');`,
      );

      const locations = await writeFolders(root, FOLDERS);
      ({ server, stop, store, auditEvents } = await startRippleTestBackend({
        databases,
        databaseId,
        locations,
        readable: [root],
        agent: { intervalSeconds: 1 },
        config: {
          ripple: {
            agent: { searchCode: false },
            warehouses: { test: { type: 'duckdb', path: file } },
            validation: { intervalSeconds: 1, concurrencyPerWarehouse: 2 },
          },
        },
      }));
      for (const ref of [shopOrders, lostOrders, report, audit, lostReport]) {
        const [kind, name] = ref.replace(':default/', '/').split('/');
        for (;;) {
          const res = await request(server)
            .get(`/api/catalog/entities/by-name/${kind}/default/${name}`)
            .set(as('guest'));
          if (res.status === 200 && res.body.relations?.length) break;
          await new Promise(r => setTimeout(r, 100));
        }
      }
      migrationId = await analysed(shopOrders);
    });

    afterAll(async () => {
      await stop();
      await fs.rm(root, { recursive: true, force: true });
    });

    async function call(
      test: request.Test,
      user: keyof typeof users = 'guest',
    ): Promise<request.Response> {
      const res = await test.set(as(user));
      expectValidResponse(res);
      return res;
    }

    /** A migration of `datasetRef`, analysed by the agent. */
    async function analysed(datasetRef: string): Promise<string> {
      const created = await call(
        request(server)
          .post('/api/ripple/migrations')
          .send({
            datasetRef,
            change: change('shop.orders'),
            title: `Rename amount of ${datasetRef}`,
          }),
      );
      expect(created.status).toBe(201);
      const id = created.body.id;
      await call(request(server).post(`/api/ripple/migrations/${id}/analyze`));
      await until(async () => {
        const res = await call(
          request(server).get(`/api/ripple/migrations/${id}`),
        );
        return res.body.state === 'proposed';
      });
      return id;
    }

    async function consumers(
      id: string,
      query = '',
    ): Promise<{ items: Consumer[]; totalCount: number }> {
      const res = await call(
        request(server).get(`/api/ripple/migrations/${id}/consumers${query}`),
      );
      expect(res.status).toBe(200);
      return res.body;
    }

    /** The consumer's latest validation once finished, of `patchId` when given. */
    async function finished(
      id: string,
      consumerRef: string,
      after = 0,
    ): Promise<Validation> {
      let validation: Validation | undefined;
      await until(async () => {
        const res = await call(
          request(server).get(
            `/api/ripple/migrations/${id}/consumers/${encodeURIComponent(
              consumerRef,
            )}`,
          ),
        );
        validation = res.body.validation;
        return Boolean(
          validation && validation.id > after && validation.finishedAt,
        );
      });
      return validation!;
    }

    it("validates the engine's patch in the background: passed, with its event and audit", async () => {
      const validation = await finished(migrationId, report);
      expect(validation).toMatchObject({
        status: 'passed',
        warehouse: 'test',
        statements: [
          {
            path: 'report.sql',
            line: 1,
            status: 'passed',
            rows: { before: 2, after: 2 },
          },
        ],
      });
      const patch = await call(
        request(server).get(
          `/api/ripple/migrations/${migrationId}/consumers/${encodeURIComponent(
            report,
          )}/patch`,
        ),
      );
      expect(patch.body.validation).toEqual(validation);
      expect(patch.body.patch.id).toBe(validation.patchId);

      const events = await call(
        request(server).get(`/api/ripple/migrations/${migrationId}/events`),
      );
      expect(
        (events.body.items as MigrationEvent[]).filter(
          e => e.type === 'validation-recorded' && e.consumerRef === report,
        ),
      ).toEqual([
        expect.objectContaining({
          data: {
            validationId: validation.id,
            patchId: validation.patchId,
            status: 'passed',
            warehouse: 'test',
          },
        }),
      ]);
      expect(auditEvents).toContainEqual(
        expect.objectContaining({
          eventId: 'patch-validation',
          outcome: 'success',
          meta: expect.objectContaining({
            consumerRef: report,
            status: 'passed',
          }),
        }),
      );
    });

    it('validates a new patch version again: one made wrong fails with the differing rows', async () => {
      const first = await finished(migrationId, audit);
      expect(first.status).toBe('passed');
      const current = (await store.getCurrentPatch(migrationId, audit))!;
      // The same edit, but reading the open orders instead of the paid ones.
      const wrong = await store.recordPatch({
        migrationId,
        consumerRef: audit,
        diff: current.diff.replace(/^(\+.*)'paid'/m, "$1'open'"),
        baseHash: current.baseHash,
        status: current.status,
        reasons: current.reasons,
      });
      expect(wrong.diff).toMatch(/^\+.*'open'/m);
      const validation = await finished(migrationId, audit, first.id);
      expect(validation.patchId).toBe(wrong.id);
      expect(validation.status).toBe('failed');
      expect(validation.statements[0].status).toBe('failed');
      expect(validation.statements[0].differences!.length).toBeGreaterThan(0);
      expect(validation.statementCounts).toEqual({
        passed: 0,
        failed: 1,
        skipped: 0,
        error: 0,
      });
      // The list carries it as a summary: the same, without the statements.
      const listed = (await consumers(migrationId)).items.find(
        c => c.consumerRef === audit,
      );
      const { statements, ...summary } = validation;
      expect(listed?.validation).toEqual(summary);
    });

    it("filters the consumers by their latest validation's status", async () => {
      await finished(migrationId, audit);
      const refs = async (query: string) =>
        (await consumers(migrationId, query)).items.map(c => c.consumerRef);
      expect(await refs('?validationStatus=failed')).toEqual([audit]);
      expect(await refs('?validationStatus=passed')).toEqual([report]);
      expect(
        await refs('?validationStatus=passed&validationStatus=failed'),
      ).toEqual([audit, report]);
      expect(await refs('?validationStatus=not_validated')).toEqual([]);
      expect(
        (await consumers(migrationId, '?validationStatus=failed')).totalCount,
      ).toBe(1);
      const bad = await call(
        request(server).get(
          `/api/ripple/migrations/${migrationId}/consumers?validationStatus=green`,
        ),
      );
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/validationStatus/);
    });

    it('records an error naming the dataset, the annotation and the id for an unknown warehouse', async () => {
      const id = await analysed(lostOrders);
      const validation = await finished(id, lostReport);
      expect(validation.status).toBe('error');
      expect(validation.warehouse).toBe('nowhere');
      expect(validation.reason).toContain(lostOrders);
      expect(validation.reason).toContain('ripple.io/warehouse');
      expect(validation.reason).toContain('"nowhere"');
    });

    it('re-runs a validation on request, under the review permission', async () => {
      const before = await finished(migrationId, report);
      const url = (consumerRef: string) =>
        `/api/ripple/migrations/${migrationId}/consumers/${encodeURIComponent(
          consumerRef,
        )}/validation`;

      const denied = await call(request(server).post(url(report)), 'mallory');
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toContain('ripple.patch.review');
      const unknown = await call(
        request(server).post(url('component:default/nobody')),
      );
      expect(unknown.status).toBe(404);
      const malformed = await call(request(server).post(url('nobody')));
      expect(malformed.status).toBe(400);

      const asked = await call(request(server).post(url(report)));
      expect(asked.status).toBe(202);
      expect(asked.body.id).toBeGreaterThan(before.id);
      expect(['pending', 'running', 'passed']).toContain(asked.body.status);
      const again = await finished(migrationId, report, before.id);
      expect(again).toMatchObject({
        id: asked.body.id,
        patchId: before.patchId,
        status: 'passed',
      });
      expect(auditEvents).toContainEqual(
        expect.objectContaining({
          eventId: 'patch-validation-request',
          outcome: 'failure',
          meta: expect.objectContaining({ consumerRef: report }),
        }),
      );
    });
  },
);

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 200));
  }
}
