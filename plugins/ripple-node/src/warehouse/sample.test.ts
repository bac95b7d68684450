import { parseSample, partitionSample, sampleView } from './sample';

const warehouse = { relation: (table: string) => `warehouse.${table}` };

describe('parseSample', () => {
  it('takes a window of days, or bounds', () => {
    expect(parseSample({ column: 'order_date', days: 7 })).toEqual({
      column: 'order_date',
      days: 7,
    });
    expect(
      parseSample({ column: 'ts', from: '2026-01-01T00:00:00Z', to: 5 }),
    ).toEqual({ column: 'ts', from: '2026-01-01T00:00:00Z', to: 5 });
  });

  it.each([
    [null, /must be an object/],
    [
      { column: 'day; DROP TABLE x', days: 1 },
      /^column: must be a plain column name/,
    ],
    [
      { column: 'day', from: "2026-01-01' OR 1=1 --" },
      /^from: must be an ISO 8601/,
    ],
    [{ column: 'day', to: Infinity }, /^to: must be/],
    [{ column: 'day', days: 0 }, /^days: must be a whole number/],
    [
      { column: 'day', days: 1, from: '2026-01-01' },
      /^days: give either days or from/,
    ],
    [{ column: 'day' }, /needs days, from or to/],
    [{ column: 'day', days: 1, where: 'x' }, /^unknown field where/],
  ])('refuses %j, naming the field', (value, message) => {
    expect(() => parseSample(value)).toThrow(message);
  });
});

describe('sampleView', () => {
  it('makes a view of the window over the warehouse relation, days counted back from now', () => {
    const view = sampleView(
      warehouse,
      'shop.orders',
      { column: 'order_date', days: 2 },
      'ripple_scratch.sample',
      new Date('2026-12-06T20:00:00Z'),
    );
    expect(view).toEqual({
      view: 'ripple_scratch.sample',
      window: "order_date >= '2026-12-04'",
      create:
        "CREATE OR REPLACE VIEW ripple_scratch.sample AS\nSELECT *\nFROM warehouse.shop.orders\nWHERE order_date >= '2026-12-04';",
      cleanup: 'DROP VIEW IF EXISTS ripple_scratch.sample;',
    });
    expect(
      sampleView(warehouse, 't', { column: 'n', from: 10, to: 20 }, 'v').window,
    ).toBe('n >= 10 AND n < 20');
  });

  it('refuses a sample it would otherwise write into SQL', () => {
    expect(() =>
      sampleView(warehouse, 't', { column: 'a b', days: 1 }, 'v'),
    ).toThrow(/^column:/);
  });
});

describe('partitionSample', () => {
  it('samples time partitions only', () => {
    expect(
      partitionSample({ kind: 'time', column: '_PARTITIONTIME' }, 1),
    ).toEqual({ column: '_PARTITIONTIME', days: 1 });
    expect(partitionSample({ kind: 'range', column: 'n' }, 1)).toBeUndefined();
    expect(partitionSample(undefined, 1)).toBeUndefined();
  });
});
