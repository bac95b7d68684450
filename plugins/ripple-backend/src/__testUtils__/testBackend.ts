import {
  BackendFeature,
  coreServices,
  createBackendModule,
  createServiceFactory,
  AuditorServiceCreateEventOptions,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  isPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { rippleOwnershipDecision } from '@ripple/backstage-plugin-ripple-common';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import type { JsonObject } from '@backstage/types';
import { Knex } from 'knex';
import { Server } from 'node:http';
import request from 'supertest';
import { DatabaseMigrationStore } from '../database/DatabaseMigrationStore';
import { ripplePlugin } from '../plugin';
import { localFileUrlReaderFactory } from '../reading';
import { countingReaderFactory, type ScmCounts } from './countingReaders';

/** The example catalog the dev portal loads (examples/catalog.yaml). */
const exampleCatalog = resolvePackagePath(
  '@ripple/backstage-plugin-ripple-backend',
  '../../examples/catalog.yaml',
);
const examples = resolvePackagePath(
  '@ripple/backstage-plugin-ripple-backend',
  '../../examples',
);

/**
 * The people of the tests and the groups they belong to, as a sign-in
 * resolver would put them in their tokens' ownership claims
 * (examples/org.yaml: data-platform owns orders-export, analytics owns
 * jaffle-dbt).
 */
export const users = {
  guest: {
    ref: 'user:default/guest',
    groups: ['group:default/guests', 'group:default/data-platform'],
  },
  analyst: { ref: 'user:default/analyst', groups: ['group:default/analytics'] },
  /** A Ripple administrator: may accept engine versions (ripple.engine.accept). */
  admin: { ref: 'user:default/admin', groups: ['group:default/ripple-admins'] },
  /** Denied every Ripple permission by the test policy. */
  mallory: { ref: 'user:default/mallory', groups: [] as string[] },
  /**
   * In analytics, but the catalog lets them read only the components their
   * group owns (and every entity of another kind): jaffle-dbt, not
   * orders-export.
   */
  contractor: {
    ref: 'user:default/contractor',
    groups: ['group:default/analytics'],
  },
};

export function as(user: keyof typeof users) {
  return { Authorization: mockCredentials.user.header(users[user].ref) };
}

/**
 * The policy of the tests: the dev portal's (Ripple's permissions
 * conditional on owning the dataset or the consumer, health signals also
 * from services), mallory denied everything of Ripple, and everything else
 * allowed.
 */
class TestPolicy implements PermissionPolicy {
  async handle(
    query: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (
      user?.info.userEntityRef === users.mallory.ref &&
      query.permission.name.startsWith('ripple.')
    ) {
      return { result: AuthorizeResult.DENY };
    }
    if (
      user?.info.userEntityRef === users.contractor.ref &&
      isPermission(query.permission, catalogEntityReadPermission)
    ) {
      return {
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          anyOf: [
            {
              not: {
                rule: 'IS_ENTITY_KIND',
                resourceType: 'catalog-entity',
                params: { kinds: ['component'] },
              },
            },
            {
              rule: 'IS_ENTITY_OWNER',
              resourceType: 'catalog-entity',
              params: { claims: user.info.ownershipEntityRefs ?? [] },
            },
          ],
        },
      };
    }
    // The dev portal's policy (packages/backend/src/permissionPolicy.ts).
    return (
      rippleOwnershipDecision(
        query.permission,
        user ? user.info.ownershipEntityRefs ?? [] : undefined,
      ) ?? { result: AuthorizeResult.ALLOW }
    );
  }
}

const testPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'ripple-test-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new TestPolicy());
      },
    });
  },
});

/**
 * Backstage's mock auth, except that a token a plugin got on behalf of a
 * user authenticates as that user *with the plugin as actor*, as real tokens
 * do. (The mock drops the actor, and the real permission backend then
 * refuses the catalog's conditional checks as "direct user requests".) The
 * real HTTP auth service reads requests' tokens through it.
 *
 * And the static external access tokens of `backend.auth.externalAccess`
 * authenticate as the service `external:<subject>`, as Backstage's own
 * static token handler makes them (how OpenLineage emitters post).
 */
