import type { ReactNode } from 'react';
import { SWRConfig } from 'swr';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  AuthorizeResult,
  type EvaluatePermissionRequest,
} from '@backstage/plugin-permission-common';
import type {
  Consumer,
  ConsumerDetail,
  Migration,
  RippleApi,
  Step,
  StepName,
  StepPlanView,
  Validation,
  ValidationSummary,
} from '@ripple/backstage-plugin-ripple-common';
import { rippleApiRef } from '../api';
import { rootRouteRef } from '../routes';

/**
 * A RippleApi whose every method is a jest mock that fails unless the test
 * gives it an answer, so a test states every request it expects.
 */
export function mockRippleApi(
  answers: Partial<RippleApi> = {},
): jest.Mocked<RippleApi> {
  const api: Record<string, jest.Mock> = {};
  const methods: (keyof RippleApi)[] = [
    'getEngine',
    'getEngineCanary',
    'decideEngineCanary',
    'tables',
    'listMigrations',
    'getMigration',
    'createMigration',
    'analyzeMigration',
    'cancelMigration',
    'setTargetDate',
    'getConsumerTimeline',
    'decideDraftSuggestion',
    'discardDraft',
    'listMigrationEvents',
    'listConsumers',
    'getConsumer',
    'getConsumerPatch',
    'reviewPatch',
    'validatePatch',
    'markConsumerMerged',
    'listEntityMigrations',
    'previewMigration',
    'getRollout',
    'startRollout',
    'advanceRollout',
    'pauseRollout',
    'resumeRollout',
    'rollbackRollout',
    'stopAutomation',
    'resumeAutomation',
    'getCompatView',
    'markCompatViewApplied',
    'listLineageJobs',
    'getDataset',
    'getDatasetCode',
    'getStepPlan',
    'createStepPlan',
    'getStep',
    'runStep',
    'retryStep',
    'rollbackStep',
    'markStepDone',
    'approveStep',
  ];
  for (const method of methods) {
    const answer = answers[method] as
      | ((...args: unknown[]) => unknown)
      | undefined;
    api[method] = jest.fn(
      answer ??
        (async () => Promise.reject(new Error(`${method} was not expected`))),
    );
  }
  return api as unknown as jest.Mocked<RippleApi>;
}

/** A backend error as RippleClient throws it: a ResponseError with the body. */
export function responseError(status: number, message: string) {
  return Object.assign(new Error(`Request failed with ${status}, ${message}`), {
    name: 'ResponseError',
    response: { status },
    body: { error: { name: 'Error', message } },
  });
}

