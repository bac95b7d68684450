import type { Validation } from '@ripple/backstage-plugin-ripple-common';
import { someOf, validationVerdict } from './requirement';

const validation = (fields: Partial<Validation>): Validation => ({
  id: 7,
  patchId: 3,
  status: 'passed',
  warehouse: 'test',
  statements: [],
  statementCounts: { passed: 0, failed: 0, skipped: 0, error: 0 },
  requestedAt: '2026-12-21T10:00:00.000Z',
  ...fields,
});

describe('validationVerdict', () => {
  it('counts a passed validation, and a skipped one only with its reason', () => {
    expect(validationVerdict(validation({ status: 'passed' }))).toEqual({
      ok: true,
    });
    expect(
      validationVerdict(
        validation({ status: 'skipped', reason: 'dbt compiles it first' }),
      ),
    ).toEqual({ ok: true });
    expect(validationVerdict(validation({ status: 'skipped' }))).toEqual({
      ok: false,
      status: 'skipped',
      why: 'its validation on warehouse test was skipped without a reason, which does not count: validate it again',
      final: true,
      validationId: 7,
    });
  });

  it('waits for a validation still to come', () => {
    expect(validationVerdict(undefined)).toMatchObject({
      ok: false,
      status: 'not_validated',
      final: false,
      why: expect.stringContaining('has not been validated yet'),
    });
    expect(validationVerdict(validation({ status: 'pending' }))).toEqual({
      ok: false,
      status: 'pending',
      why: 'its validation on warehouse test is pending (asked for, not started yet)',
      final: false,
      validationId: 7,
    });
    expect(validationVerdict(validation({ status: 'running' }))).toMatchObject({
      ok: false,
      final: false,
      why: expect.stringContaining('is running'),
    });
  });

  it('says why a validation failed: its reason, else its statements', () => {
    expect(
      validationVerdict(
        validation({ status: 'error', reason: 'unreachable: warehouse test' }),
      ),
    ).toMatchObject({
      ok: false,
      final: true,
      why: 'its validation on warehouse test ended in an error: unreachable: warehouse test',
    });
    expect(
      validationVerdict(
        validation({
          status: 'failed',
          statements: [
            { path: 'ok.sql', line: 1, status: 'passed' },
            {
              path: 'audit.sql',
              line: 3,
              status: 'failed',
              rows: { before: 2, after: 2 },
              columns: [
                { name: 'id', before: 'a', after: 'b', equal: false },
                { name: 'amount', before: 'c', after: 'c', equal: true },
              ],
              missing: { before: [], after: ['extra'] },
              differences: [{ before: [1], after: [2] } as never],
            },
          ],
        }),
      ),
    ).toMatchObject({
      ok: false,
      status: 'failed',
      final: true,
      why: 'its validation on warehouse test failed: audit.sql:3: 2 rows before the patch, 2 after, columns whose values differ: id, columns only after the patch: extra, 1 differing row in the sample',
    });
  });
});

describe('someOf', () => {
  it('names the first few of a long list', () => {
    expect(someOf(['a', 'b'])).toBe('a; b');
    expect(someOf(['a', 'b', 'c'], 2)).toBe('a; b; and 1 more');
  });
});
