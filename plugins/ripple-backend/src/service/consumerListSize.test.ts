import { makeDuckDbFile } from '../__testUtils__/warehouseFiles';
import { TestDatabases } from '@backstage/backend-test-utils';
import type {
  Consumer,
  ConsumerDetail,
} from '@ripple/backstage-plugin-ripple-common';
import { createDuckDbWarehouse } from '@ripple/backstage-plugin-ripple-node';
import { loadEngine, type ChangeSpec } from '@ripple/engine';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';
import { DatabaseValidationStore } from '../database/DatabaseValidationStore';
import { validatePatch } from '../validation/validatePatch';

// The consumer list carries each consumer's validation as a summary; the
// statements (checksums, differing rows) are in the single consumer. With
// 50 consumers whose validation failed with a sample of differing rows,
// the list's size with and without them (docs/validation.md, "Figures";
// RIPPLE_BENCH=1 prints it).

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const CONSUMERS = 50;

/** A real failed validation: a patch made wrong, run on DuckDB. */
async function failedValidation(dir: string) {
  const file = path.join(dir, 'warehouse.duckdb');
  await makeDuckDbFile(
    file,
    `CREATE SCHEMA shop;
    CREATE TABLE shop.orders AS SELECT i AS id, i % 97 AS customer_id,
      (i * 7) % 1000 AS amount, CASE WHEN i % 3 = 0 THEN 'paid' ELSE 'open' END AS status
    FROM range(1000) t(i)`,
  );
  const warehouse = await createDuckDbWarehouse({ id: 'example', path: file });
  try {
    const change = {
      dataset: 'shop.orders',
      dialect: 'duckdb',
      changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
    } as ChangeSpec;
    const text = 'SELECT id, customer_id, amount, status FROM shop.orders;\n';
    const result = await validatePatch({
      engine: await loadEngine(),
      warehouse,
      change,
      columns: ['id', 'customer_id', 'amount', 'status'].map(name => ({
        name,
      })),
      // The rename, and the amount doubled by mistake.
      files: [
        {
          path: 'orders.sql',
          text,
          patched: text.replace('amount', 'amount_usd * 2 AS amount'),
        },
      ],
    });
    expect(result.status).toBe('failed');
    return result;
  } finally {
    await warehouse.close();
  }
}

it("lists consumers with their validation's summary, the statements only in the single consumer", async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-list-size-'));
  const { server, stop, store, knex } = await startRippleTestBackend({
    databases,
    databaseId: 'SQLITE_3',
  });
  try {
    const result = await failedValidation(dir);
    expect(result.statements[0].differences).toHaveLength(20);

    const migration = await store.createMigration({
      datasetRef: 'resource:default/shop-orders',
      change: {
        dataset: 'shop.orders',
        changes: [
          { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
        ],
      },
      title: 'Rename amount',
      owner: 'group:default/data-platform',
      createdBy: 'user:default/guest',
    });
    await store.transition({ migrationId: migration.id, to: 'analyzing' });
    const validations = new DatabaseValidationStore(knex);
    for (let i = 0; i < CONSUMERS; i++) {
      const consumerRef = `component:default/report-${String(i).padStart(
        2,
        '0',
      )}`;
      await store.putConsumer({
        migrationId: migration.id,
        consumerRef,
        discoveredBy: 'catalog',
      });
      const patch = await store.recordPatch({
        migrationId: migration.id,
        consumerRef,
        diff: '--- a/orders.sql\n+++ b/orders.sql\n@@ -1 +1 @@\n-amount\n+amount_usd\n',
        baseHash: `sha256:${i}`,
        status: 'rewritten',
        reasons: [],
      });
      const claim = (await validations.claim(
        {
          migrationId: migration.id,
          datasetRef: migration.datasetRef,
          change: migration.change,
          consumerRef,
          patchId: patch.id,
          diff: patch.diff,
          baseHash: patch.baseHash,
        },
        'example',
        new Date(0),
      ))!;
      await validations.finish(claim, result);
    }

    const get = async (url: string) => {
      const res = await request(server)
        .get(`/api/ripple/migrations/${migration.id}${url}`)
        .set(as('guest'));
      expectValidResponse(res);
      expect(res.status).toBe(200);
      return res;
    };
    const list = await get('/consumers?limit=100');
    const items: Consumer[] = list.body.items;
    expect(items).toHaveLength(CONSUMERS);
    for (const consumer of items) {
      expect(consumer.validation).not.toHaveProperty('statements');
      expect(consumer.validation).toMatchObject({
        status: 'failed',
        warehouse: 'example',
        statementCounts: { passed: 0, failed: 1, skipped: 0, error: 0 },
      });
    }

    // The single consumer has it whole, as the list had it before.
    const whole: ConsumerDetail[] = [];
    for (const consumer of items) {
      const res = await get(
        `/consumers/${encodeURIComponent(consumer.consumerRef)}`,
      );
      expect(res.body.validation.statements[0].differences).toHaveLength(20);
      expect(res.body.validation).toMatchObject(consumer.validation!);
      whole.push(res.body);
    }
    const after = Buffer.byteLength(list.text);
    const before = Buffer.byteLength(
      JSON.stringify({
        ...list.body,
        items: whole.map(c => {
          const { statementCounts: _new, ...validation } = c.validation!;
          return { ...c, validation };
        }),
      }),
    );
    expect(after * 2).toBeLessThan(before);
    if (process.env.RIPPLE_BENCH) {
      // eslint-disable-next-line no-console
      console.log(
        `${CONSUMERS} consumers, each a failed validation with ${
          result.statements[0].differences!.length
        } differing rows: the list is ${after} bytes (${Math.round(
          after / CONSUMERS,
        )} a consumer); with whole validations ${before} bytes (${Math.round(
          before / CONSUMERS,
        )} a consumer)`,
      );
    }
  } finally {
    await stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
