import { ConfigReader } from '@backstage/config';
import type { Entity } from '@backstage/catalog-model';
import {
  assignWaves,
  criticalityOf,
  DEFAULT_WAVES,
  isCriticalDataset,
  orderConsumers,
  requireValidationDefault,
  resolvePlan,
} from './plan';
import { InputError } from '@backstage/errors';
import { healthBreaches } from './health';

function component(
  name: string,
  options: {
    lifecycle?: string;
    tags?: string[];
    criticality?: string;
    dependsOn?: string[];
  } = {},
): { consumerRef: string; entity: Entity } {
  return {
    consumerRef: `component:default/${name}`,
    entity: {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        namespace: 'default',
        tags: options.tags,
        annotations: options.criticality
          ? { 'ripple.io/criticality': options.criticality }
          : {},
      },
      spec: { type: 'pipeline', lifecycle: options.lifecycle ?? 'production' },
      relations: (options.dependsOn ?? []).map(target => ({
        type: 'dependsOn',
        targetRef: `component:default/${target}`,
      })),
    },
  };
}

const refs = (names: string[]) => names.map(n => `component:default/${n}`);

describe('rollout plans', () => {
  it('cuts 10,000 consumers into a canary of one, then 10%, 50% and 100%', () => {
    const consumers = Array.from({ length: 10_000 }, (_, i) => `c${i}`);
    const waves = assignWaves(consumers, DEFAULT_WAVES);
    expect(waves.map(w => [w.name, w.consumers.length])).toEqual([
      ['canary', 1],
      ['10%', 999],
      ['50%', 4000],
      ['100%', 5000],
    ]);
    expect(waves.flatMap(w => w.consumers)).toEqual(consumers);
  });

  it('drops waves a small fleet has already passed', () => {
    expect(
      assignWaves(['a', 'b', 'c'], DEFAULT_WAVES).map(w => [
        w.name,
        w.consumers,
      ]),
    ).toEqual([
      ['canary', ['a']],
      ['50%', ['b']],
      ['100%', ['c']],
    ]);
    expect(assignWaves([], DEFAULT_WAVES)).toEqual([]);
  });

  it('orders dependencies first, then the least critical, then by ref', () => {
    const ordered = orderConsumers([
      component('reports', { dependsOn: ['staging'] }),
      component('staging', { lifecycle: 'production' }),
      component('sandbox', { lifecycle: 'experimental' }),
      component('billing', { tags: ['critical'], lifecycle: 'experimental' }),
      component('adhoc', { lifecycle: 'development' }),
      component('ledger', { criticality: 'low', lifecycle: 'production' }),
      // Its dependency is not a consumer of the migration: no effect.
      component('dash', { dependsOn: ['elsewhere'], lifecycle: 'development' }),
    ]);
    expect(ordered).toEqual(
      refs([
        // depth 0, by criticality: ledger (low), sandbox (experimental),
        // adhoc and dash (development), staging (production), billing
        // (critical tag)
        'ledger',
        'sandbox',
        'adhoc',
        'dash',
        'staging',
        'billing',
        // depth 1: reads staging
        'reports',
      ]),
    );
  });

  it('survives a dependency cycle', () => {
    expect(
      orderConsumers([
        component('a', { dependsOn: ['b'] }),
        component('b', { dependsOn: ['a'] }),
      ]),
    ).toHaveLength(2);
  });

  it('rates criticality by annotation, then lifecycle and tags', () => {
    expect(criticalityOf(component('x', { criticality: 'HIGH' }).entity)).toBe(
      2,
    );
    expect(
      criticalityOf(component('x', { lifecycle: 'experimental' }).entity),
    ).toBe(0);
    expect(criticalityOf(undefined)).toBe(1);
  });

  it('takes the plan from the request, then the config, then the defaults', () => {
    const config = new ConfigReader({
      ripple: {
        rollout: {
          soakMinutes: 30,
          autoApprove: true,
          health: { maxErrorRate: 0.1 },
          waves: [
            { name: 'one', count: 1 },
            { name: 'all', percent: 100 },
          ],
        },
      },
    });
    expect(resolvePlan(new ConfigReader({}), undefined, false)).toEqual({
      waves: DEFAULT_WAVES,
      soakMinutes: 60,
      autoAdvance: true,
      autoApprove: false,
      mergeWithinHours: 72,
      requireValidation: false,
      health: {
        maxErrorRate: 0.05,
        maxFreshnessMinutes: 1440,
        minRowCount: 0,
        maxRowCountDrop: 0.5,
        maxFailedRuns: 0,
        maxDurationIncrease: 1,
        maxErrorRateIncrease: 1,
        requireSignals: true,
      },
    });
    const plan = resolvePlan(
      config,
      { soakMinutes: 5, health: { maxFailedRuns: 2 } },
      false,
    );
    expect(plan).toMatchObject({
      soakMinutes: 5,
      autoApprove: true,
      waves: [
        { name: 'one', count: 1 },
        { name: 'all', percent: 100 },
      ],
      health: { maxErrorRate: 0.1, maxFailedRuns: 2 },
    });
    // A critical dataset always needs approvals.
    expect(resolvePlan(config, { autoApprove: true }, true).autoApprove).toBe(
      false,
    );
  });

  it('requires validation when the request or else the config says so, false by default', () => {
    const required = new ConfigReader({
      ripple: { rollout: { requireValidation: true } },
    });
    expect(resolvePlan(required, undefined, false).requireValidation).toBe(
      true,
    );
    // Per migration, the start request wins over the config.
    expect(
      resolvePlan(required, { requireValidation: false }, false)
        .requireValidation,
    ).toBe(false);
    expect(
      resolvePlan(new ConfigReader({}), { requireValidation: true }, false)
        .requireValidation,
    ).toBe(true);
    // Unlike autoApprove, a critical dataset does not turn it off.
    expect(resolvePlan(required, undefined, true).requireValidation).toBe(true);
    expect(requireValidationDefault(new ConfigReader({}))).toBe(false);
    expect(requireValidationDefault(required)).toBe(true);
  });

  it('refuses a requireValidation that is not a boolean, naming the field', () => {
    const bad = (value: unknown) => () =>
      resolvePlan(
        new ConfigReader({}),
        { requireValidation: value as boolean },
        false,
      );
    expect(bad('yes')).toThrow(
      'plan.requireValidation: "yes" is not a boolean (true or false)',
    );
    expect(bad(1)).toThrow(InputError);
    expect(() =>
      resolvePlan(
        new ConfigReader({
          ripple: { rollout: { requireValidation: 'maybe' } },
        }),
        undefined,
        false,
      ),
    ).toThrow(/ripple\.rollout\.requireValidation/);
  });

  it('refuses waves without one size, or with shrinking percentages', () => {
    const config = new ConfigReader({});
    expect(() =>
      resolvePlan(config, { waves: [{ name: 'a' }] }, false),
    ).toThrow(
      "plan.waves/0: give the wave's size as either count or percent, not neither",
    );
    expect(() =>
      resolvePlan(
        config,
        { waves: [{ name: 'a', count: 1, percent: 5 }] },
        false,
      ),
    ).toThrow('not both');
    expect(() =>
      resolvePlan(
        config,
        {
          waves: [
            { name: 'a', percent: 50 },
            { name: 'b', percent: 10 },
          ],
        },
        false,
      ),
    ).toThrow(
      "plan.waves/1/percent: 10 must be above the previous wave's 50 and at most 100 (percentages are cumulative)",
    );
    expect(() =>
      resolvePlan(
        config,
        {
          waves: [
            { name: 'a', count: 1 },
            { name: 'a', count: 2 },
          ],
        },
        false,
      ),
    ).toThrow('plan.waves/1/name: "a" names two waves');
  });

  it('finds critical datasets by annotation or config', () => {
    const dataset: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'orders',
        annotations: { 'ripple.io/critical': 'true' },
      },
    };
    expect(
      isCriticalDataset(
        new ConfigReader({}),
        'resource:default/orders',
        dataset,
      ),
    ).toBe(true);
    expect(
      isCriticalDataset(
        new ConfigReader({
          ripple: { rollout: { criticalDatasets: ['resource:Ledger'] } },
        }),
        'resource:default/ledger',
        undefined,
      ),
    ).toBe(true);
    expect(
      isCriticalDataset(
        new ConfigReader({}),
        'resource:default/ledger',
        undefined,
      ),
    ).toBe(false);
  });
});