const authFactory = createServiceFactory({
  service: coreServices.auth,
  deps: {
    plugin: coreServices.pluginMetadata,
    config: coreServices.rootConfig,
  },
  factory({ plugin, config }) {
    const mock = mockServices.auth({ pluginId: plugin.getId() });
    const prefix = 'mock-service-token:';
    const staticTokens = new Map(
      (config.getOptionalConfigArray('backend.auth.externalAccess') ?? [])
        .filter(entry => entry.getString('type') === 'static')
        .map(entry => [
          entry.getString('options.token'),
          entry.getString('options.subject'),
        ]),
    );
    return Object.assign(Object.create(mock), {
      async authenticate(
        token: string,
        options?: Parameters<typeof mock.authenticate>[1],
      ) {
        const subject = staticTokens.get(token);
        if (subject !== undefined) {
          return mockCredentials.service(`external:${subject}`);
        }
        const credentials = await mock.authenticate(token, options);
        if (token.startsWith(prefix)) {
          const { obo, target } = JSON.parse(token.slice(prefix.length));
          if (obo) {
            return mockCredentials.user(obo, {
              actor: { subject: `plugin:${target ?? 'unknown'}` },
            });
          }
        }
        return credentials;
      },
    });
  },
});

export type AuditRecord = {
  eventId: string;
  meta?: AuditorServiceCreateEventOptions['meta'];
  outcome?: 'success' | 'failure';
  error?: string;
};

/**
 * Starts a real backend with Ripple, the real catalog (loading the example
 * catalog) and the real permission backend with {@link TestPolicy}. Ripple's
 * tables live in the database under test; the catalog's in SQLite. Auth
 * tokens are Backstage's mock ones, and the audit events are recorded for the
 * tests to read.
 */
export async function startRippleTestBackend(options: {
  databases: TestDatabases;
  databaseId: TestDatabaseId;
  /**
   * The plugins' databases of another backend, to run on the same ones (a
   * restart, or a second replica); new ones by default.
   */
  share?: Map<string, Knex>;
  /**
   * Runs the agent for real: Backstage's scheduler (global tasks, locked in
   * Ripple's database) every `intervalSeconds`, reading the example
   * consumers through the UrlReaderService. Without it the agent runs once
   * at startup and never again, and tests write what it would.
   */
  agent?: { intervalSeconds: number };
  /** More features (a catalog module, say) and config, merged over the test's. */
  features?: BackendFeature[];
  config?: JsonObject;
  /** More catalog files, besides the example catalog. */
  locations?: string[];
  /** More folders the agent may read code from (file: URLs), besides the examples. */
  readable?: string[];
  /** Counts the backend's code reads here (`readTree` calls). */
  scmCounts?: ScmCounts;
  /**
   * Runs the rollout for real (docs/rollout.md): Backstage's scheduler runs
   * its task every `intervalSeconds`.
   */
  rollout?: { intervalSeconds: number };
  /**
   * Runs the notifications to consumer owners for real (docs/backend.md,
   * "Deadlines and notifications"): Backstage's scheduler runs their task
   * every `intervalSeconds`.
   */
  notifications?: { intervalSeconds: number };
  /**
   * Runs the steps on the warehouses for real (docs/steps.md): Backstage's
   * scheduler runs their task every `intervalSeconds`.
   */
  steps?: { intervalSeconds: number };
}): Promise<{
  server: Server;
  auditEvents: AuditRecord[];
  store: DatabaseMigrationStore;
  knex: Knex;
  pluginDatabases: Map<string, Knex>;
  stop(): Promise<void>;
}> {
  const pluginDatabases = new Map(options.share);
  if (!pluginDatabases.has('ripple')) {
    pluginDatabases.set(
      'ripple',
      await options.databases.init(options.databaseId),
    );
  }
  const knex = pluginDatabases.get('ripple')!;
  const auditEvents: AuditRecord[] = [];

  const databaseFactory = createServiceFactory({
    service: coreServices.database,
    deps: { plugin: coreServices.pluginMetadata },
    async factory({ plugin }) {
      let client = pluginDatabases.get(plugin.getId());
      if (!client) {
        client = await options.databases.init('SQLITE_3');
        pluginDatabases.set(plugin.getId(), client);
      }
      return { getClient: async () => client };
    },
  });

  const userInfo = mockServices.userInfo.mock({
    async getUserInfo(credentials) {
      const principal = credentials.principal as { userEntityRef: string };
      const user = Object.values(users).find(
        u => u.ref === principal.userEntityRef,
      );
      return {
        userEntityRef: principal.userEntityRef,
        ownershipEntityRefs: [principal.userEntityRef, ...(user?.groups ?? [])],
      };
    },
  });

  const auditor = mockServices.auditor.mock({
    async createEvent(event) {
      const record: AuditRecord = { eventId: event.eventId, meta: event.meta };
      auditEvents.push(record);
      return {
        async success() {
          record.outcome = 'success';
        },
        async fail({ error }) {
          record.outcome = 'failure';
          record.error = error.message;
        },
      };
    },
  });

  const backend = await startTestBackend({
    features: [
      ripplePlugin,
      catalogPlugin,
      permissionPlugin,
      testPolicyModule,
      authFactory,
      httpAuthServiceFactory,
      databaseFactory,
      userInfo.factory,
      auditor.factory,
      // The example consumers' code and datasets' schema files, from disk.
      options.scmCounts
        ? countingReaderFactory(options.scmCounts)
        : localFileUrlReaderFactory,
      ...(options.agent ||
      options.rollout ||
      options.notifications ||
      options.steps
        ? [schedulerServiceFactory]
        : []),
      ...(options.features ?? []),
      mockServices.rootConfig.factory({
        data: merge(
          {
            ripple: {
              // With the real scheduler, the consumer index sees the test's
              // catalog and code changes within seconds; and a backend the
              // test stops (and starts again on the same database) leaves its
              // scan's lock for seconds, not minutes.
              index: {
                scanMinutes: 0.05,
                refreshMinutes: 0.05,
                intervalSeconds: 1,
                leaseMinutes: 0.05,
              },
              ...(options.agent ? { agent: options.agent } : {}),
              ...(options.rollout ? { rollout: options.rollout } : {}),
              ...(options.notifications
                ? { notifications: options.notifications }
                : {}),
              ...(options.steps ? { steps: options.steps } : {}),
            },
            backend: {
              reading: {
                allow: [
                  {
                    host: 'localhost',
                    paths: [examples, ...(options.readable ?? [])],
                  },
                ],
              },
            },
            permission: { enabled: true },
            catalog: {
              rules: [
                {
                  allow: [
                    'Component',
                    'System',
                    'API',
                    'Resource',
                    'Location',
                    'User',
                    'Group',
                  ],
                },
              ],
              locations: [exampleCatalog, ...(options.locations ?? [])].map(
                target => ({ type: 'file', target }),
              ),
            },
          },
          options.config ?? {},
        ),
      }),
    ],
  });
  await waitForCatalog(backend.server, [
    'component/default/orders-export',
    'component/default/jaffle-dbt',
    'resource/default/orders',
    'group/default/data-platform',
  ]);
  await refreshConsumerIndex(backend.server);
  return {
    server: backend.server,
    auditEvents,
    // The store on the same database, to stand in for the agent (which
    // records consumers and patches) until it exists.
    store: new DatabaseMigrationStore(knex),
    knex,
    pluginDatabases,
    stop: () => backend.stop(),
  };
}

