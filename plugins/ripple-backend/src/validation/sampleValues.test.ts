import type { Entity } from '@backstage/catalog-model';
import { consumerSampleValues } from './sampleValues';

const consumer = (annotation?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'Report',
    annotations:
      annotation === undefined ? {} : { 'ripple.io/sample-values': annotation },
  },
  spec: {},
});

describe('consumerSampleValues', () => {
  it('reads an object of named values or an array of positional ones', () => {
    expect(consumerSampleValues(consumer())).toBeUndefined();
    expect(consumerSampleValues(consumer(' '))).toBeUndefined();
    expect(
      consumerSampleValues(
        consumer('{"day": "2024-05-01", "n": 3, "x": null}'),
      ),
    ).toEqual({ values: { day: '2024-05-01', n: 3, x: null } });
    expect(consumerSampleValues(consumer('["EU", true]'))).toEqual({
      values: ['EU', true],
    });
  });

  it('says what is wrong, naming the entity and the annotation', () => {
    const error = (annotation: string) =>
      consumerSampleValues(consumer(annotation))?.error;
    expect(error('{day: 1}')).toMatch(
      /^component:default\/report: annotation ripple.io\/sample-values: not JSON \(.+\)$/,
    );
    expect(error('"2024-05-01"')).toBe(
      'component:default/report: annotation ripple.io/sample-values: expected an object of named values or an array of positional ones',
    );
    expect(error('{"days": ["a"]}')).toBe(
      'component:default/report: annotation ripple.io/sample-values: .days is a list: only strings, numbers, booleans and null bind',
    );
    expect(error('[1, {"a": 1}]')).toBe(
      'component:default/report: annotation ripple.io/sample-values: [1] is an object: only strings, numbers, booleans and null bind',
    );
  });
});
