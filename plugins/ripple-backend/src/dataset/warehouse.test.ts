import type { Entity } from '@backstage/catalog-model';
import { datasetWarehouse } from './warehouse';

const dataset = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name: 'orders', annotations },
  spec: { type: 'dataset' },
});

describe('datasetWarehouse', () => {
  it('names the warehouse and the sample the dataset declares', () => {
    expect(datasetWarehouse(dataset({}), ['dw'])).toBeUndefined();
    expect(
      datasetWarehouse(
        dataset({
          'ripple.io/warehouse': 'dw',
          'ripple.io/validation-sample': '{"column": "day", "days": 3}',
        }),
        ['dw'],
      ),
    ).toEqual({ id: 'dw', sample: { column: 'day', days: 3 } });
  });

  it.each([
    ['{"column": "day"', /validation-sample: not JSON: /],
    ['{"column": "day", "days": -1}', /validation-sample: days: must be/],
    ['{"column": "1; drop", "days": 1}', /validation-sample: column: must be/],
  ])(
    'an annotation %s is an error naming the entity and the annotation',
    (value, message) => {
      const target = datasetWarehouse(
        dataset({
          'ripple.io/warehouse': 'dw',
          'ripple.io/validation-sample': value,
        }),
        ['dw'],
      );
      expect(target?.id).toBe('dw');
      expect(target?.error).toMatch(
        /^resource:default\/orders: annotation ripple\.io\/validation-sample: /,
      );
      expect(target?.error).toMatch(message);
    },
  );
});
