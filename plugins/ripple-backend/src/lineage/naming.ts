import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';

// OpenLineage's names for jobs and datasets, and how Ripple's entities
// name the same things (docs/health.md). Everything that matches a run's
// job or dataset to a catalog entity goes through this module.

/** A consumer's OpenLineage jobs: `namespace/name`, several allowed. */
export const ANNOTATION_OPENLINEAGE_JOB = 'openlineage.io/job';
/**
 * A dataset's OpenLineage namespace (`postgres://db.example.com:5432`),
 * when its table's name alone would match datasets of other warehouses.
 */
export const ANNOTATION_OPENLINEAGE_NAMESPACE = 'openlineage.io/namespace';

/** An OpenLineage job or dataset: a namespace and a name in it. */
export type LineageName = { namespace: string; name: string };

/**
 * The jobs an `openlineage.io/job` annotation names: `namespace/name`
 * values separated by commas or newlines (the namespace ends at the first
 * `/`: job namespaces are plain words, like `dbt` or `airflow-prod`, while
 * names may hold a `/`). A value without both parts is an error naming the
 * entity and the annotation; the other values still count.
 */
export function jobsOfAnnotation(entity: Entity): {
  jobs: LineageName[];
  errors: string[];
} {
  const value = entity.metadata.annotations?.[ANNOTATION_OPENLINEAGE_JOB];
  const jobs: LineageName[] = [];
  const errors: string[] = [];
  if (value === undefined) return { jobs, errors };
  const where = `${stringifyEntityRef(entity).toLocaleLowerCase(
    'en-US',
  )}: annotation ${ANNOTATION_OPENLINEAGE_JOB}`;
  const items = value
    .split(/[,\n]/)
    .map(item => item.trim())
    .filter(Boolean);
  if (!items.length) {
    errors.push(`${where}: empty (expected namespace/name, comma-separated)`);
  }
  for (const item of items) {
    const slash = item.indexOf('/');
    const namespace = slash < 0 ? '' : item.slice(0, slash).trim();
    const name = slash < 0 ? '' : item.slice(slash + 1).trim();
    if (!namespace || !name) {
      errors.push(
        `${where}: "${item}" is not namespace/name (a job such as dbt/jaffle_shop.orders)`,
      );
      continue;
    }
    jobs.push({ namespace, name });
  }
  return { jobs, errors };
}

/**
 * The namespace schemes (`scheme://...`, or the whole namespace when it has
 * no `://`, as BigQuery's `bigquery`) OpenLineage gives datasets of a
 * warehouse whose SQL is in this dialect
 * (https://openlineage.io/docs/spec/naming). A dialect not listed matches
 * any namespace.
 */
const SCHEMES: Record<string, string[]> = {
  bigquery: ['bigquery'],
  postgres: ['postgres', 'postgresql'],
  snowflake: ['snowflake'],
  duckdb: ['duckdb'],
  redshift: ['redshift'],
  mysql: ['mysql'],
  databricks: ['databricks', 'hive', 'dbfs', 's3', 'abfss', 'gs'],
  spark: ['hive', 'hdfs', 's3', 'abfss', 'gs', 'file'],
  hive: ['hive', 'hdfs'],
};

/** A namespace's scheme: `postgres` of `postgres://host:5432`, `bigquery` of `bigquery`. */
export function namespaceScheme(namespace: string): string {
  const at = namespace.indexOf('://');
  return (at < 0 ? namespace : namespace.slice(0, at)).toLocaleLowerCase(
    'en-US',
  );
}

/** A dataset as Ripple's catalog names it. */
export type CatalogDataset = {
  /** The table as consumers name it (`ripple.io/table`, or the entity's name). */
  table: string;
  /** `ripple.io/dialect`. */
  dialect?: string;
  /** `openlineage.io/namespace`: only datasets of this namespace match. */
  namespace?: string;
};

/** The catalog's dataset entity as {@link lineageDatasetMatches} reads it. */
export function catalogDataset(entity: Entity): CatalogDataset {
  const annotations = entity.metadata.annotations ?? {};
  const dialect = annotations['ripple.io/dialect']?.trim();
  const namespace = annotations[ANNOTATION_OPENLINEAGE_NAMESPACE]?.trim();
  return {
    table: annotations['ripple.io/table']?.trim() || entity.metadata.name,
    ...(dialect ? { dialect } : {}),
    ...(namespace ? { namespace } : {}),
  };
}

/**
 * The parts of a dotted name, unquoted and lower-cased: OpenLineage names
 * tables `db.schema.table` (PostgreSQL, Snowflake, DuckDB) or
 * `project.dataset.table` (BigQuery), upper-cased by Snowflake, while
 * consumers quote and case them as their SQL does.
 */
export function nameParts(name: string): string[] {
  return name.split('.').map(part =>
    part
      .trim()
      .replace(/^[`"[]|[`"\]]$/g, '')
      .toLocaleLowerCase('en-US'),
  );
}

/**
 * Whether an OpenLineage dataset is the catalog's dataset: its namespace is
 * of the dataset's warehouse (the `openlineage.io/namespace` annotation
 * exactly, else a scheme of its dialect), and its name ends with the
 * table's parts (`orders` and `public.orders` are `db.public.orders`;
 * `proj.ds.orders` is `proj.ds.orders`, not `other.ds.orders`).
 */
export function lineageDatasetMatches(
  dataset: LineageName,
  target: CatalogDataset,
): boolean {
  if (target.namespace !== undefined) {
    if (dataset.namespace !== target.namespace) return false;
  } else if (target.dialect && SCHEMES[target.dialect]) {
    if (!SCHEMES[target.dialect].includes(namespaceScheme(dataset.namespace))) {
      return false;
    }
  }
  const want = nameParts(target.table);
  const have = nameParts(dataset.name);
  if (!want.length || want.some(part => !part) || want.length > have.length) {
    return false;
  }
  const tail = have.slice(have.length - want.length);
  return tail.every((part, i) => part === want[i]);
}

/** `jaffle-dbt` and `jaffle_dbt` are one name: dbt and Airflow use `_`, Backstage `-`. */
function normalized(name: string): string {
  return name.toLocaleLowerCase('en-US').replace(/-/g, '_');
}

/**
 * Whether a job's name names an entity: one of its parts (split on `.` and
 * `/`: dbt's `jaffle_shop.orders`, Airflow's `dag.task`) is the entity's
 * name or its repository's name, `-` and `_` alike.
 */
export function jobNameMatches(jobName: string, names: string[]): boolean {
  const wanted = new Set(names.filter(Boolean).map(normalized));
  return jobName
    .split(/[./]/)
    .some(part => part !== '' && wanted.has(normalized(part)));
}

/**
 * The name of the repository an entity's code lives in: the last path part
 * of its `ripple.io/git-repository` (without `.git`), else of its
 * `backstage.io/source-location` up to a `/tree/` or `/blob/` (GitHub and
 * GitLab URLs).
 */
export function repositoryName(entity: Entity): string | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const repository = annotations['ripple.io/git-repository']?.trim();
  const location = annotations['backstage.io/source-location']
    ?.trim()
    .replace(/^url:/, '')
    .replace(/\/(-\/)?(tree|blob)\/.*$/, '');
  const path = (repository || location || '').replace(/[/]+$/, '');
  const last = path
    .split(/[/:]/)
    .pop()
    ?.replace(/\.git$/, '');
  return last || undefined;
}
