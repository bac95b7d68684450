import { ConfigReader } from '@backstage/config';
import { DEFAULT_SCM_LIMITS, readScmLimits } from './scmLimits';

const read = (scm: object) =>
  readScmLimits(new ConfigReader({ ripple: { scm } }));

describe('readScmLimits', () => {
  it('gives the defaults without ripple.scm', () => {
    expect(readScmLimits(new ConfigReader({}))).toEqual(DEFAULT_SCM_LIMITS);
    expect(DEFAULT_SCM_LIMITS).toEqual({
      concurrency: 8,
      hosts: new Map(),
      maxWaitMs: 600_000,
      backoffMs: 60_000,
    });
  });

  it('reads the caps per host, a host without its own taking the default', () => {
    expect(
      read({
        concurrency: 4,
        maxWaitSeconds: 120,
        backoffSeconds: 0.5,
        hosts: [
          { host: 'ghe.acme.com', concurrency: 2 },
          { host: 'gitlab.com' },
        ],
      }),
    ).toEqual({
      concurrency: 4,
      hosts: new Map([
        ['ghe.acme.com', 2],
        ['gitlab.com', 4],
      ]),
      maxWaitMs: 120_000,
      backoffMs: 500,
    });
  });

  it('refuses a value that is not positive, naming its key', () => {
    expect(() => read({ concurrency: 0 })).toThrow(
      'ripple.scm.concurrency: must be a positive integer, got 0',
    );
    expect(() =>
      read({ hosts: [{ host: 'github.com', concurrency: 1.5 }] }),
    ).toThrow(
      'ripple.scm.hosts[0].concurrency: must be a positive integer, got 1.5',
    );
    expect(() => read({ maxWaitSeconds: -1 })).toThrow(
      'ripple.scm.maxWaitSeconds: must be a positive number, got -1',
    );
  });

  it('refuses a host listed twice', () => {
    expect(() =>
      read({ hosts: [{ host: 'github.com' }, { host: 'github.com' }] }),
    ).toThrow('ripple.scm.hosts[1].host: github.com is listed twice');
  });
});
