import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { FakeGitHub } from '@ripple/backstage-plugin-ripple-node/testUtils';
import { loadEngine, type RippleEngine } from '@ripple/engine';
import { setupServer } from 'msw/node';
import { applyDatabaseMigrations } from '../database/DatabaseMigrationStore';
import { DatabaseConsumerIndexStore } from '../database/DatabaseConsumerIndexStore';
import { ConsumerIndex } from './ConsumerIndex';
import { repositoryOf } from './repositories';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

// One repository holding three consumers' code locations, and a second one,
// on a GitHub Enterprise host, holding one: the real GithubUrlReader against
// the fake GitHub API.
const MONOREPO = {
  'reports/daily.sql': 'SELECT id, amount FROM proj.ds.orders\n',
  'jobs/export.py':
    'QUERY = """\nSELECT c.id, c.name FROM proj.ds.customers AS c\n"""\n',
  'shop/dbt_project.yml': "name: shop\nversion: '1.0.0'\n",
  'shop/models/sources.yml':
    'version: 2\nsources:\n  - name: shop\n    database: proj\n    schema: ds\n    tables:\n      - name: orders\n',
  'shop/models/stg.sql':
    "select id, status from {{ source('shop', 'orders') }}\n",
  'README.md': 'not code\n',
};

function component(name: string, location: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      etag: '1',
      annotations: { 'backstage.io/source-location': `url:${location}` },
    },
    spec: {},
  };
}

const entities = [
  component('reports', 'https://github.com/acme/data/tree/main/reports/'),
  component('jobs', 'https://github.com/acme/data/tree/main/jobs'),
  component('shop', 'https://github.com/acme/data/tree/main/shop/'),
  component('billing', 'https://ghe.acme.test/acme/billing/tree/main/'),
];

describe('repositoryOf', () => {
  const integrations = ScmIntegrations.fromConfig(
    mockServices.rootConfig({
      data: {
        integrations: {
          github: [{ host: 'github.com' }, { host: 'ghe.acme.test:8443' }],
          gitlab: [{ host: 'gitlab.com' }],
        },
      },
    }),
  );

  it("groups GitHub's locations by repository and ref; checks the others alone", () => {
    expect(
      repositoryOf(integrations, 'https://github.com/acme/data/tree/main/a/b/'),
    ).toEqual({
      repository: 'https://github.com/acme/data/tree/main',
      path: 'a/b',
    });
    expect(
      repositoryOf(
        integrations,
        'https://ghe.acme.test:8443/acme/data/tree/v2',
      ),
    ).toEqual({
      repository: 'https://ghe.acme.test:8443/acme/data/tree/v2',
      path: '',
    });
    expect(repositoryOf(integrations, 'https://github.com/acme/data')).toEqual({
      repository: 'https://github.com/acme/data',
      path: '',
    });
    // A file, another SCM (its etag is per path), a local folder.
    expect(
      repositoryOf(
        integrations,
        'https://github.com/acme/data/blob/main/a.sql',
      ),
    ).toBeUndefined();
    expect(
      repositoryOf(integrations, 'https://gitlab.com/acme/data/-/tree/main/a'),
    ).toBeUndefined();
    expect(repositoryOf(integrations, 'file:///srv/code/a/')).toBeUndefined();
  });
});

