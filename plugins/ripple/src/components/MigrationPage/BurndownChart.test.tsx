import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { BurndownChart } from './BurndownChart';
import { projection, type BurndownPoint } from './burndown';

const DAY = 86_400_000;
const day = (d: string) => Date.parse(`${d}T00:00:00.000Z`);

// Ten consumers found on 1 March; two done a day from the 2nd to the 4th:
// 4 remain on 4 March, at 2 a day since the peak (six in three days).
const points: BurndownPoint[] = [
  { at: day('2027-03-01'), remaining: 10 },
  { at: day('2027-03-02'), remaining: 8 },
  { at: day('2027-03-03'), remaining: 6 },
  { at: day('2027-03-04'), remaining: 4 },
];
const now = day('2027-03-04');

describe('the burndown projection', () => {
  it('projects the rate since the peak to when none remain', () => {
    expect(projection(points, now)).toEqual({
      perDay: 2,
      finishAt: day('2027-03-06'),
    });
  });

  it('has no finish without progress since the peak, and is done at none remaining', () => {
    expect(
      projection(
        [
          { at: day('2027-03-01'), remaining: 3 },
          { at: day('2027-03-02'), remaining: 5 },
        ],
        day('2027-03-03'),
      ),
    ).toEqual({ perDay: 0 });
    expect(projection([{ at: day('2027-03-01'), remaining: 0 }], now)).toEqual({
      perDay: 0,
      finishAt: now,
    });
  });
});

describe('BurndownChart', () => {
  /** The x of an SVG line, as a number. */
  const x1 = (el: Element) => Number(el.getAttribute('x1'));

  it('draws the target date as a line after the projected finish, and says the rollout is on track', async () => {
    await renderInTestApp(
      <BurndownChart points={points} targetDate="2027-03-10" now={now} />,
    );
    const target = screen.getByTestId('burndown-target');
    expect(target).toHaveTextContent('target 2027-03-10');
    const projected = screen.getByTestId('burndown-projection');
    // From now's point down to 0 at the finish, before the target.
    expect(Number(projected.getAttribute('y2'))).toBeGreaterThan(
      Number(projected.getAttribute('y1')),
    );
    expect(Number(projected.getAttribute('x2'))).toBeLessThan(
      x1(target.querySelector('line')!),
    );
    expect(screen.getByTestId('burndown-forecast')).toHaveTextContent(
      'At the current rate (2.0 a day), every consumer is done by 2027-03-06, before the target date 2027-03-10.',
    );
  });

  it('says the projection misses a target date that comes first, and ends the line at the target', async () => {
    await renderInTestApp(
      <BurndownChart points={points} targetDate="2027-03-04" now={now} />,
    );
    expect(screen.getByTestId('burndown-forecast')).toHaveTextContent(
      'At the current rate (2.0 a day), every consumer is done by 2027-03-06: after the target date 2027-03-04.',
    );
    const target = screen.getByTestId('burndown-target').querySelector('line')!;
    const projected = screen.getByTestId('burndown-projection');
    expect(Number(projected.getAttribute('x2'))).toBeGreaterThan(x1(target));
  });

  it('starts the time axis at a target date before the first consumer, so its line is inside the chart', async () => {
    await renderInTestApp(
      <BurndownChart points={points} targetDate="2027-02-20" now={now} />,
    );
    const target = screen.getByTestId('burndown-target').querySelector('line')!;
    // The chart's left edge (its padding) is at x = 40.
    expect(x1(target)).toBeGreaterThanOrEqual(40);
    expect(x1(target)).toBeLessThan(
      Number(screen.getByTestId('burndown-projection').getAttribute('x1')),
    );
    expect(screen.getByTestId('burndown-forecast')).toHaveTextContent(
      'after the target date 2027-02-20',
    );
  });

  it('shows no target line without a target date, and no projection without a rate', async () => {
    await renderInTestApp(
      <BurndownChart
        points={[
          { at: day('2027-03-01'), remaining: 2 },
          { at: day('2027-03-01') + DAY, remaining: 2 },
        ]}
        now={day('2027-03-01') + DAY}
      />,
    );
    expect(screen.queryByTestId('burndown-target')).not.toBeInTheDocument();
    expect(screen.queryByTestId('burndown-projection')).not.toBeInTheDocument();
    expect(screen.getByTestId('burndown-forecast')).toHaveTextContent(
      'No consumer done since the most remaining: no rate to project yet.',
    );
  });
});
