import {
  ANNOTATION_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
  Entity,
  parseLocationRef,
} from '@backstage/catalog-model';

// What the engine reads, as the `ripple` CLI walks folders.
const CODE_FILE = /\.(sql|py|java|scala)$/;
const DBT_PROPERTIES_FILE = /\.ya?ml$/;
const SKIPPED_FOLDERS = new Set(['node_modules', 'target', 'dbt_packages']);

/**
 * Whether a file found by walking a consumer's code is consumer code for the
 * engine: a `.sql`, `.py`, `.java` or `.scala` file outside hidden folders,
 * `node_modules`, `target` and `dbt_packages`. `relativePath` uses `/`.
 */
export function isConsumerCodeFile(relativePath: string): boolean {
  return CODE_FILE.test(relativePath) && !isSkipped(relativePath);
}

/**
 * Whether a file is one of dbt's property files (`.yml`, `.yaml`), where
 * `sources` map source names to warehouse tables; same folders skipped.
 */
export function isDbtPropertiesFile(relativePath: string): boolean {
  return DBT_PROPERTIES_FILE.test(relativePath) && !isSkipped(relativePath);
}

// What `ripple project` reads of a dbt project (rust-engine/cli/src/project.rs).
const DBT_PROJECT_FILE = /\.(sql|ya?ml|csv)$/;
const DBT_PROJECT_SKIPPED = new Set(['dbt_packages', 'logs', 'node_modules']);
const DBT_TARGET_FILES = new Set([
  'target/manifest.json',
  'target/catalog.json',
]);

/**
 * Whether a file at the root of a dbt project says something about its
 * tables, as `ripple project` reads them: its config, models, seeds and
 * property files (`.sql`, `.yml`, `.yaml`, `.csv` outside hidden folders,
 * `dbt_packages`, `logs` and `node_modules`), and of `target/` only the
 * manifest and the catalog dbt writes there.
 */
export function isDbtProjectFile(relativePath: string): boolean {
  if (relativePath.startsWith('target/')) {
    return DBT_TARGET_FILES.has(relativePath);
  }
  return (
    DBT_PROJECT_FILE.test(relativePath) &&
    !relativePath
      .split('/')
      .some(part => part.startsWith('.') || DBT_PROJECT_SKIPPED.has(part))
  );
}

/** Whether files read from a code location are a dbt project: `dbt_project.yml` at its root. */
export function isDbtProject(files: ReadonlyArray<{ path: string }>): boolean {
  return files.some(
    f => f.path === 'dbt_project.yml' || f.path === 'dbt_project.yaml',
  );
}

function isSkipped(relativePath: string): boolean {
  return relativePath
    .split('/')
    .some(part => part.startsWith('.') || SKIPPED_FOLDERS.has(part));
}

/**
 * The code location of an entity, as a URL for the UrlReaderService: its
 * `backstage.io/source-location`, or, for an entity registered from a local
 * `catalog-info.yaml` (the file Backstage expects at the root of a
 * component's repository), that file's folder as a `file:` URL (read only
 * where `backend.reading.allow` allows it). Entities from other files (a list
 * of datasets, say) have no code there.
 */
export function codeLocation(entity: Entity): string | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const source = annotations[ANNOTATION_SOURCE_LOCATION];
  if (source) {
    const { type, target } = parseLocationRef(source);
    return type === 'url' ? target : undefined;
  }
  const managedBy = annotations[ANNOTATION_LOCATION];
  if (managedBy) {
    const { type, target } = parseLocationRef(managedBy);
    const file = target.split('/').pop() ?? '';
    if (type === 'file' && /^catalog-info\.ya?ml$/.test(file)) {
      // (URL, not node:path: this package also runs in the browser.)
      return new URL('./', new URL(target, 'file:///')).href;
    }
  }
  return undefined;
}
