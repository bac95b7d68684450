import { TestDatabases } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import catalogModuleRipple, {
  rippleAnnotations,
} from '@ripple/backstage-plugin-catalog-backend-module-ripple';
import { Server } from 'node:http';
import request from 'supertest';
import { as, startRippleTestBackend } from '../__testUtils__/testBackend';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

/** Polls the catalog until `check` passes on the entity (or times out). */
async function waitForEntity(
  server: Server,
  path: string,
  check: (entity: Entity) => boolean,
): Promise<Entity> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await request(server)
      .get(`/api/catalog/entities/by-name/${path}`)
      .set(as('guest'));
    if (res.status === 200 && check(res.body)) {
      return res.body;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${path} never passed the check: ${JSON.stringify(res.body)}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}

describe.each(databases.eachSupportedId())(
  'the Ripple catalog module on %s',
  databaseId => {
    it('records migration states, review decisions and the dependencies found in code in the catalog', async () => {
      const backend = await startRippleTestBackend({
        databases,
        databaseId,
        agent: { intervalSeconds: 1 },
        features: [catalogModuleRipple],
        config: {
          catalog: { processingInterval: { seconds: 1 } },
          ripple: { catalog: { summaryTtlSeconds: 0.5 } },
        },
      });
      const { server } = backend;
      try {
        const api = request(server);
        // orders-export reads proj.ds.customers (a JOIN) but declares only
        // orders: the agent finds it in its code.
        const created = await api
          .post('/api/ripple/migrations')
          .set(as('guest'))
          .send({
            datasetRef: 'resource:default/customers',
            title: 'Rename email',
            change: {
              dataset: 'proj.ds.customers',
              dialect: 'bigquery',
              changes: [
                { kind: 'rename_column', column: 'email', to: 'email_address' },
              ],
            },
          });
        expect(created.status).toBe(201);
        const id = created.body.id as string;
        await api.post(`/api/ripple/migrations/${id}/analyze`).set(as('guest'));

        const consumer = encodeURIComponent('component:default/orders-export');
        let patch;
        for (const deadline = Date.now() + 60_000; ; ) {
          patch = await api
            .get(`/api/ripple/migrations/${id}/consumers/${consumer}/patch`)
            .set(as('guest'));
          const migration = await api
            .get(`/api/ripple/migrations/${id}`)
            .set(as('guest'));
          if (patch.status === 200 && migration.body.state === 'proposed')
            break;
          if (Date.now() > deadline)
            throw new Error('the agent did not analyse');
          await new Promise(resolve => setTimeout(resolve, 250));
        }
        const consumers = await api
          .get(`/api/ripple/migrations/${id}/consumers`)
          .set(as('guest'));
        expect(
          consumers.body.items.find(
            (c: { consumerRef: string }) =>
              c.consumerRef === 'component:default/orders-export',
          ).discoveredBy,
        ).toBe('code');

        const stateKey = rippleAnnotations.migrationState(id);
        const reviewKey = rippleAnnotations.reviewDecision(id);

        // Before any review: pending, and the relation found in code. The
        // catalog follows Ripple's summary eventually: an entity processed
        // while the analysis was finishing can show the patch's pending
        // review with the state still analyzing, so both are waited for.
        const pending = await waitForEntity(
          server,
          'component/default/orders-export',
          e =>
            e.metadata.annotations?.[reviewKey] === 'pending' &&
            e.metadata.annotations?.[stateKey] === 'proposed',
        );
        expect(pending.metadata.annotations).toMatchObject({
          [rippleAnnotations.migrations]: id,
          [stateKey]: 'proposed',
        });
        expect(pending.relations).toContainEqual(
          expect.objectContaining({
            type: 'dependsOn',
            targetRef: 'resource:default/customers',
          }),
        );
        const dataset = await waitForEntity(
          server,
          'resource/default/customers',
          e => e.metadata.annotations?.[stateKey] === 'proposed',
        );
        expect(dataset.relations).toContainEqual(
          expect.objectContaining({
            type: 'dependencyOf',
            targetRef: 'component:default/orders-export',
          }),
        );
        // A consumer that declares it depends on customers gets no relation
        // from Ripple, but its decision like any other.
        expect(
          (
            await waitForEntity(
              server,
              'component/default/jaffle-dbt',
              e => e.metadata.annotations?.[stateKey] === 'proposed',
            )
          ).metadata.annotations?.[reviewKey],
        ).toBe('pending');

        // The owner approves: the annotation follows.
        const review = await api
          .post(`/api/ripple/migrations/${id}/consumers/${consumer}/review`)
          .set(as('guest'))
          .send({ decision: 'approve', patchId: patch.body.patch.id });
        expect(review.status).toBe(201);
        await waitForEntity(
          server,
          'component/default/orders-export',
          e => e.metadata.annotations?.[reviewKey] === 'approve',
        );

        // Cancelled: the migration's annotations go; the lineage its analysis
        // found stays.
        await api
          .post(`/api/ripple/migrations/${id}/cancel`)
          .set(as('guest'))
          .send({});
        const after = await waitForEntity(
          server,
          'component/default/orders-export',
          e => e.metadata.annotations?.[stateKey] === undefined,
        );
        expect(after.metadata.annotations?.[rippleAnnotations.migrations]).toBe(
          undefined,
        );
        expect(after.relations).toContainEqual(
          expect.objectContaining({
            type: 'dependsOn',
            targetRef: 'resource:default/customers',
          }),
        );
      } finally {
        await backend.stop();
      }
    });
  },
);
