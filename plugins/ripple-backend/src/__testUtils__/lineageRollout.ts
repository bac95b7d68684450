import { createBackendModule } from '@backstage/backend-plugin-api';
import type {
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  createGitBranchDeliveryMethod,
  rippleDeliveryExtensionPoint,
} from '@ripple/backstage-plugin-ripple-node';
import { loadEngine } from '@ripple/engine';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { ConsumerRepository } from './gitRepositories';
import { as, startRippleTestBackend } from './testBackend';

// The fixture of the OpenLineage tests (service/openLineage*.test.ts): a
// dataset, consumers in real git repositories, a backend with
// `ripple.health.openLineage` on and a static external access token, and a
// rollout driven to a delivered consumer.

/** The static external access token OpenLineage emitters post with. */
export const LINEAGE_TOKEN = 'ripple-openlineage-test-token';

export const CODE_FILE = 'models/revenue.sql';

/** A consumer of the fixture: its name, annotations and code. */
export type LineageConsumer = {
  name: string;
  annotations?: Record<string, string>;
  /** Delivered to a git repository of its own. */
  delivered?: boolean;
};

/**
 * Writes the catalog: the dataset (`ripple.io/table`, `ripple.io/dialect`)
 * and its consumers, each depending on it.
 */
export async function writeLineageCatalog(
  root: string,
  dataset: { name: string; table: string; dialect: string },
  consumers: LineageConsumer[],
  code: string,
): Promise<{ catalogFile: string; repos: Record<string, ConsumerRepository> }> {
  const docs = [
    `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: ${dataset.name}
  annotations:
    ripple.io/table: ${dataset.table}
    ripple.io/dialect: ${dataset.dialect}
spec:
  type: dataset
  owner: group:default/data-platform`,
  ];
  const repos: Record<string, ConsumerRepository> = {};
  for (const consumer of consumers) {
    const annotations = { ...consumer.annotations };
    if (consumer.delivered) {
      repos[consumer.name] = await ConsumerRepository.create(
        root,
        consumer.name,
        { [CODE_FILE]: code },
      );
      annotations['ripple.io/delivery'] = 'git-branch';
      annotations['ripple.io/git-repository'] = repos[consumer.name].bare;
    }
    docs.push(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${consumer.name}
  annotations: ${JSON.stringify(annotations)}
spec:
  type: pipeline
  lifecycle: production
  owner: group:default/data-platform
  dependsOn: [resource:default/${dataset.name}]`);
  }
  const catalogFile = path.join(root, 'catalog.yaml');
  await fs.writeFile(catalogFile, docs.join('\n---\n'));
  return { catalogFile, repos };
}

/** A test backend with OpenLineage on, delivering to git repositories under `root`. */
export async function startLineageBackend(options: {
  databases: TestDatabases;
  databaseId: TestDatabaseId;
  root: string;
  catalogFile: string;
  /** Entities to wait for in the catalog. */
  entities: string[];
}) {
  const backend = await startRippleTestBackend({
    databases: options.databases,
    databaseId: options.databaseId,
    rollout: { intervalSeconds: 1 },
    locations: [options.catalogFile],
    features: [
      createBackendModule({
        pluginId: 'ripple',
        moduleId: 'test-delivery',
        register(reg) {
          reg.registerInit({
            deps: { delivery: rippleDeliveryExtensionPoint },
            async init({ delivery }) {
              delivery.addDeliveryMethod(
                createGitBranchDeliveryMethod({ localRoots: [options.root] }),
              );
            },
          });
        },
      }),
    ],
    config: {
      backend: {
        auth: {
          externalAccess: [
            {
              type: 'static',
              options: { token: LINEAGE_TOKEN, subject: 'openlineage' },
            },
          ],
        },
      },
      ripple: {
        rollout: { syncMinutes: 0 },
        health: { openLineage: { retentionDays: 30 } },
      },
    },
  });
  await until('the test catalog', async () => {
    for (const entity of options.entities) {
      const res = await request(backend.server)
        .get(`/api/catalog/entities/by-name/${entity}`)
        .set(as('guest'));
      if (res.status !== 200 || !res.body.relations?.length) return false;
    }
    return true;
  });
  return backend;
}

export type LineageBackend = Awaited<ReturnType<typeof startLineageBackend>>;

export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
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

/** A request to Ripple as the guest. */
export function call(
  backend: LineageBackend,
  method: 'get' | 'post',
  url: string,
  body?: object,
) {
  const req = request(backend.server)
    [method](`/api/ripple${url}`)
    .set(as('guest'));
  return body === undefined ? req : req.send(body);
}

/** Posts an OpenLineage event with the emitters' token. */
export function postEvent(backend: LineageBackend, event: object) {
  return request(backend.server)
    .post('/api/ripple/api/v1/lineage')
    .set('Authorization', `Bearer ${LINEAGE_TOKEN}`)
    .send(event);
}

/** A RunEvent as OpenLineage's clients send it. */
export function runEvent(options: {
  runId?: string;
  eventType: string;
  job: { namespace: string; name: string };
  eventTime?: Date;
  inputs?: { namespace: string; name: string }[];
  rowCount?: number;
  error?: string;
}) {
  const producer =
    'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python';
  const facet = {
    _producer: producer,
    _schemaURL: 'https://openlineage.io/spec/facets/1-0-0/Facet.json',
  };
  return {
    eventTime: (options.eventTime ?? new Date()).toISOString(),
    producer,
    schemaURL:
      'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    eventType: options.eventType,
    run: {
      runId: options.runId ?? randomUUID(),
      facets: options.error
        ? {
            errorMessage: {
              ...facet,
              message: options.error,
              programmingLanguage: 'python',
            },
          }
        : {},
    },
    job: { ...options.job, facets: {} },
    inputs: (options.inputs ?? []).map(d => ({ ...d, facets: {} })),
    outputs:
      options.rowCount === undefined
        ? []
        : [
            {
              namespace: 'duckdb:///tmp/warehouse.duckdb',
              name: 'warehouse.main.revenue',
              facets: {},
              outputFacets: {
                outputStatistics: { ...facet, rowCount: options.rowCount },
              },
            },
          ],
  };
}

/**
 * A migration of the dataset whose consumers have the engine's real
 * patches, its rollout started (one wave, auto-approved, a long soak so
 * that it stays rolling out), and the delivered consumers delivered.
 */
export async function rollOut(
  backend: LineageBackend,
  options: {
    datasetRef: string;
    change: object;
    code: string;
    consumerRefs: string[];
    delivered: string[];
  },
): Promise<string> {
  const engine = await loadEngine();
  const created = await call(backend, 'post', '/migrations', {
    datasetRef: options.datasetRef,
    change: options.change,
    title: 'Rename amount',
  });
  if (created.status !== 201) {
    throw new Error(`${created.status} ${JSON.stringify(created.body)}`);
  }
  const id: string = created.body.id;
  const { store } = backend;
  await store.transition({ migrationId: id, to: 'analyzing' });
  const rewrite = engine.rewrite(
    CODE_FILE,
    options.code,
    options.change as any,
  );
  for (const consumerRef of options.consumerRefs) {
    await store.putConsumer({
      migrationId: id,
      consumerRef,
      discoveredBy: 'catalog',
    });
    await store.recordPatch({
      migrationId: id,
      consumerRef,
      diff: rewrite.patch!,
      baseHash: 'sha256:code',
      status: 'rewritten',
      reasons: [],
    });
  }
  await store.transition({ migrationId: id, to: 'proposed' });
  const started = await call(
    backend,
    'post',
    `/migrations/${id}/rollout/start`,
    {
      plan: {
        waves: [{ name: 'all', percent: 100 }],
        soakMinutes: 600,
        autoAdvance: true,
        autoApprove: true,
        health: { maxFailedRuns: 0, requireSignals: true },
      },
    },
  );
  if (started.status !== 200) {
    throw new Error(`${started.status} ${JSON.stringify(started.body)}`);
  }
  await until('the consumers delivered', async () => {
    const res = await call(backend, 'get', `/migrations/${id}/consumers`);
    const delivered = res.body.items.filter(
      (c: { delivery?: { status: string } }) =>
        c.delivery?.status === 'delivered',
    );
    return delivered.length >= options.delivered.length;
  });
  return id;
}
