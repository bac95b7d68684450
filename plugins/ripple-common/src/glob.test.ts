import { minimatch } from 'minimatch';
import { GlobError, globMatcher } from './glob';

// Linear code takes milliseconds on these inputs and the old backtracking
// regular expressions hours; the bound is far from both, so a loaded machine
// cannot make it fail (speed itself is measured in benchmarks, not here).
const LINEAR_BOUND_MS = 30_000;

const MB = 1 << 20;

describe('globMatcher', () => {
  const patterns = [
    'models/**/*.sql',
    '**/*.sql',
    '*.sql',
    'models/*.sql',
    'models/**',
    '**',
    'sql/monthly_?lose.sql',
    'models/[a-m]*.sql',
    'models/[!a-m]*.sql',
    'models/[^a-m]*.sql',
    '{models,sql}/**/*.{sql,py}',
    'models/v{1..3}/*.sql',
    'models/\\*.sql',
    '**/.hidden/*.sql',
    'models/.*.sql',
    './models/*.sql',
    'a/**/b/**/c.sql',
    'models/{a,b{c,d}}.sql',
    'models/{x}.sql',
    'models/[]a].sql',
  ];
  const paths = [
    'models/a.sql',
    'models/z.sql',
    'models/sub/a.sql',
    'models/sub/deeper/a.py',
    'models/.hidden.sql',
    'models/.hidden/a.sql',
    '.hidden/a.sql',
    'x/.hidden/a.sql',
    'a.sql',
    '.a.sql',
    'sql/monthly_close.sql',
    'sql/a.py',
    'models/v2/a.sql',
    'models/v4/a.sql',
    'models/*.sql',
    'a/b/c.sql',
    'a/x/b/y/z/c.sql',
    'a/c.sql',
    'models/bc.sql',
    'models/a',
    'models/{x}.sql',
    'models/].sql',
    'models',
  ];

  it('answers as minimatch does on the globs Ripple uses', () => {
    for (const pattern of patterns) {
      const match = globMatcher(pattern);
      for (const path of paths) {
        expect({ pattern, path, matches: match(path) }).toEqual({
          pattern,
          path,
          matches: minimatch(path, pattern),
        });
      }
    }
  });

  it('is linear where minimatch backtracks (a*x*x*x*x*x*xb did not finish on a 200-character name)', () => {
    const cases: Array<[string, string]> = [
      [`a${'*x'.repeat(6)}b`, `a${'x'.repeat(4 * MB)}`],
      [`${'*'.repeat(20)}b`, 'x'.repeat(4 * MB)],
      [`${'**/'.repeat(30)}y`, `${'a/'.repeat(MB)}x`],
      [`${'?*'.repeat(50)}b`, 'a'.repeat(MB)],
      ['*.{sql,py,java,scala}', `${'.'.repeat(4 * MB)}x`],
    ];
    for (const [pattern, path] of cases) {
      const start = performance.now();
      expect(globMatcher(pattern)(path)).toBe(false);
      expect(performance.now() - start).toBeLessThan(LINEAR_BOUND_MS);
    }
  });

  it('refuses what it does not support, or what would expand without end', () => {
    expect(() => globMatcher('models/+(a|b).sql')).toThrow(GlobError);
    expect(() => globMatcher('models/+(a|b).sql')).toThrow(
      'glob "models/+(a|b).sql" uses an extended glob',
    );
    expect(() => globMatcher('[[:alpha:]].sql')).toThrow('POSIX class');
    expect(() => globMatcher('{a,b}'.repeat(20))).toThrow(
      'expands to more than 256 patterns',
    );
    expect(() => globMatcher('{1..100000}')).toThrow(
      'expands to more than 256 patterns',
    );
    expect(() => globMatcher('x'.repeat(2000))).toThrow(
      'is longer than 1024 characters',
    );
  });
});