describe('health gates', () => {
  const thresholds = {
    maxErrorRate: 0.05,
    maxFreshnessMinutes: 60,
    minRowCount: 10,
    maxRowCountDrop: 0.5,
    maxFailedRuns: 0,
    maxDurationIncrease: 1,
    maxErrorRateIncrease: 1,
  };

  it('passes signals within every threshold', () => {
    expect(
      healthBreaches(
        { errorRate: 0.01, freshnessMinutes: 5, rowCount: 900, failedRuns: 0 },
        thresholds,
        { rowCount: 1000 },
      ),
    ).toEqual([]);
  });

  it('names every breach', () => {
    expect(
      healthBreaches(
        { errorRate: 0.2, freshnessMinutes: 90, rowCount: 5, failedRuns: 3 },
        thresholds,
        { rowCount: 1000 },
      ),
    ).toEqual([
      'errorRate 0.2 is above 0.05',
      'freshnessMinutes 90 is above 60',
      'failedRuns 3 is above 0',
      'rowCount 5 is below 10',
      'rowCount 5 dropped 100% from 1000 before the delivery (at most 50%)',
    ]);
  });

  it('compares the run duration with the baseline, and only with one', () => {
    expect(
      healthBreaches({ durationSeconds: 300 }, thresholds, {
        durationSeconds: 100,
      }),
    ).toEqual([
      'durationSeconds 300 is 200% above 100 before the delivery (at most 100%)',
    ]);
    expect(
      healthBreaches({ durationSeconds: 190 }, thresholds, {
        durationSeconds: 100,
      }),
    ).toEqual([]);
    // No baseline: nothing to compare with.
    expect(healthBreaches({ durationSeconds: 300 }, thresholds)).toEqual([]);
    // Three times as long, but by less than a minute: a short job's noise.
    expect(
      healthBreaches({ durationSeconds: 0.3 }, thresholds, {
        durationSeconds: 0.1,
      }),
    ).toEqual([]);
  });
});