/** Renders inside a test app with Ripple's API, a permission policy and the routes links need. */
export async function renderWithRipple(
  element: ReactNode,
  options: {
    api: RippleApi;
    authorize?: (
      request: EvaluatePermissionRequest,
    ) => AuthorizeResult.ALLOW | AuthorizeResult.DENY;
    routeEntries?: string[];
  },
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [rippleApiRef, options.api],
        [
          permissionApiRef,
          mockApis.permission({
            authorize: options.authorize ?? (() => AuthorizeResult.ALLOW),
          }),
        ],
      ]}
    >
      {/* usePermission caches decisions in SWR's global cache: each test gets its own. */}
      <SWRConfig value={{ provider: () => new Map() }}>{element}</SWRConfig>
    </TestApiProvider>,
    {
      routeEntries: options.routeEntries,
      mountedRoutes: {
        '/ripple': rootRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}

const T0 = '2026-11-20T10:00:00.000Z';

export function aMigration(overrides: Partial<Migration> = {}): Migration {
  return {
    id: 'm1',
    datasetRef: 'resource:default/orders',
    change: {
      dataset: 'proj.ds.orders',
      changes: [{ kind: 'rename_column', column: 'amount', to: 'amount_usd' }],
    },
    title: 'Rename amount to amount_usd',
    owner: 'group:default/data-platform',
    state: 'proposed',
    createdBy: 'user:default/guest',
    createdAt: T0,
    updatedAt: T0,
    progress: {
      total: 4,
      approved: 1,
      rejected: 1,
      awaitingDecision: 1,
      delivered: 0,
      merged: 1,
      failed: 0,
      unhealthy: 0,
    },
    ...overrides,
  };
}

export function aConsumer(
  ref: string,
  overrides: Partial<Consumer> = {},
): Consumer {
  return {
    migrationId: 'm1',
    consumerRef: ref,
    discoveredBy: 'catalog',
    impact: {
      files: [{ path: 'export_orders.py', references: 2, columns: ['amount'] }],
      references: 2,
    },
    patch: {
      id: 1,
      version: 1,
      status: 'rewritten',
      stale: false,
      createdAt: T0,
    },
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/**
 * One consumer as `getConsumer` answers it: as the list has it, with its
 * validation whole.
 */
export function aConsumerDetail(
  ref: string,
  overrides: Partial<ConsumerDetail> = {},
): ConsumerDetail {
  const { validation: _summary, ...consumer } = aConsumer(ref);
  return { ...consumer, ...overrides };
}

/**
 * A failed validation of patch 1 on the warehouse `example`: one statement
 * failed (a column's checksums and one row differ), one passed.
 */
export function aFailedValidation(
  overrides: Partial<Validation> = {},
): Validation {
  return {
    id: 7,
    patchId: 1,
    status: 'failed',
    warehouse: 'example',
    statements: [
      {
        path: 'export_orders.py',
        line: 3,
        status: 'failed',
        reason: '1 row differs',
        rows: { before: 120, after: 120 },
        columns: [
          { name: 'id', before: 'a1', after: 'a1', equal: true },
          { name: 'amount', before: 'b2', after: 'c3', equal: false },
        ],
        differences: [{ key: [42], before: [42, 10.5], after: [42, 1050] }],
      },
      {
        path: 'export_orders.py',
        line: 20,
        status: 'passed',
        rows: { before: 3, after: 3 },
      },
    ],
    statementCounts: { passed: 1, failed: 1, skipped: 0, error: 0 },
    sample: "day >= '2026-11-20'",
    bytesProcessed: 48_200_000,
    requestedAt: '2026-11-21T10:00:00.000Z',
    finishedAt: '2026-11-21T10:00:01.000Z',
    ...overrides,
  };
}

/** A validation as the consumer list carries it: without its statements. */
export function summaryOf(validation: Validation): ValidationSummary {
  const { statements: _whole, ...summary } = validation;
  return summary;
}

/**
 * The API of a migration page whose consumers are `consumers`: its
 * migration, no events, a rollout not started, no compatibility view, and
 * no patch to load; `answers` replaces any of these.
 */
export function migrationPageApi(
  consumers: Consumer[],
  answers: Partial<RippleApi> = {},
) {
  return mockRippleApi({
    getMigration: async () => aMigration(),
    listConsumers: async () => ({
      items: consumers,
      totalCount: consumers.length,
    }),
    listMigrationEvents: async () => ({ items: [] }),
    getRollout: async () => ({
      state: 'not_started',
      plan: {
        waves: [{ name: 'all', percent: 100 }],
        soakMinutes: 60,
        autoAdvance: false,
        autoApprove: false,
        requireValidation: false,
        health: {},
      },
      waves: [],
    }),
    getCompatView: async () => ({
      state: 'unavailable',
      cleanupOffered: false,
      reason: 'the table keeps its name',
    }),
    getConsumerPatch: async () => {
      throw new Error('no patch');
    },
    ...answers,
  });
}

const STEP_NAMES: StepName[] = [
  'expand',
  'backfill',
  'verify',
  'switch',
  'contract',
];

/**
 * The step plan of a column rename of `shop.orders` (versioned: the table
 * keeps its name) on the warehouse `example`, run by Ripple, nothing run
 * yet; `steps` replaces any step's fields, by name.
 */
export function aStepPlan(
  overrides: Partial<StepPlanView> = {},
  steps: Partial<Record<StepName, Partial<Step>>> = {},
): StepPlanView {
  const base: Record<
    StepName,
    Pick<Step, 'statements' | 'rollback'> & Partial<Step>
  > = {
    expand: {
      statements: [
        'CREATE TABLE shop.orders__ripple_v2 (id BIGINT, amount_usd DOUBLE);',
      ],
      rollback: ['DROP TABLE IF EXISTS shop.orders__ripple_v2;'],
    },
    backfill: {
      statements: [
        'INSERT INTO shop.orders__ripple_v2 (id, amount_usd) SELECT id, amount FROM shop.orders;',
      ],
      rollback: ['DELETE FROM shop.orders__ripple_v2;'],
    },
    verify: {
      statements: [
        'SELECT (SELECT count(*) FROM shop.orders) = (SELECT count(*) FROM shop.orders__ripple_v2);',
      ],
      rollback: [],
    },
    switch: {
      statements: [
        'ALTER TABLE shop.orders RENAME TO orders__ripple_old;',
        'CREATE VIEW shop.orders AS SELECT id, amount_usd AS amount, amount_usd FROM shop.orders__ripple_v2;',
      ],
      rollback: [
        'DROP VIEW IF EXISTS shop.orders;',
        'ALTER TABLE shop.orders__ripple_old RENAME TO orders;',
      ],
    },
    contract: {
      statements: [
        'DROP VIEW IF EXISTS shop.orders;',
        'ALTER TABLE shop.orders__ripple_v2 RENAME TO orders;',
      ],
      rollback: [
        'ALTER TABLE shop.orders RENAME TO orders__ripple_v2;',
        'CREATE VIEW shop.orders AS SELECT id, amount_usd AS amount, amount_usd FROM shop.orders__ripple_v2;',
      ],
      approval: ['DROP TABLE IF EXISTS shop.orders__ripple_old;'],
    },
  };
  return {
    migrationId: 'm1',
    warehouse: 'example',
    mode: 'run',
    dialect: 'duckdb',
    layout: 'versioned',
    dataset: 'shop.orders',
    newTable: 'shop.orders__ripple_v2',
    oldTable: 'shop.orders__ripple_old',
    finalTable: 'shop.orders',
    key: 'id',
    batchRows: 100000,
    next: 'expand',
    script:
      '-- expand\nCREATE TABLE shop.orders__ripple_v2 (id BIGINT, amount_usd DOUBLE);\n',
    createdBy: 'user:default/guest',
    createdAt: T0,
    steps: STEP_NAMES.map(name => ({
      name,
      state: 'pending',
      attempt: 0,
      ...base[name],
      ...steps[name],
    })),
    ...overrides,
  };
}
