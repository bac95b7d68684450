import { dbtSources, hasSourcesKey } from './dbtSources';
import { isConsumerCodeFile, isDbtPropertiesFile } from './consumerCode';

// Linear code takes milliseconds on these inputs and the old backtracking
// regular expressions hours; the bound is far from both, so a loaded machine
// cannot make it fail (speed itself is measured in benchmarks, not here).
const LINEAR_BOUND_MS = 30_000;

/**
 * Every regular expression that runs on repository content, request bodies
 * or annotations must take time linear in its input (issue 15, item 3): each
 * is run here on a few megabytes of the input that hurts a backtracking
 * engine most (long runs of blanks, of the characters around a delimiter,
 * near misses), and must answer in well under a second where a quadratic
 * one takes minutes.
 */
const MB = 1 << 20;

function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}

describe('regular expressions on hostile input', () => {
  it('finds a dbt `sources:` key in linear time (the old /^\\s*sources\\s*:/m took minutes on a megabyte of blank lines)', () => {
    const inputs = [
      '\n'.repeat(4 * MB),
      ' \n'.repeat(2 * MB),
      `${' '.repeat(4 * MB)}x`,
      '\t'.repeat(4 * MB),
      'sources'.repeat(MB / 2),
      `sources${' '.repeat(4 * MB)}x`,
      ` sources \n`.repeat(MB / 2),
    ];
    for (const text of inputs) {
      const { result, ms } = timed(() =>
        dbtSources([{ path: 'models/huge.yml', text }]),
      );
      expect(result).toEqual([]);
      expect(ms).toBeLessThan(LINEAR_BOUND_MS);
    }
  });

  it('reads the `sources:` key as the regular expression did', () => {
    expect(hasSourcesKey('sources:\n')).toBe(true);
    expect(hasSourcesKey('version: 2\n\n  sources :\n')).toBe(true);
    expect(hasSourcesKey('version: 2\r\n\tsources:\r\n')).toBe(true);
    expect(hasSourcesKey('models:\n  - name: x\nsources:')).toBe(true);
    expect(hasSourcesKey('# sources:\n')).toBe(false);
    expect(hasSourcesKey('my_sources:\n')).toBe(false);
    expect(hasSourcesKey('sources\n')).toBe(false);
    expect(hasSourcesKey('sources_x:\n')).toBe(false);
  });

  it('classifies file paths in linear time', () => {
    for (const filePath of [
      '.'.repeat(4 * MB),
      '.y'.repeat(2 * MB),
      `${'.sq'.repeat(MB)}x`,
      `${'/'.repeat(4 * MB)}a.sql`,
    ]) {
      const { ms } = timed(() => [
        isConsumerCodeFile(filePath),
        isDbtPropertiesFile(filePath),
      ]);
      expect(ms).toBeLessThan(LINEAR_BOUND_MS);
    }
  });

  it('reads hostile dbt property files in seconds, and one whose aliases would explode as declaring nothing', () => {
    const aliases = [
      'a: &a [x,x,x,x,x,x,x,x,x]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'sources: [*e,*e,*e,*e,*e,*e,*e,*e]',
    ].join('\n');
    for (const text of [
      aliases,
      `sources:\n${' '.repeat(4 * MB)}x`,
      `sources: "${'a'.repeat(4 * MB)}`,
      `sources: '${"a''".repeat(MB)}`,
      `sources: ${'['.repeat(10_000)}`,
    ]) {
      const { result, ms } = timed(() =>
        dbtSources([{ path: 'models/sources.yml', text }]),
      );
      expect(result).toEqual([]);
      expect(ms).toBeLessThan(LINEAR_BOUND_MS);
    }
  });
});
