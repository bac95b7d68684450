import { loadEngine } from '@ripple/engine';
import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { as, startRippleTestBackend } from './testBackend';

/**
 * One consumer delivered by the real `github-pull-request` method (to a
 * fake GitHub, msw), and its dataset: the rollout tests that need GitHub
 * start from here.
 */
export const GITHUB_FILE = 'models/revenue.sql';
export const GITHUB_CODE =
  'SELECT o.id, o.amount\nFROM proj.ds.retry_orders AS o\n';
export const GITHUB_CONSUMER = 'component:default/retry-consumer';

const change = {
  dataset: 'proj.ds.retry_orders',
  dialect: 'bigquery',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};

/** Writes the catalog file of the dataset and its GitHub consumer into `root`. */
export async function writeGitHubCatalog(root: string): Promise<string> {
  const catalogFile = path.join(root, 'catalog.yaml');
  await fs.writeFile(
    catalogFile,
    `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: retry-orders
  annotations:
    ripple.io/table: proj.ds.retry_orders
spec:
  type: dataset
  owner: group:default/data-platform
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: retry-consumer
  annotations:
    ripple.io/delivery: github-pull-request
    backstage.io/source-location: url:https://github.com/acme/revenue/tree/main/
spec:
  type: pipeline
  lifecycle: production
  owner: group:default/data-platform
  dependsOn: [resource:default/retry-orders]`,
  );
  return catalogFile;
}

/**
 * A proposed migration of the retry consumer, its patch rewritten by the
 * engine, on a test backend whose catalog has ingested the consumer.
 */
export async function proposedMigration(
  backend: Awaited<ReturnType<typeof startRippleTestBackend>>,
  title: string,
) {
  const call = (method: 'get' | 'post', url: string, body?: object) => {
    const req = request(backend.server)
      [method](`/api/ripple${url}`)
      .set(as('guest'));
    return body === undefined ? req : req.send(body);
  };
  const until = async <T>(
    what: string,
    check: () => Promise<T | undefined>,
  ) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const result = await check();
      if (result !== undefined) return result;
      if (Date.now() > deadline) throw new Error(`Timed out: ${what}`);
      await new Promise(r => setTimeout(r, 100));
    }
  };
  await until('the catalog', async () =>
    (
      await request(backend.server)
        .get('/api/catalog/entities/by-name/component/default/retry-consumer')
        .set(as('guest'))
    ).status === 200
      ? true
      : undefined,
  );

  const engine = await loadEngine();
  const created = await call('post', '/migrations', {
    datasetRef: 'resource:default/retry-orders',
    change,
    title,
  });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  await backend.store.transition({ migrationId: id, to: 'analyzing' });
  await backend.store.putConsumer({
    migrationId: id,
    consumerRef: GITHUB_CONSUMER,
    discoveredBy: 'catalog',
  });
  await backend.store.recordPatch({
    migrationId: id,
    consumerRef: GITHUB_CONSUMER,
    diff: engine.rewrite(GITHUB_FILE, GITHUB_CODE, change as any).patch!,
    baseHash: 'sha256:code',
    status: 'rewritten',
    reasons: [],
  });
  await backend.store.transition({ migrationId: id, to: 'proposed' });
  const delivery = async () =>
    (await call('get', `/migrations/${id}/consumers`)).body.items[0]?.delivery;
  return { call, until, id, delivery };
}
