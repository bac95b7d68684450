import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';

/**
 * The sample values a consumer's queries are validated with, for their bind
 * parameters: JSON, an object of named values (`{"day": "2024-05-01"}` for
 * `:day`, `@day`, `$day` or `%(day)s`) or an array of positional ones
 * (`["2024-05-01", 10]` for `?`, `%s`, `$1`...). Each statement is bound
 * with the same values.
 */
export const ANNOTATION_RIPPLE_SAMPLE_VALUES = 'ripple.io/sample-values';

/** A value a parameter binds to: JSON scalars only. */
type Scalar = string | number | boolean | null;

/**
 * What a consumer declares for its parameters: the values, or why the
 * annotation cannot be used (naming the entity and the annotation). Absent
 * when the consumer declares none.
 */
export type SampleValues =
  | { values: Scalar[] | Record<string, Scalar>; error?: undefined }
  | { error: string; values?: undefined };

/** The consumer's sample values, from its annotation. */
export function consumerSampleValues(entity: Entity): SampleValues | undefined {
  const text = entity.metadata.annotations?.[ANNOTATION_RIPPLE_SAMPLE_VALUES];
  if (text === undefined || !text.trim()) return undefined;
  const fail = (message: string): SampleValues => ({
    error: `${stringifyEntityRef(entity).toLocaleLowerCase(
      'en-US',
    )}: annotation ${ANNOTATION_RIPPLE_SAMPLE_VALUES}: ${message}`,
  });
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON (${(error as Error).message})`);
  }
  if (typeof values !== 'object' || values === null) {
    return fail(
      'expected an object of named values or an array of positional ones',
    );
  }
  const entries = Array.isArray(values)
    ? values.map((v, i) => [`[${i}]`, v] as const)
    : Object.entries(values).map(([k, v]) => [`.${k}`, v] as const);
  const bad = entries.find(([, v]) => v !== null && typeof v === 'object');
  if (bad) {
    return fail(
      `${bad[0]} is ${
        Array.isArray(bad[1]) ? 'a list' : 'an object'
      }: only strings, numbers, booleans and null bind`,
    );
  }
  return { values: values as SampleValues['values'] & object };
}
