import { createBackendModule } from '@backstage/backend-plugin-api';
import { TestDatabases } from '@backstage/backend-test-utils';
import type { MigrationEvent } from '@ripple/backstage-plugin-ripple-common';
import {
  createGitBranchDeliveryMethod,
  rippleDeliveryExtensionPoint,
} from '@ripple/backstage-plugin-ripple-node';
import { loadEngine } from '@ripple/engine';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  CODE_FILE,
  until,
  writeLineageCatalog,
} from '../__testUtils__/lineageRollout';
import {
  prometheusInstalled,
  TestExporter,
  TestPrometheus,
} from '../__testUtils__/realPrometheus';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';
import { consumerQueries } from '../prometheus/annotations';
import { PrometheusClient } from '../prometheus/PrometheusClient';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

const change = {
  dataset: 'main.orders',
  dialect: 'duckdb',
  changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
};
const CODE = 'SELECT o.id, o.amount\nFROM main.orders AS o\n';
const ref = (name: string) => `component:default/${name}`;
const queries = (consumer: string) => ({
  'ripple.io/prometheus-error-rate': `max(app_error_ratio{consumer="${consumer}"})`,
  'ripple.io/prometheus-latency': `max(app_latency_seconds{consumer="${consumer}"})`,
});

// CI installs Prometheus (scripts/setup.sh); elsewhere its absence skips
// this file, saying so, rather than failing a developer's run.
if (!prometheusInstalled() && !process.env.CI) {
  // eslint-disable-next-line no-console
  console.warn('prometheus is not installed: run scripts/setup.sh');
}
const describeWithPrometheus =
  prometheusInstalled() || process.env.CI ? describe : describe.skip;

/**
 * A real Prometheus, scraping an exporter whose gauges the test sets, feeds
 * the canary gate through the Prometheus provider: the canary's normal
 * error rate and latency let the rollout advance; a raised error rate in
 * the next wave pauses it, judged against the absolute threshold and
 * against the rate before the delivery.
 */
