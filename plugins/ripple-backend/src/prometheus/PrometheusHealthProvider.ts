import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import type { Entity } from '@backstage/catalog-model';
import type {
  HealthReadContext,
  HealthSignal,
  RippleHealthProvider,
} from '@ripple/backstage-plugin-ripple-node';
import { consumerQueries, type ConsumerQueries } from './annotations';
import { PrometheusClient } from './PrometheusClient';

/**
 * Health signals from Prometheus (docs/health.md): for each consumer whose
 * entity names PromQL for its error rate and latency
 * (`ripple.io/prometheus-error-rate`, `ripple.io/prometheus-latency`), the
 * values now, and its baseline: the same queries evaluated just before its
 * delivery, which the gates compare with (the latency through
 * `maxDurationIncrease`, the error rate through `maxErrorRateIncrease`).
 *
 * The baseline is returned on every read with the same time, so the store
 * keeps it once; a consumer without the annotations, or whose queries
 * return nothing (no traffic), gets no signal.
 */
export class PrometheusHealthProvider implements RippleHealthProvider {
  readonly id = 'prometheus';

  constructor(
    private readonly options: {
      client: PrometheusClient;
      catalog: { entity(entityRef: string): Promise<Entity | undefined> };
      logger: LoggerService;
      now?: () => Date;
    },
  ) {}

  /** The provider `ripple.health.prometheus` configures, or none. */
  static fromConfig(
    config: Config,
    deps: {
      catalog: { entity(entityRef: string): Promise<Entity | undefined> };
      logger: LoggerService;
    },
  ): PrometheusHealthProvider | undefined {
    const settings = config.getOptionalConfig('ripple.health.prometheus');
    if (!settings) return undefined;
    return new PrometheusHealthProvider({
      client: PrometheusClient.fromConfig(settings),
      ...deps,
    });
  }

  async read(
    consumerRefs: string[],
    _since: Date,
    context?: HealthReadContext,
  ): Promise<HealthSignal[]> {
    const now = this.options.now?.() ?? new Date();
    const signals: HealthSignal[] = [];
    for (const consumerRef of consumerRefs) {
      let queries: ConsumerQueries | undefined;
      try {
        const entity = await this.options.catalog.entity(consumerRef);
        queries = entity && consumerQueries(entity);
      } catch (error) {
        // A bad annotation is the entity's problem: said, and skipped.
        this.options.logger.warn(String(error));
        continue;
      }
      if (!queries) continue;
      const deliveredAt = context?.deliveredAt[consumerRef];
      // Just before the delivery: the code before the patch.
      const times = deliveredAt
        ? [new Date(new Date(deliveredAt).getTime() - 1000), now]
        : [now];
      for (const at of times) {
        const signal = await this.evaluate(consumerRef, queries, at);
        if (signal) signals.push(signal);
      }
    }
    return signals;
  }

  private async evaluate(
    consumerRef: string,
    queries: ConsumerQueries,
    at: Date,
  ): Promise<HealthSignal | undefined> {
    const { client, logger } = this.options;
    const values: Pick<HealthSignal, 'errorRate' | 'durationSeconds'> = {};
    try {
      if (queries.errorRate) {
        const errorRate = await client.value(queries.errorRate, at);
        // A share: a query that says otherwise is wrong, not unhealthy.
        if (errorRate !== undefined) {
          if (errorRate < 0 || errorRate > 1) {
            throw new Error(
              `the error rate query gave ${errorRate}, not a share from 0 to 1`,
            );
          }
          values.errorRate = errorRate;
        }
      }
      if (queries.latency) {
        const latency = await client.value(queries.latency, at);
        if (latency !== undefined) {
          values.durationSeconds = Math.max(0, latency);
        }
      }
    } catch (error) {
      logger.warn(`Prometheus: ${consumerRef}: ${error}`);
      return undefined;
    }
    if (!Object.keys(values).length) return undefined;
    return { consumerRef, ...values, observedAt: at.toISOString() };
  }
}
