import type { Response } from 'supertest';
import { expectValidResponse } from './openApiResponses';

function response(method: string, path: string, status: number, body: unknown) {
  return { req: { method, path }, status, body } as unknown as Response;
}

const migration = {
  id: 'a',
  datasetRef: 'resource:default/orders',
  change: { dataset: 'proj.ds.orders', changes: [] },
  title: 't',
  owner: 'user:default/guest',
  state: 'draft',
  createdBy: 'user:default/guest',
  createdAt: '2026-11-21T00:00:00.000Z',
  updatedAt: '2026-11-21T00:00:00.000Z',
  progress: {
    total: 0,
    approved: 0,
    rejected: 0,
    awaitingDecision: 0,
    delivered: 0,
    merged: 0,
    failed: 0,
    unhealthy: 0,
  },
};

const validation = {
  id: 1,
  patchId: 2,
  status: 'failed',
  warehouse: 'example',
  statementCounts: { passed: 0, failed: 1, skipped: 0, error: 0 },
  requestedAt: '2026-11-21T00:00:00.000Z',
};
const consumer = {
  migrationId: 'a',
  consumerRef: 'component:default/report',
  discoveredBy: 'catalog',
  validation,
  createdAt: '2026-11-21T00:00:00.000Z',
  updatedAt: '2026-11-21T00:00:00.000Z',
};
const statement = { path: 'q.sql', line: 1, status: 'failed' };

// The checker the integration tests rely on must itself refuse what the
// spec does not allow.
describe('expectValidResponse', () => {
  it('accepts a body matching the operation and status', () => {
    expect(() =>
      expectValidResponse(
        response('GET', '/api/ripple/migrations/a', 200, migration),
      ),
    ).not.toThrow();
  });

  it('refuses a body missing a required field or with a wrong enum value', () => {
    const { title, ...untitled } = migration;
    expect(() =>
      expectValidResponse(
        response('GET', '/api/ripple/migrations/a', 200, untitled),
      ),
    ).toThrow(/must have required property 'title'/);
    expect(() =>
      expectValidResponse(
        response('GET', '/api/ripple/migrations/a', 200, {
          ...migration,
          state: 'done',
        }),
      ),
    ).toThrow(/state must be equal to one of the allowed values/);
  });

  it('refuses a status the operation does not list', () => {
    expect(() =>
      expectValidResponse(
        response('GET', '/api/ripple/migrations/a', 409, {
          error: { name: 'x', message: 'y' },
        }),
      ),
    ).toThrow(/answered 409, which the spec does not list/);
  });

  it('checks error bodies against the error schema', () => {
    expect(() =>
      expectValidResponse(
        response('GET', '/api/ripple/migrations/a', 404, { message: 'x' }),
      ),
    ).toThrow(/must have required property 'error'/);
  });
});

// The consumer list carries a validation's summary; the single consumer
// (an allOf of the listed consumer and the whole validation) its statements.
describe("a consumer's validation in the spec", () => {
  const list = (body: object) =>
    response('GET', '/api/ripple/migrations/a/consumers', 200, {
      items: [body],
      totalCount: 1,
    });
  const single = (body: object) =>
    response(
      'GET',
      '/api/ripple/migrations/a/consumers/component%3Adefault%2Freport',
      200,
      body,
    );

  it('takes a summary in the list, and needs its statement counts', () => {
    expect(() => expectValidResponse(list(consumer))).not.toThrow();
    const { statementCounts, ...uncounted } = validation;
    expect(() =>
      expectValidResponse(list({ ...consumer, validation: uncounted })),
    ).toThrow(/must have required property 'statementCounts'/);
  });

  it('needs the statements in the single consumer', () => {
    expect(() =>
      expectValidResponse(
        single({
          ...consumer,
          validation: { ...validation, statements: [statement] },
        }),
      ),
    ).not.toThrow();
    expect(() => expectValidResponse(single(consumer))).toThrow(
      /must have required property 'statements'/,
    );
  });
});
