import type { Finding } from '@ripple/engine';
import { failureReason, patchReason, reasonText } from './reasons';

describe('reasons', () => {
  const finding: Finding = {
    kind: 'dropped_column_used',
    severity: 'needs_edit',
    start: { line: 3, column: 8 },
    end: { line: 3, column: 14 },
    message: 'reads `legacy`, which the change drops',
  };

  it("gives a finding's start and end as the reason's line, column, endLine and endColumn", () => {
    expect(patchReason('q.sql', finding)).toEqual({
      path: 'q.sql',
      kind: 'dropped_column_used',
      severity: 'needs_edit',
      line: 3,
      column: 8,
      endLine: 3,
      endColumn: 14,
      message: 'reads `legacy`, which the change drops',
    });
  });

  it('leaves the place out of a finding about the whole file', () => {
    const whole: Finding = {
      kind: 'file_too_large',
      severity: 'error',
      message: 'too large',
    };
    expect(patchReason('q.sql', whole)).toEqual({
      path: 'q.sql',
      kind: 'file_too_large',
      severity: 'error',
      message: 'too large',
    });
  });

  it('writes a reason as people read it, with its line and column when it has them', () => {
    expect(reasonText(patchReason('q.sql', finding))).toBe(
      'line 3, column 8: reads `legacy`, which the change drops',
    );
    expect(
      reasonText(
        failureReason('', 'unusable_annotation', 'x: annotation y: z'),
      ),
    ).toBe('x: annotation y: z');
    expect(failureReason('d.py', 'engine_failed', 'it failed')).toEqual({
      path: 'd.py',
      kind: 'engine_failed',
      severity: 'error',
      message: 'it failed',
    });
  });
});
