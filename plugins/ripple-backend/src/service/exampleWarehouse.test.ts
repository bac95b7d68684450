import { makeDuckDbFile } from '../__testUtils__/warehouseFiles';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import type { Validation } from '@ripple/backstage-plugin-ripple-common';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { expectValidResponse } from '../__testUtils__/openApiResponses';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';

// The dev portal's example warehouse (examples/warehouse, made at start by
// scripts/example-warehouse.mjs from the same SQL): a migration of
// shop-orders gets shop-report's patch validated there.

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const examples = resolvePackagePath(
  '@ripple/backstage-plugin-ripple-backend',
  '../../examples/warehouse',
);

it("validates the example consumer's patch on the example warehouse", async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-example-wh-'));
  const file = path.join(root, 'example.duckdb');
  await makeDuckDbFile(
    file,
    await fs.readFile(path.join(examples, 'shop.sql'), 'utf8'),
  );
  const { server, stop } = await startRippleTestBackend({
    databases,
    databaseId: 'SQLITE_3',
    locations: [path.join(examples, 'catalog.yaml')],
    agent: { intervalSeconds: 1 },
    config: {
      ripple: {
        agent: { searchCode: false },
        warehouses: { example: { type: 'duckdb', path: file } },
        validation: { intervalSeconds: 1 },
      },
    },
  });
  try {
    const call = async (test: request.Test) => {
      const res = await test.set(as('guest'));
      expectValidResponse(res);
      return res;
    };
    const consumerRef = 'component:default/shop-report';
    for (;;) {
      const res = await request(server)
        .get('/api/catalog/entities/by-name/component/default/shop-report')
        .set(as('guest'));
      if (res.status === 200 && res.body.relations?.length) break;
      await new Promise(r => setTimeout(r, 100));
    }
    const created = await call(
      request(server)
        .post('/api/ripple/migrations')
        .send({
          datasetRef: 'resource:default/shop-orders',
          change: {
            dataset: 'shop.orders',
            dialect: 'duckdb',
            changes: [
              { kind: 'rename_column', column: 'amount', to: 'amount_usd' },
            ],
          },
          title: 'Rename amount',
        }),
    );
    expect(created.status).toBe(201);
    await call(
      request(server).post(`/api/ripple/migrations/${created.body.id}/analyze`),
    );
    let validation: Validation | undefined;
    const deadline = Date.now() + 60_000;
    while (!validation?.finishedAt && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 200));
      const res = await call(
        request(server).get(
          `/api/ripple/migrations/${
            created.body.id
          }/consumers/${encodeURIComponent(consumerRef)}`,
        ),
      );
      validation = res.body.validation;
    }
    expect(validation?.reason).toBeUndefined();
    expect(validation).toMatchObject({
      status: 'passed',
      warehouse: 'example',
      statements: [
        { path: 'report.sql', status: 'passed', rows: { before: 3, after: 3 } },
      ],
    });
  } finally {
    await stop();
    await fs.rm(root, { recursive: true, force: true });
  }
});
