import type { LoggerService } from '@backstage/backend-plugin-api';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import type {
  LineageJob,
  OpenLineageReceipt,
  OpenLineageRunEvent,
} from '@ripple/backstage-plugin-ripple-common';
import type {
  LineageRunEvent,
  LineageRunState,
  LineageStore,
} from '../database/LineageStore';
import {
  ANNOTATION_OPENLINEAGE_JOB,
  type CatalogDataset,
  catalogDataset,
  jobNameMatches,
  jobsOfAnnotation,
  type LineageName,
  lineageDatasetMatches,
  nameParts,
  repositoryName,
} from './naming';

/** Entities, read with the plugin's own credentials. */
export type LineageCatalog = {
  entity(entityRef: string): Promise<Entity | undefined>;
  /** Entities by ref, in one request; missing ones left out. */
  entities(entityRefs: string[]): Promise<Entity[]>;
  /** The entities with an `openlineage.io/job` annotation. */
  annotatedEntities(): Promise<Entity[]>;
};

const sameJob = (a: LineageName, b: LineageName) =>
  a.namespace === b.namespace && a.name === b.name;

/**
 * OpenLineage in Ripple (docs/health.md): run events stored compactly, and
 * jobs mapped to consumers: by the consumer's `openlineage.io/job`
 * annotation, failing that by a job that reads the migrated dataset and is
 * named after the consumer or its repository.
 */
export class LineageService {
  constructor(
    private readonly options: {
      store: LineageStore;
      catalog: LineageCatalog;
      logger: LoggerService;
    },
  ) {}

  /** Stores a RunEvent the API accepted (validated against the spec). */
  async record(event: OpenLineageRunEvent): Promise<OpenLineageReceipt> {
    const run = await this.options.store.recordEvent(toRunEvent(event));
    return { runId: run.runId, state: run.state };
  }

  /** The migrated dataset as OpenLineage's names are matched with it. */
  async dataset(datasetRef: string): Promise<CatalogDataset | undefined> {
    const entity = await this.options.catalog.entity(datasetRef);
    return entity && catalogDataset(entity);
  }

  /**
   * A consumer's jobs: those its annotation names (a bad value is logged,
   * naming the entity and the annotation, and skipped), else the jobs
   * reading the dataset that are named after the consumer or its
   * repository.
   */
  async jobsOf(
    entity: Entity,
    dataset: CatalogDataset | undefined,
    /** The dataset's readers, when the caller has them already. */
    readers?: { job: LineageName }[],
  ): Promise<LineageName[]> {
    const { jobs, errors } = jobsOfAnnotation(entity);
    for (const error of errors) this.options.logger.warn(error);
    if (
      jobs.length ||
      entity.metadata.annotations?.[ANNOTATION_OPENLINEAGE_JOB] !== undefined
    ) {
      return jobs;
    }
    if (!dataset) return [];
    const names = [entity.metadata.name, repositoryName(entity) ?? ''];
    return (readers ?? (await this.readersOf(dataset)))
      .map(r => r.job)
      .filter(job => jobNameMatches(job.name, names));
  }

  /** The jobs whose inputs are the dataset (by its warehouse's naming), latest seen first. */
  async readersOf(
    dataset: CatalogDataset,
  ): Promise<{ job: LineageName; lastSeenAt: Date }[]> {
    const parts = nameParts(dataset.table);
    const rows = await this.options.store.listJobDatasets({
      lastPart: parts[parts.length - 1],
      direction: 'input',
    });
    const readers: { job: LineageName; lastSeenAt: Date }[] = [];
    for (const row of rows) {
      if (!lineageDatasetMatches(row.dataset, dataset)) continue;
      const known = readers.find(r => sameJob(r.job, row.job));
      if (known) {
        if (row.lastSeenAt > known.lastSeenAt)
          known.lastSeenAt = row.lastSeenAt;
      } else {
        readers.push({ job: row.job, lastSeenAt: row.lastSeenAt });
      }
    }
    return readers;
  }

  /**
   * The jobs reading the dataset, each with the consumer it maps to among
   * `consumerRefs` (the migration's) and the entities annotated with
   * `openlineage.io/job`; a job no entity maps to is found in lineage only.
   */
  async datasetJobs(
    datasetRef: string,
    /** The migration's consumers, asked for only when a job reads the dataset. */
    consumerRefs: () => Promise<string[]>,
  ): Promise<LineageJob[]> {
    const dataset = await this.dataset(datasetRef);
    if (!dataset) return [];
    const readers = await this.readersOf(dataset);
    if (!readers.length) return [];
    const owners = new Map<string, Entity>();
    for (const entity of await this.options.catalog.entities(
      await consumerRefs(),
    )) {
      owners.set(stringifyEntityRef(entity), entity);
    }
    for (const entity of await this.options.catalog.annotatedEntities()) {
      owners.set(stringifyEntityRef(entity), entity);
    }
    const mapped: { job: LineageName; consumerRef: string }[] = [];
    for (const [ref, entity] of owners) {
      for (const job of await this.jobsOf(entity, dataset, readers)) {
        mapped.push({ job, consumerRef: ref.toLocaleLowerCase('en-US') });
      }
    }
    const jobs = readers.map(({ job, lastSeenAt }) => {
      const owner = mapped.find(m => sameJob(m.job, job));
      return {
        namespace: job.namespace,
        name: job.name,
        ...(owner ? { consumerRef: owner.consumerRef } : {}),
        lastSeenAt: lastSeenAt.toISOString(),
      };
    });
    // Found in lineage only first: they are what a person must look at.
    return jobs.sort(
      (a, b) =>
        Number(!!a.consumerRef) - Number(!!b.consumerRef) ||
        a.namespace.localeCompare(b.namespace) ||
        a.name.localeCompare(b.name),
    );
  }
}

/** The values Ripple keeps of a RunEvent. */
export function toRunEvent(event: OpenLineageRunEvent): LineageRunEvent {
  const name = (d: { namespace: string; name: string }) => ({
    namespace: d.namespace,
    name: d.name,
  });
  let outputRows: number | undefined;
  for (const output of event.outputs ?? []) {
    const rows = (
      output.outputFacets?.outputStatistics as { rowCount?: unknown }
    )?.rowCount;
    if (typeof rows === 'number' && Number.isFinite(rows) && rows >= 0) {
      outputRows = (outputRows ?? 0) + rows;
    }
  }
  const error = (event.run.facets?.errorMessage as { message?: unknown })
    ?.message;
  return {
    runId: event.run.runId.toLocaleLowerCase('en-US'),
    eventType: (event.eventType ?? 'OTHER') as LineageRunState,
    eventTime: new Date(event.eventTime),
    job: name(event.job),
    inputs: (event.inputs ?? []).map(name),
    outputs: (event.outputs ?? []).map(name),
    ...(outputRows !== undefined ? { outputRows } : {}),
    // Kept short: a stack trace is in the scheduler's logs.
    ...(typeof error === 'string'
      ? { errorMessage: error.slice(0, 2000) }
      : {}),
  };
}
