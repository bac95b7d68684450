import {
  coreServices,
  createBackendModule,
  createServiceFactory,
  resolveSafeChildPath,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleTemplateKind from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import githubModule from '@backstage/plugin-scaffolder-backend-module-github';
import {
  createTemplateAction,
  scaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
// The dev portal's reader of local files (a test-only use of the backend
// plugin's package), through which fetch:plain reads the example consumers.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import { localFileUrlReaderFactory } from '@ripple/backstage-plugin-ripple-backend';
import { Knex } from 'knex';
import fs from 'node:fs';
import { Server } from 'node:http';
import path from 'node:path';
import request from 'supertest';
import yaml from 'yaml';
import { exampleConsumers, readTree } from './__testUtils__/runAction';
import { scaffolderModuleRipple } from './module';

// The example template (examples/templates/migrate-consumer) run by the real
// scaffolder in a real backend, against the example consumer repositories on
// disk, found through the real catalog and read through the
// UrlReaderService as the dev portal reads them.

const examples = path.resolve(exampleConsumers, '..');
const templateFile = path.join(
  examples,
  'templates/migrate-consumer/template.yaml',
);
const guest = {
  Authorization: mockCredentials.user.header('user:default/guest'),
};

/** What the change and the form give the template. */
const values = {
  consumer: 'component:default/finance-reports',
  repoUrl: 'github.com?owner=acme&repo=finance-reports',
  dataset: 'proj.ds.orders',
  dialect: 'bigquery',
  kind: 'rename_column',
  column: 'amount',
  to: 'amount_usd',
};

const monthlyClose = fs.readFileSync(
  path.join(exampleConsumers, 'finance-reports/sql/monthly_close.sql'),
  'utf8',
);
const rewrittenMonthlyClose = monthlyClose.replace(
  'SELECT id, amount, ts',
  'SELECT id, amount_usd AS amount, ts',
);

type Published = {
  input: Record<string, unknown>;
  files: Record<string, string>;
};

/**
 * Stands in for publish:github:pull-request where GitHub cannot be reached:
 * it records the pull request the action would open (its input and the files
 * under `sourcePath`) and answers as the real action does.
 */
function publishStandIn(published: Published[]) {
  return createBackendModule({
    pluginId: 'scaffolder',
    moduleId: 'test-publish',
    register(reg) {
      reg.registerInit({
        deps: { actions: scaffolderActionsExtensionPoint },
        async init({ actions }) {
          actions.addActions(
            createTemplateAction({
              id: 'publish:github:pull-request',
              schema: {
                input: {
                  repoUrl: z => z.string(),
                  branchName: z => z.string(),
                  title: z => z.string(),
                  description: z => z.string(),
                  commitMessage: z => z.string().optional(),
                  sourcePath: z => z.string().optional(),
                },
              },
              async handler(ctx) {
                published.push({
                  input: ctx.input,
                  files: readTree(
                    resolveSafeChildPath(
                      ctx.workspacePath,
                      ctx.input.sourcePath ?? '.',
                    ),
                  ),
                });
                ctx.output(
                  'remoteUrl',
                  'https://github.com/acme/finance-reports/pull/7',
                );
              },
            }),
          );
        },
      });
    },
  });
}

async function startBackend(options: {
  databases: TestDatabases;
  databaseId: TestDatabaseId;
  publish: 'github-dry-run' | Published[];
}): Promise<{ server: Server; stop(): Promise<void> }> {
  // The scaffolder's tasks live in the database under test; the catalog's in
  // SQLite.
  const databases = new Map<string, Knex>();
  const databaseFactory = createServiceFactory({
    service: coreServices.database,
    deps: { plugin: coreServices.pluginMetadata },
    async factory({ plugin }) {
      const id = plugin.getId();
      if (!databases.has(id)) {
        databases.set(
          id,
          await options.databases.init(
            id === 'scaffolder' ? options.databaseId : 'SQLITE_3',
          ),
        );
      }
      const client = databases.get(id)!;
      return { getClient: async () => client };
    },
  });
  const backend = await startTestBackend({
    features: [
      scaffolderPlugin,
      scaffolderModuleRipple,
      options.publish === 'github-dry-run'
        ? githubModule
        : publishStandIn(options.publish),
      catalogPlugin,
      catalogModuleTemplateKind,
      localFileUrlReaderFactory,
      databaseFactory,
      mockServices.rootConfig.factory({
        data: {
          backend: {
            reading: {
              allow: [{ host: 'localhost', paths: [exampleConsumers] }],
            },
          },
          // publish:github:pull-request builds its client before its dry
          // run; nothing reaches GitHub.
          integrations: { github: [{ host: 'github.com', token: 'not-used' }] },
          // The dev portal's catalog: its rules and example locations.
          catalog: devPortalCatalog(),
        },
      }),
    ],
  });
  await waitForEntity(backend.server, 'component/default/finance-reports');
  await waitForEntity(
    backend.server,
    'template/default/ripple-migrate-consumer',
  );
  return {
    server: backend.server,
    async stop() {
      // The scaffolder's task broker polls each claimed task's events every
      // second until it sees the completion, in a loop that outlives the
      // backend; give it that second before the test databases close.
      await new Promise(resolve => setTimeout(resolve, 2_100));
      await backend.stop();
    },
  };
}

/**
 * The catalog config of the dev portal (app-config.yaml), its file locations
 * resolved from packages/backend, where the backend runs.
 */
function devPortalCatalog() {
  const root = path.resolve(examples, '..');
  const { catalog } = yaml.parse(
    fs.readFileSync(path.join(root, 'app-config.yaml'), 'utf8'),
  );
  return {
    rules: catalog.rules,
    locations: catalog.locations.map((location: { target: string }) => ({
      ...location,
      target: path.resolve(root, 'packages/backend', location.target),
    })),
  };
}

async function waitForEntity(server: Server, entity: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await request(server)
      .get(`/api/catalog/entities/by-name/${entity}`)
      .set(guest);
    if (res.status === 200) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`The catalog did not load ${entity}: ${res.status}`);
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

function decode(files: { path: string; base64Content: string }[]) {
  return Object.fromEntries(
    files.map(f => [
      f.path,
      Buffer.from(f.base64Content, 'base64').toString('utf8'),
    ]),
  );
}

jest.setTimeout(90_000);

describe('the migrate-consumer template', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it('rewrites a local example repository in a dry run of the real scaffolder, with the real publish:github:pull-request', async () => {
    const backend = await startBackend({
      databases,
      databaseId: 'SQLITE_3',
      publish: 'github-dry-run',
    });
    try {
      const res = await request(backend.server)
        .post('/api/scaffolder/v2/dry-run')
        .set(guest)
        .send({
          template: yaml.parse(fs.readFileSync(templateFile, 'utf8')),
          values,
          directoryContents: [],
        });
      expect(res.status).toBe(200);
      const files = decode(res.body.directoryContents);
      // The consumer as fetched, and the changed files only under patch/.
      expect(files['consumer/sql/monthly_close.sql']).toBe(monthlyClose);
      expect(files['consumer/catalog-info.yaml']).toBeDefined();
      expect(Object.keys(files).filter(f => f.startsWith('patch/'))).toEqual([
        'patch/sql/monthly_close.sql',
      ]);
      expect(files['patch/sql/monthly_close.sql']).toBe(rewrittenMonthlyClose);

      const log = res.body.log.map(
        (l: { body: { message: string } }) => l.body.message,
      );
      expect(log).toContainEqual(
        expect.stringContaining('Performing dry run of creating pull request'),
      );
      expect(res.body.output.text[0].content).toContain(
        '+SELECT id, amount_usd AS amount, ts',
      );
    } finally {
      await backend.stop();
    }
  });

  it.each(databases.eachSupportedId())(
    'runs as a task from the catalog and hands publish the changed files only, %p',
    async databaseId => {
      const published: Published[] = [];
      const backend = await startBackend({
        databases,
        databaseId,
        publish: published,
      });
      try {
        const created = await request(backend.server)
          .post('/api/scaffolder/v2/tasks')
          .set(guest)
          .send({
            templateRef: 'template:default/ripple-migrate-consumer',
            values,
          });
        expect(created.status).toBe(201);
        const task = await waitForTask(backend.server, created.body.id);
        // (The log shows what went wrong when it did.)
        expect(task).toMatchObject({
          status: 'completed',
          log: expect.any(String),
        });

        expect(published).toHaveLength(1);
        expect(published[0].files).toEqual({
          'sql/monthly_close.sql': rewrittenMonthlyClose,
        });
        expect(published[0].input).toMatchObject({
          repoUrl: values.repoUrl,
          branchName: 'ripple/rename-column-amount',
          title: 'Ripple: rename column on proj.ds.orders',
          sourcePath: 'patch',
        });
        expect(published[0].input.description).toContain(
          '| `sql/monthly_close.sql` | rewritten |  |',
        );
        expect(task.output.links).toEqual([
          {
            title: 'Pull request',
            url: 'https://github.com/acme/finance-reports/pull/7',
          },
        ]);
      } finally {
        await backend.stop();
      }
    },
  );

  it('refuses a form without what the change needs, and fails the task with the field at fault for a change the engine refuses, opening no pull request', async () => {
    const published: Published[] = [];
    const backend = await startBackend({
      databases,
      databaseId: 'SQLITE_3',
      publish: published,
    });
    try {
      const incomplete = await request(backend.server)
        .post('/api/scaffolder/v2/tasks')
        .set(guest)
        .send({
          templateRef: 'template:default/ripple-migrate-consumer',
          values: { ...values, kind: 'change_type', to: undefined },
        });
      expect(incomplete.status).toBe(400);
      expect(
        incomplete.body.errors.map((e: { message: string }) => e.message),
      ).toContain('requires property "to"');

      const created = await request(backend.server)
        .post('/api/scaffolder/v2/tasks')
        .set(guest)
        .send({
          templateRef: 'template:default/ripple-migrate-consumer',
          values: { ...values, to: 'amount' },
        });
      expect(created.status).toBe(201);
      const task = await waitForTask(backend.server, created.body.id);
      expect(task.status).toBe('failed');
      expect(task.log).toContain(
        "InputError: change.changes[0].to: is the column's current name",
      );
      expect(published).toEqual([]);
    } finally {
      await backend.stop();
    }
  });
});

/** Waits for a task to finish; resolves to it, its log and its output. */
async function waitForTask(server: Server, id: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await request(server)
      .get(`/api/scaffolder/v2/tasks/${id}`)
      .set(guest);
    if (['completed', 'failed', 'cancelled'].includes(res.body.status)) {
      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${id}/events`)
        .set(guest);
      const body = (type: string) =>
        events.body
          .filter((e: { type: string }) => e.type === type)
          .map((e: { body: Record<string, any> }) => e.body);
      return {
        status: res.body.status as string,
        log: body('log')
          .map((b: { message: string }) => b.message)
          .join('\n'),
        output: body('completion')[0]?.output,
      };
    }
    if (Date.now() > deadline) {
      throw new Error(`task ${id} did not finish: ${JSON.stringify(res.body)}`);
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}
