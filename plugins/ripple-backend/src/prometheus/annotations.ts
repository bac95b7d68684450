import { stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';

/** PromQL giving the consumer's error rate, a share from 0 to 1. */
export const ANNOTATION_PROMETHEUS_ERROR_RATE =
  'ripple.io/prometheus-error-rate';
/** PromQL giving the consumer's latency, in seconds. */
export const ANNOTATION_PROMETHEUS_LATENCY = 'ripple.io/prometheus-latency';

/** The PromQL a consumer's entity names; both optional. */
export type ConsumerQueries = { errorRate?: string; latency?: string };

// Far more than any real query; a catalog entry is not a place for more.
const MAX_QUERY_LENGTH = 4096;

/**
 * The PromQL in a consumer's annotations, or undefined when it has none.
 * The queries go to Prometheus's HTTP API as a parameter, never into a
 * shell or a URL path; an empty or overlong one is an error naming the
 * entity and the annotation.
 */
export function consumerQueries(entity: Entity): ConsumerQueries | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const read = (annotation: string) => {
    const value = annotations[annotation];
    if (value === undefined) return undefined;
    const query = value.trim();
    if (!query || query.length > MAX_QUERY_LENGTH) {
      throw new InputError(
        `${stringifyEntityRef(entity)}: annotation ${annotation}: ${
          query ? `longer than ${MAX_QUERY_LENGTH} characters` : 'empty'
        }; it must be one PromQL expression`,
      );
    }
    return query;
  };
  const errorRate = read(ANNOTATION_PROMETHEUS_ERROR_RATE);
  const latency = read(ANNOTATION_PROMETHEUS_LATENCY);
  if (errorRate === undefined && latency === undefined) return undefined;
  return {
    ...(errorRate !== undefined ? { errorRate } : {}),
    ...(latency !== undefined ? { latency } : {}),
  };
}
