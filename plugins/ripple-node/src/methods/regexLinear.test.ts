import { deliveryBranch, readTrailer } from './naming';
import { resolveGitTarget } from './git/gitTarget';
import { transientGitHubError } from './transientErrors';
import { deliveryRequest } from './__testUtils__/requests';

// Linear code takes milliseconds on these inputs and the old backtracking
// regular expressions hours; the bound is far from both, so a loaded machine
// cannot make it fail (speed itself is measured in benchmarks, not here).
const LINEAR_BOUND_MS = 30_000;

/**
 * The regular expressions of the delivery methods that run on annotations,
 * entity names, commit messages and GitHub's answers must take time linear
 * in their input (issue 15, item 3): each is run on a few megabytes of the
 * input that hurts a backtracking engine most, and must answer in well under
 * a second where a quadratic one takes minutes.
 */
const MB = 1 << 20;

function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}

describe('regular expressions on hostile input', () => {
  it('names the branch of a consumer with a long run of dashes or dots (the old /^[.-]+|[.-]+$/g was quadratic)', () => {
    for (const name of [
      `a${'-'.repeat(4 * MB)}a`,
      `a${'.-'.repeat(2 * MB)}a`,
      `a${'x'.repeat(4 * MB)}.lock`,
      `a${' '.repeat(4 * MB)}a`,
    ]) {
      const request = deliveryRequest({ diff: '', name });
      const { result, ms } = timed(() => deliveryBranch(request));
      expect(result.startsWith('ripple/3f2a9c1e/a')).toBe(true);
      expect(ms).toBeLessThan(LINEAR_BOUND_MS);
    }
    expect(
      deliveryBranch(
        deliveryRequest({ diff: '', name: `--a.-${'-'.repeat(9)}.lock` }),
      ),
    ).toBe(`ripple/3f2a9c1e/a.${'-'.repeat(11)}lock`);
  });

  it('reads a trailer from a long hostile commit message', () => {
    for (const message of [
      `Ripple-Patch:${' '.repeat(4 * MB)}`,
      'Ripple-Patch: \n'.repeat(MB / 4),
      `${'\n'.repeat(4 * MB)}Ripple-Patch: 7`,
      `Ripple-Patch: ${'x'.repeat(4 * MB)}\n`,
    ]) {
      const { ms } = timed(() => readTrailer(message, 'Ripple-Patch'));
      expect(ms).toBeLessThan(LINEAR_BOUND_MS);
    }
  });

  it('checks long hostile git annotations in linear time (the old /^\\/+|\\/+$/g on ripple.io/git-directory was quadratic)', () => {
    const values: Record<string, string>[] = [
      { 'ripple.io/git-repository': `a${'/'.repeat(4 * MB)}a` },
      {
        'ripple.io/git-repository': `${'a'.repeat(2 * MB)}@${'b'.repeat(
          MB,
        )}:${'c'.repeat(MB)} `,
      },
      { 'ripple.io/git-repository': `${'a+'.repeat(2 * MB)}` },
      { 'ripple.io/git-repository': `https://${'a'.repeat(4 * MB)}` },
      {
        'ripple.io/git-repository': 'https://github.com/acme/revenue.git',
        'ripple.io/git-directory': `a${'/'.repeat(4 * MB)}a`,
      },
      {
        'ripple.io/git-repository': 'https://github.com/acme/revenue.git',
        'ripple.io/git-base-branch': `${'a.'.repeat(2 * MB)}lock`,
      },
      {
        'backstage.io/source-location': `url:https://github.com/${'a/'.repeat(
          2 * MB,
        )}`,
      },
      { 'backstage.io/source-location': `url:${' '.repeat(4 * MB)}` },
    ];
    for (const annotations of values) {
      const request = deliveryRequest({ diff: '', annotations });
      const { ms } = timed(() => resolveGitTarget(request.consumer.entity, []));
      expect({ annotations: Object.keys(annotations), ms }).toEqual({
        annotations: Object.keys(annotations),
        ms: expect.any(Number),
      });
      expect(ms).toBeLessThan(LINEAR_BOUND_MS);
    }
  });

  it("classifies GitHub's long hostile error messages in linear time", () => {
    for (const message of [
      'secondary rate '.repeat(MB / 4),
      `${' '.repeat(4 * MB)}abuse`,
    ]) {
      const error = Object.assign(new Error(message), {
        status: 403,
        response: { headers: {} },
      });
      const { ms } = timed(() => transientGitHubError(error));
      expect(ms).toBeLessThan(LINEAR_BOUND_MS);
    }
  });
});