describe.each(databases.eachSupportedId())(
  'The consumer index on GitHub, by repository, on %s',
  databaseId => {
    const server = setupServer();
    let engine: RippleEngine;
    let data: FakeGitHub;
    let billing: FakeGitHub;
    beforeAll(async () => {
      engine = await loadEngine();
      server.listen({ onUnhandledRequest: 'error' });
    });
    afterAll(() => server.close());
    beforeEach(() => {
      data = new FakeGitHub('https://api.github.com', 'acme', 'data');
      billing = new FakeGitHub(
        'https://ghe.acme.test/api/v3',
        'acme',
        'billing',
      );
      data.seed('main', MONOREPO);
      billing.seed('main', {
        'invoices.sql': 'SELECT i.id FROM proj.ds.orders AS i\n',
      });
      server.resetHandlers(...data.handlers(), ...billing.handlers());
    });

    async function setup(batch = 10) {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const config = mockServices.rootConfig({
        data: {
          integrations: {
            github: [
              { host: 'github.com' },
              {
                host: 'ghe.acme.test',
                apiBaseUrl: 'https://ghe.acme.test/api/v3',
              },
            ],
          },
        },
      });
      const logger = mockServices.logger.mock();
      const integrations = ScmIntegrations.fromConfig(config);
      const index = new ConsumerIndex({
        store: new DatabaseConsumerIndexStore(knex),
        catalog: catalogServiceMock({ entities }),
        auth: mockServices.auth(),
        urlReader: UrlReaders.default({ config, logger }),
        engine,
        logger,
        refreshMs: 5 * 60_000,
        leaseMs: 60_000,
        concurrency: 4,
        batch,
        repositoryOf: location => repositoryOf(integrations, location),
      });
      return { knex, index };
    }

    /** The requests each fake answered since the last call. */
    function requests() {
      const answered = [data, billing].flatMap(fake =>
        fake.timeline
          .splice(0)
          .map(
            t =>
              `${t.status} ${fake.repo} ${t.path.replace(
                /[0-9a-f]{40}/,
                'SHA',
              )}`,
          ),
      );
      return answered.sort();
    }

    it('reads a repository once for all its locations, and asks it one conditional question per refresh', async () => {
      const { index, knex } = await setup();
      await index.scan();
      const built = await index.work();

      // One status and one tarball per repository, not per location.
      expect(requests()).toEqual([
        '200 billing /repos/acme/billing/commits/main/status',
        '200 billing /repos/acme/billing/tarball/SHA',
        '200 data /repos/acme/data/commits/main/status',
        '200 data /repos/acme/data/tarball/SHA',
      ]);
      expect(built).toEqual({
        read: 4,
        unchanged: 0,
        resummarised: 0,
        failed: 0,
        requests: 2,
      });
      // Each location got its own files, relative to it, and its own reads.
      expect(await index.readers('orders')).toEqual([
        'component:default/billing',
        'component:default/reports',
        'component:default/shop',
      ]);
      expect(await index.readers('customers')).toEqual([
        'component:default/jobs',
      ]);
      const reports = await index.code(entities[0], { readThrough: false });
      expect(reports!.files).toEqual([
        { path: 'daily.sql', text: MONOREPO['reports/daily.sql'] },
      ]);
      const shop = await index.code(entities[2], { readThrough: false });
      expect(shop!.files.map(f => f.path)).toEqual(['models/stg.sql']);
      expect(shop!.dbtSources).toEqual([
        { name: 'shop.orders', table: 'proj.ds.orders' },
      ]);
      expect(shop!.project!.map(f => f.path)).toEqual([
        'dbt_project.yml',
        'models/sources.yml',
        'models/stg.sql',
      ]);
      const rows = await knex('consumer_index')
        .orderBy('entity_ref')
        .select('entity_ref', 'repository');
      expect(rows).toEqual([
        {
          entity_ref: 'component:default/billing',
          repository: 'https://ghe.acme.test/acme/billing/tree/main',
        },
        {
          entity_ref: 'component:default/jobs',
          repository: 'https://github.com/acme/data/tree/main',
        },
        {
          entity_ref: 'component:default/reports',
          repository: 'https://github.com/acme/data/tree/main',
        },
        {
          entity_ref: 'component:default/shop',
          repository: 'https://github.com/acme/data/tree/main',
        },
      ]);

      // Nothing changed: one status request per repository.
      await index.requestRefresh();
      expect(await index.work()).toEqual({
        read: 0,
        unchanged: 4,
        resummarised: 0,
        failed: 0,
        requests: 2,
      });
      expect(requests()).toEqual([
        '200 billing /repos/acme/billing/commits/main/status',
        '200 data /repos/acme/data/commits/main/status',
      ]);

      // A commit to the monorepo: one download, split again by location.
      data.seed('main', {
        'jobs/export.py': 'QUERY = "SELECT o.id FROM proj.ds.orders AS o"\n',
      });
      await index.requestRefresh();
      expect(await index.work()).toEqual({
        read: 3,
        unchanged: 1,
        resummarised: 0,
        failed: 0,
        requests: 2,
      });
      expect(requests()).toEqual([
        '200 billing /repos/acme/billing/commits/main/status',
        '200 data /repos/acme/data/commits/main/status',
        '200 data /repos/acme/data/tarball/SHA',
      ]);
      expect(await index.readers('customers')).toEqual([]);
      expect(await index.readers('orders')).toContain('component:default/jobs');
    });

    it('checks a repository split over two claims in two questions, and records a failed read on each of its locations', async () => {
      const { index } = await setup(2);
      await index.scan();
      await index.work();
      requests();

      await index.requestRefresh();
      // Claims of two: [billing, jobs], [reports, shop].
      expect(await index.work()).toEqual(
        expect.objectContaining({ unchanged: 4, requests: 3 }),
      );
      requests();

      for (let i = 0; i < 2; i++) {
        data.failNext({
          method: 'GET',
          path: /\/status$/,
          status: 500,
          body: { message: 'boom' },
        });
      }
      await index.requestRefresh();
      expect(await index.work()).toEqual(
        expect.objectContaining({ unchanged: 1, failed: 3, requests: 3 }),
      );
      const status = await index.status();
      expect(status.failing).toBe(3);
      // The code read before stays: a failing location still answers.
      const jobs = await index.code(entities[1], { readThrough: false });
      expect(jobs!.files.map(f => f.path)).toEqual(['export.py']);
    });
  },
);
