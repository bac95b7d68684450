import { stringifyEntityRef } from '@backstage/catalog-model';
import type {
  HealthReadContext,
  HealthSignal,
  RippleHealthProvider,
} from '@ripple/backstage-plugin-ripple-node';
import type { LineageRun, LineageStore } from '../database/LineageStore';
import type { LineageCatalog, LineageService } from './LineageService';
import type { LineageName } from './naming';

const FAILED = ['FAIL', 'ABORT'];
const FINISHED = ['COMPLETE', ...FAILED];

/** START to COMPLETE, in seconds, when both are known. */
function durationSeconds(run: LineageRun): number | undefined {
  if (!run.startedAt || !run.endedAt) return undefined;
  return Math.max(0, (run.endedAt.getTime() - run.startedAt.getTime()) / 1000);
}

/** The row count and the duration of a COMPLETE run, when it has them. */
function runValues(run: LineageRun) {
  const duration = durationSeconds(run);
  return {
    ...(run.outputRows !== undefined ? { rowCount: run.outputRows } : {}),
    ...(duration !== undefined ? { durationSeconds: duration } : {}),
  };
}

/**
 * Health signals from OpenLineage runs (docs/health.md), read from what
 * `POST /api/v1/lineage` stored. For each consumer whose jobs finished runs
 * since the last read and after its delivery: the failed runs (FAIL and
 * ABORT), the error rate (failed of finished), the age of the last COMPLETE
 * run, and that run's output rows and START-to-COMPLETE duration. And its
 * baseline: the last COMPLETE run before the delivery, whose row count and
 * duration the gates compare with.
 */
export class OpenLineageHealthProvider implements RippleHealthProvider {
  readonly id = 'openlineage';

  constructor(
    private readonly options: {
      store: LineageStore;
      lineage: Pick<LineageService, 'jobsOf' | 'dataset' | 'readersOf'>;
      catalog: Pick<LineageCatalog, 'entities'>;
      now?: () => Date;
    },
  ) {}

  async read(
    consumerRefs: string[],
    since: Date,
    context?: HealthReadContext,
  ): Promise<HealthSignal[]> {
    const { catalog, lineage } = this.options;
    const dataset = context?.datasetRef
      ? await lineage.dataset(context.datasetRef)
      : undefined;
    // The dataset's readers, for the consumers mapped by name: read once.
    const readers = dataset ? await lineage.readersOf(dataset) : [];
    const signals: HealthSignal[] = [];
    const entities = new Map(
      (await catalog.entities(consumerRefs)).map(e => [
        stringifyEntityRef(e).toLocaleLowerCase('en-US'),
        e,
      ]),
    );
    for (const consumerRef of consumerRefs) {
      const entity = entities.get(consumerRef.toLocaleLowerCase('en-US'));
      if (!entity) continue;
      const jobs = await lineage.jobsOf(entity, dataset, readers);
      if (!jobs.length) continue;
      const delivered = context?.deliveredAt[consumerRef];
      signals.push(
        ...(await this.signalsOf(
          consumerRef,
          jobs,
          since,
          delivered ? new Date(delivered) : undefined,
        )),
      );
    }
    return signals;
  }

  private async signalsOf(
    consumerRef: string,
    jobs: LineageName[],
    since: Date,
    deliveredAt: Date | undefined,
  ): Promise<HealthSignal[]> {
    const { store } = this.options;
    const now = this.options.now?.() ?? new Date();
    const signals: HealthSignal[] = [];
    if (deliveredAt) {
      const baseline = await store.lastComplete(jobs, deliveredAt);
      if (baseline?.endedAt) {
        signals.push({
          consumerRef,
          ...runValues(baseline),
          // The source knows the consumer's runs from its baseline on: once
          // merged, it runs the patch only from its first successful run.
          lastSuccessAt: baseline.endedAt.toISOString(),
          observedAt: baseline.endedAt.toISOString(),
        });
      }
    }
    // Runs an event changed since the last read (so a late event counts),
    // finished after the delivery: the code with the patch.
    const finished = (
      await store.listRuns(jobs, { updatedSince: since })
    ).filter(
      run =>
        FINISHED.includes(run.state) &&
        run.endedAt &&
        (!deliveredAt || run.endedAt >= deliveredAt),
    );
    if (!finished.length) return signals;
    const failed = finished.filter(run => FAILED.includes(run.state)).length;
    const last = await store.lastComplete(jobs);
    const lastIsPatched =
      last?.endedAt && (!deliveredAt || last.endedAt >= deliveredAt);
    const observedAt = new Date(
      Math.max(...finished.map(run => run.endedAt!.getTime())),
    );
    signals.push({
      consumerRef,
      failedRuns: failed,
      errorRate: failed / finished.length,
      ...(last?.endedAt
        ? {
            freshnessMinutes:
              Math.round(
                (Math.max(0, now.getTime() - last.endedAt.getTime()) / 60_000) *
                  10,
              ) / 10,
          }
        : {}),
      ...(lastIsPatched ? runValues(last) : {}),
      // The source knows the consumer's runs: it runs the patch from its
      // first successful run after the merge.
      ...(last?.endedAt ? { lastSuccessAt: last.endedAt.toISOString() } : {}),
      observedAt: observedAt.toISOString(),
    });
    return signals;
  }
}