describeWithPrometheus('the Prometheus health provider', () => {
  const exporter = new TestExporter();
  const prometheus = new TestPrometheus();
  let root: string;

  beforeAll(async () => {
    for (const consumer of ['canary', 'second']) {
      exporter.set('app_error_ratio', consumer, 0.01);
      exporter.set('app_latency_seconds', consumer, 0.2);
    }
    await exporter.start();
    await prometheus.start(exporter);
    await prometheus.waitFor('app_error_ratio');
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ripple-prometheus-'));
  });

  afterAll(async () => {
    await prometheus.stop();
    await exporter.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('reads one number per query, and says why a query cannot give one', async () => {
    const client = new PrometheusClient({ baseUrl: prometheus.baseUrl });
    const now = new Date();
    expect(
      await client.value('max(app_latency_seconds{consumer="canary"})', now),
    ).toBe(0.2);
    expect(await client.value('scalar(max(app_error_ratio))', now)).toBeCloseTo(
      0.01,
    );
    // No traffic: NaN and an empty result are no value, not a breach.
    expect(await client.value('vector(0) / 0', now)).toBeUndefined();
    expect(await client.value('app_error_ratio{consumer="none"}', now)).toBe(
      undefined,
    );
    await expect(client.value('app_error_ratio', now)).rejects.toThrow(
      '`app_error_ratio` gave 2 series; it must give one (aggregate it with sum or max)',
    );
    await expect(client.value('max(', now)).rejects.toThrow(
      /^Prometheus refused `max\(`: bad_data: /,
    );
    await expect(client.value('app_error_ratio[1m]', now)).rejects.toThrow(
      'gave a matrix; it must give one number',
    );
  });

  it('names the entity and the annotation of an empty query', () => {
    expect(() =>
      consumerQueries({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'broken',
          annotations: { 'ripple.io/prometheus-error-rate': ' ' },
        },
      }),
    ).toThrow(
      'component:default/broken: annotation ripple.io/prometheus-error-rate: empty; it must be one PromQL expression',
    );
  });

  it('advances past a canary with a normal error rate, and pauses on a raised one', async () => {
    const { catalogFile, repos } = await writeLineageCatalog(
      root,
      { name: 'prom-orders', table: 'main.orders', dialect: 'duckdb' },
      [
        { name: 'canary', annotations: queries('canary'), delivered: true },
        { name: 'second', annotations: queries('second'), delivered: true },
      ],
      CODE,
    );
    const backend = await startRippleTestBackend({
      databases,
      databaseId: 'SQLITE_3',
      rollout: { intervalSeconds: 1 },
      locations: [catalogFile],
      features: [
        createBackendModule({
          pluginId: 'ripple',
          moduleId: 'test-delivery',
          register(reg) {
            reg.registerInit({
              deps: { delivery: rippleDeliveryExtensionPoint },
              async init({ delivery }) {
                delivery.addDeliveryMethod(
                  createGitBranchDeliveryMethod({ localRoots: [root] }),
                );
              },
            });
          },
        }),
      ],
      config: {
        ripple: {
          rollout: { syncMinutes: 0 },
          health: { prometheus: { baseUrl: prometheus.baseUrl } },
        },
      },
    });
    const call = (method: 'get' | 'post', url: string, body?: object) => {
      const req = request(backend.server)
        [method](`/api/ripple${url}`)
        .set(as('guest'));
      return body === undefined ? req : req.send(body);
    };
    await until('the catalog', async () => {
      for (const name of ['canary', 'second']) {
        const res = await request(backend.server)
          .get(`/api/catalog/entities/by-name/component/default/${name}`)
          .set(as('guest'));
        if (res.status !== 200 || !res.body.relations?.length) return false;
      }
      return true;
    });

    const engine = await loadEngine();
    const created = await call('post', '/migrations', {
      datasetRef: 'resource:default/prom-orders',
      change,
      title: 'Rename amount',
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    await backend.store.transition({ migrationId: id, to: 'analyzing' });
    for (const name of ['canary', 'second']) {
      await backend.store.putConsumer({
        migrationId: id,
        consumerRef: ref(name),
        discoveredBy: 'catalog',
      });
      await backend.store.recordPatch({
        migrationId: id,
        consumerRef: ref(name),
        diff: engine.rewrite(CODE_FILE, CODE, change as any).patch!,
        baseHash: 'sha256:code',
        status: 'rewritten',
        reasons: [],
      });
    }
    await backend.store.transition({ migrationId: id, to: 'proposed' });
    const started = await call('post', `/migrations/${id}/rollout/start`, {
      plan: {
        waves: [
          { name: 'canary', count: 1 },
          { name: 'rest', percent: 100 },
        ],
        soakMinutes: 0,
        autoAdvance: true,
        autoApprove: true,
        // A signal since the delivery is needed: only Prometheus sends any.
        health: { requireSignals: true, maxErrorRateIncrease: 0.02 },
      },
    });
    expect(started.status).toBe(200);
    const consumers = async () =>
      (await call('get', `/migrations/${id}/consumers`)).body.items as {
        consumerRef: string;
        wave?: number;
        health?: string;
        healthReason?: string;
        healthSource?: string;
        delivery?: { status: string; branch?: string };
        waitingForMerge?: { since: string; overdue: boolean };
      }[];
    const canary = (await consumers()).find(c => c.wave === 0)!.consumerRef;
    const second = canary === ref('canary') ? 'second' : 'canary';

    // Delivered, the canary holds its wave until its owners merge it: the
    // wave soaks from when it runs the patch.
    const delivered = await until('the canary delivered', async () =>
      (
        await consumers()
      ).find(
        c => c.consumerRef === canary && c.delivery?.status === 'delivered',
      ),
    );
    expect(delivered.waitingForMerge).toMatchObject({ overdue: false });
    const waiting = await until('the gate waiting for the merge', async () => {
      const rollout = (await call('get', `/migrations/${id}/rollout`)).body;
      return rollout.gateReason?.startsWith('waiting for merges')
        ? rollout
        : undefined;
    });
    expect(waiting.gateReason).toMatch(
      new RegExp(
        `^waiting for merges: ${canary} \\(delivered \\d+ min ago\\)$`,
      ),
    );
    expect(waiting.currentWave).toBe(0);
    await repos[canary.split('/')[1]].merge(delivered.delivery!.branch!);

    // Merged, the canary's normal signals (and nothing else) open its gate:
    // the next wave is delivered.
    await until('the next wave delivered', async () =>
      (
        await consumers()
      ).find(
        c =>
          c.consumerRef === ref(second) && c.delivery?.status === 'delivered',
      ),
    );
    const afterCanary = await consumers();
    expect(afterCanary.find(c => c.consumerRef === canary)).toMatchObject({
      health: 'healthy',
      healthSource: 'prometheus',
    });

    // The second wave's error rate rises: above the threshold, and more
    // than 0.02 above its rate before the delivery.
    exporter.set('app_error_ratio', second, 0.3);
    const paused = await until('the pause', async () => {
      const rollout = (await call('get', `/migrations/${id}/rollout`)).body;
      return rollout.state === 'paused' ? rollout : undefined;
    });
    expect(paused.pausedReason).toBe(
      `${ref(
        second,
      )} is unhealthy: errorRate 0.3 is above 0.05; errorRate 0.3 rose from 0.01 before the delivery (at most 0.02 more)`,
    );
    const events: MigrationEvent[] = (
      await call('get', `/migrations/${id}/events?limit=100`)
    ).body.items;
    const breach = events.find(e => e.type === 'health-breach');
    expect(breach?.data).toMatchObject({
      source: 'prometheus',
      signal: { errorRate: 0.3, durationSeconds: 0.2 },
    });
    expect(
      events.some(
        e => e.type === 'wave-started' && (e.data as any)?.wave === 1,
      ),
    ).toBe(true);
    await backend.stop();
  });
});
