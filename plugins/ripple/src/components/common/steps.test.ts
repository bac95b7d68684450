import { mockApis } from '@backstage/test-utils';
import { aStepPlan } from '../../__testUtils__/rippleTestApp';
import { rippleTranslationRef, type RippleT } from '../../translation';
import { formatCount, percentDone, rollbackStep, stepSummary } from './steps';

// The words of the translation ref as a portal without overrides shows them.
const snapshot = mockApis.translation().getTranslation(rippleTranslationRef);
if (!snapshot.ready)
  throw new Error('the mock translation API is always ready');
const t: RippleT = snapshot.t;

const done = { state: 'done' as const, attempt: 1 };

describe("a step plan's summary", () => {
  it('says where the plan stands at each step', () => {
    expect(stepSummary(aStepPlan(), t)).toBe(
      'Step plan ready: nothing run yet',
    );
    expect(
      stepSummary(
        aStepPlan({}, { expand: { state: 'running', attempt: 1 } }),
        t,
      ),
    ).toBe('Expand running');
    expect(
      stepSummary(
        aStepPlan(
          {},
          {
            expand: done,
            backfill: {
              state: 'running',
              attempt: 1,
              progress: {
                rowsDone: 4_200_000,
                rowsTotal: 10_000_000,
                rowsPerSecond: 1_234_567,
              },
            },
          },
        ),
        t,
      ),
    ).toBe('Backfill 42% · 1.2 M rows/s');
    expect(stepSummary(aStepPlan({}, { expand: done }), t)).toBe(
      'Expanded: backfill next',
    );
    expect(
      stepSummary(aStepPlan({}, { expand: done, backfill: done }), t),
    ).toBe('Backfilled: verification next');
    expect(
      stepSummary(
        aStepPlan(
          {},
          {
            expand: done,
            backfill: done,
            verify: { state: 'failed', attempt: 2 },
          },
        ),
        t,
      ),
    ).toBe('Verify the copy failed');
    expect(
      stepSummary(
        aStepPlan({}, { expand: done, backfill: done, verify: done }),
        t,
      ),
    ).toBe('Verified: switch next');
    expect(
      stepSummary(
        aStepPlan(
          {},
          { expand: done, backfill: done, verify: done, switch: done },
        ),
        t,
      ),
    ).toBe('Switched: consumers migrating');
    const contracted = {
      expand: done,
      backfill: done,
      verify: done,
      switch: done,
      contract: done,
    };
    expect(stepSummary(aStepPlan({}, contracted), t)).toBe(
      'Contracted: the old table awaits approval',
    );
    expect(
      stepSummary(
        aStepPlan(
          {},
          {
            ...contracted,
            contract: { ...done, approvedBy: 'user:default/ada' },
          },
        ),
        t,
      ),
    ).toBe('Contracted');
    expect(
      stepSummary(
        aStepPlan({}, { expand: { state: 'rolled-back', attempt: 1 } }),
        t,
      ),
    ).toBe('Expand rolled back');
  });

  it('rolls back only the last step that ran', () => {
    expect(rollbackStep(aStepPlan())).toBeUndefined();
    expect(
      rollbackStep(aStepPlan({}, { expand: done, backfill: done }))?.name,
    ).toBe('backfill');
    expect(
      rollbackStep(
        aStepPlan(
          {},
          { expand: done, backfill: { state: 'failed', attempt: 1 } },
        ),
      )?.name,
    ).toBe('backfill');
    expect(
      rollbackStep(
        aStepPlan(
          {},
          { expand: done, backfill: { state: 'running', attempt: 1 } },
        ),
      ),
    ).toBeUndefined();
    expect(
      rollbackStep(
        aStepPlan(
          {},
          { expand: done, backfill: { state: 'rolled-back', attempt: 1 } },
        ),
      )?.name,
    ).toBe('expand');
  });

  it('reads counts and shares as people do', () => {
    expect(formatCount(950)).toBe('950');
    expect(formatCount(12_500)).toBe('12.5 k');
    expect(formatCount(1_234_567)).toBe('1.2 M');
    expect(formatCount(250_000_000)).toBe('250 M');
    expect(formatCount(3_400_000_000)).toBe('3.4 G');
    expect(percentDone({ rowsDone: 0, rowsTotal: 0 })).toBe(0);
    expect(percentDone({ rowsDone: 999, rowsTotal: 1000 })).toBe(99);
    expect(percentDone({ rowsDone: 1200, rowsTotal: 1000 })).toBe(100);
  });
});
