import {
  checkWindows,
  earliestAllowed,
  freezesConstraint,
  parseFreezes,
  parseScheduleAnnotation,
  parseWindowAnnotation,
  scheduleConstraint,
  waitingFor,
  windowsConstraint,
} from './windows';
import { upstreamOrder } from './upstream';

/** Monday to Thursday, 02:00 to 05:00 in Stockholm (UTC+1 in December). */
const stockholmNights = checkWindows(
  [{ cron: '0 2 * * 1-4', durationMinutes: 180, timeZone: 'Europe/Stockholm' }],
  'plan.windows',
);
const at = (iso: string) => new Date(iso);

describe('delivery windows', () => {
  const nights = windowsConstraint(stockholmNights, 'outside the windows')!;

  it('is open inside a window, in its time zone', () => {
    // Monday 7 December 2026, 03:30 in Stockholm.
    expect(nights.earliest(at('2026-12-07T02:30:00Z'))).toEqual(
      at('2026-12-07T02:30:00Z'),
    );
    // Its opening minute counts, its closing one does not.
    expect(nights.earliest(at('2026-12-07T01:00:00Z'))).toEqual(
      at('2026-12-07T01:00:00Z'),
    );
    expect(nights.earliest(at('2026-12-07T04:00:00Z'))).toEqual(
      at('2026-12-08T01:00:00Z'),
    );
  });

  it('waits from Thursday night to Monday night, and says until when', () => {
    const friday = at('2026-12-11T12:00:00Z');
    const result = earliestAllowed([nights], friday);
    expect(result.at).toEqual(at('2026-12-14T01:00:00Z'));
    expect(waitingFor(result, friday)).toBe(
      'waiting for the window at 2026-12-14T01:00:00.000Z (outside the windows)',
    );
  });

  it('combines the plan with a consumer window, a freeze and a schedule', () => {
    // The consumer: every day 04:00 to 06:00 UTC, so only 04:00-05:00 Stockholm
    // (03:00-04:00 UTC) overlaps with the plan's night.
    const own = windowsConstraint(
      parseWindowAnnotation('0 3 * * * 60m'),
      'outside its own',
    );
    const freeze = freezesConstraint(
      parseFreezes([
        { from: '2026-12-08', to: '2026-12-08', reason: 'release' },
      ]),
    );
    const now = at('2026-12-07T12:00:00Z');
    // Tuesday is frozen (the whole day, UTC): Wednesday 03:00 UTC.
    expect(earliestAllowed([nights, own, freeze], now).at).toEqual(
      at('2026-12-09T03:00:00Z'),
    );
    // A pipeline running at 03:30 UTC with a 45-minute margin pushes it past
    // its run.
    const schedule = scheduleConstraint(
      parseScheduleAnnotation('30 3 * * *'),
      45,
      'component:default/x',
    );
    expect(earliestAllowed([nights, own, freeze, schedule], now).at).toEqual(
      at('2026-12-09T03:31:00Z'),
    );
  });

  it('names the field of a bad window, and the annotation of a bad one', () => {
    expect(() =>
      checkWindows(
        [{ cron: '0 25 * * *', durationMinutes: 60 }],
        'plan.windows',
      ),
    ).toThrow(
      /^plan.windows\/0\/cron: "0 25 \* \* \*" is not a cron expression/,
    );
    expect(() =>
      checkWindows([{ cron: '0 2 * * *', durationMinutes: 0 }], 'plan.windows'),
    ).toThrow(/^plan.windows\/0\/durationMinutes: 0 must be/);
    expect(() =>
      checkWindows(
        [{ cron: '0 2 * * *', durationMinutes: 60, timeZone: 'Mars/Olympus' }],
        'plan.windows',
      ),
    ).toThrow('plan.windows/0/timeZone: "Mars/Olympus" is not a time zone');
    expect(() =>
      checkWindows(
        [{ cron: '0 0 2 * * *', durationMinutes: 60 }],
        'plan.windows',
      ),
    ).toThrow(/must have five fields/);
    expect(() => parseWindowAnnotation('0 2 * * 1-4')).toThrow(
      /^annotation ripple.io\/delivery-window: "0 2 \* \* 1-4" must be five cron fields, a duration/,
    );
    expect(() => parseScheduleAnnotation('nightly')).toThrow(
      /^annotation ripple.io\/schedule:/,
    );
    expect(() =>
      parseFreezes([{ from: '2026-12-24', to: 'soon', reason: 'x' }]),
    ).toThrow('ripple.rollout.freezes[0].to: "soon" is not a date');
  });
});

describe('upstream first', () => {
  const entity = (name: string, dependsOn: string[] = []) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default' },
    spec: { dependsOn },
  });
  const placed = (
    name: string,
    wave: number,
    position: number,
    deps: string[] = [],
  ) => ({
    consumerRef: `component:default/${name}`,
    wave,
    position,
    entity: entity(name, deps),
  });

  it('waits for an upstream in the same wave, and breaks a cycle by the wave order', async () => {
    const { upstreams, warnings } = await upstreamOrder([
      placed('a', 0, 0),
      placed('b', 0, 1, ['component:a']),
      placed('c', 1, 0, ['component:d']),
      placed('d', 1, 1, ['component:c']),
    ]);
    expect(Object.fromEntries(upstreams)).toEqual({
      'component:default/b': ['component:default/a'],
      // d is after c: d waits for c, c does not wait for d.
      'component:default/d': ['component:default/c'],
    });
    expect(warnings).toEqual([
      {
        kind: 'upstream-cycle',
        consumers: ['component:default/c', 'component:default/d'],
        ignored: [['component:default/c', 'component:default/d']],
      },
    ]);
  });

  it('does not wait for an upstream placed in a later wave, and says so', async () => {
    const { upstreams, warnings } = await upstreamOrder([
      placed('early', 0, 0, ['component:late']),
      placed('late', 1, 0),
    ]);
    expect(upstreams.size).toBe(0);
    expect(warnings).toEqual([
      {
        kind: 'upstream-order',
        consumerRef: 'component:default/early',
        upstreamRef: 'component:default/late',
      },
    ]);
  });
});