/**
 * Refreshes the consumer index and waits until a refresh that started after
 * this call has read the whole catalog: what a test changed in the catalog
 * or in consumers' code before the call is then what the agent and the
 * previews see. (With Backstage's mock scheduler the refresh runs inside
 * the request; with the real one, in the background.)
 */
export async function refreshConsumerIndex(server: Server): Promise<void> {
  const since = Date.now();
  const deadline = since + 60_000;
  let last: unknown;
  for (;;) {
    const refreshed = await request(server)
      .post('/api/ripple/index/refresh')
      .set(as('admin'));
    if (refreshed.status !== 202) {
      throw new Error(
        `POST /index/refresh: ${refreshed.status} ${refreshed.text}`,
      );
    }
    for (let i = 0; i < 50; i++) {
      const { body } = await request(server)
        .get('/api/ripple/index')
        .set(as('admin'));
      last = body;
      const started = Date.parse(body.lastScan?.startedAt ?? '');
      // (SQLite may keep whole seconds.)
      const completed = Date.parse(body.lastScan?.completedAt ?? '');
      if (
        body.ready &&
        body.due === 0 &&
        started >= Math.floor(since / 1000) * 1000 &&
        completed >= started
      ) {
        return;
      }
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    if (Date.now() > deadline) {
      throw new Error(
        `The consumer index did not refresh in 60 s: ${JSON.stringify(last)}`,
      );
    }
    // A refresh under way when asked refuses the trigger: ask again.
  }
}

/** The catalog processes the example locations in the background. */
async function waitForCatalog(
  server: Server,
  entities: string[],
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const entity of entities) {
    for (;;) {
      const res = await request(server)
        .get(`/api/catalog/entities/by-name/${entity}`)
        .set(as('guest'));
      if (res.status === 200 && res.body.relations?.length) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `The catalog did not load ${entity}: ${res.status} ${JSON.stringify(
            res.body,
          )}`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }
}

/** `b` over `a`, objects merged key by key. */
function merge(a: JsonObject, b: JsonObject): JsonObject {
  const merged: JsonObject = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const base = merged[key];
    merged[key] =
      isObject(base) && isObject(value) ? merge(base, value) : value;
  }
  return merged;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
