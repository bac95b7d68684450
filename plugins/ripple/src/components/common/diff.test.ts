import type { PatchReason } from '@ripple/backstage-plugin-ripple-common';
import { parseDiff, placeReasons } from './diff';

const diff = [
  '--- a/a.sql',
  '+++ b/a.sql',
  '@@ -2,3 +2,3 @@',
  ' SELECT id,',
  '-  amount',
  '+  amount_usd AS amount',
  ' FROM t',
  '--- a/b.sql',
  '+++ b/b.sql',
  '@@ -10 +10,2 @@',
  '-x',
  '+y',
  '+z',
  '\\ No newline at end of file',
  '',
].join('\n');

function reason(path: string, line?: number): PatchReason {
  return {
    path,
    kind: 'dropped_column_used',
    severity: 'needs_edit',
    ...(line === undefined
      ? {}
      : { line, column: 1, endLine: line, endColumn: 2 }),
    message: `${path} ${line}`,
  };
}

describe('placeReasons', () => {
  it('numbers the lines of each file from its hunks', () => {
    const [a, b] = parseDiff(diff);
    expect(a.path).toBe('a.sql');
    expect(a.lines.map(({ line }) => line)).toEqual([
      { kind: 'hunk', text: '@@ -2,3 +2,3 @@' },
      { kind: 'context', text: 'SELECT id,', oldLine: 2, newLine: 2 },
      { kind: 'removed', text: '  amount', oldLine: 3 },
      { kind: 'added', text: '  amount_usd AS amount', newLine: 3 },
      { kind: 'context', text: 'FROM t', oldLine: 4, newLine: 4 },
    ]);
    expect(b.lines.map(({ line }) => line.kind)).toEqual([
      'hunk',
      'removed',
      'added',
      'added',
      'meta',
    ]);
  });

  it('places a reason after the old line it starts on, in its own file only', () => {
    const onRemoved = reason('a.sql', 3);
    const onContext = reason('a.sql', 4);
    const otherFile = reason('b.sql', 3);
    const outside = reason('a.sql', 30);
    const whole = reason('a.sql');
    const { files, elsewhere } = placeReasons(diff, [
      onRemoved,
      onContext,
      otherFile,
      outside,
      whole,
    ]);
    const placed = files.flatMap(f =>
      f.lines.flatMap(({ line, reasons }) =>
        reasons.map(r => [f.path, line.kind, r.message]),
      ),
    );
    expect(placed).toEqual([
      ['a.sql', 'removed', 'a.sql 3'],
      ['a.sql', 'context', 'a.sql 4'],
    ]);
    expect(elsewhere).toEqual([otherFile, outside, whole]);
  });

  it('keeps every reason for a patch without a diff', () => {
    const reasons = [reason('a.sql', 1), reason('')];
    expect(placeReasons('', reasons)).toEqual({
      files: [],
      elsewhere: reasons,
    });
  });
});
