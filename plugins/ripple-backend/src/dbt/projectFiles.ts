import { isDbtProjectFile } from '@ripple/backstage-plugin-ripple-common';

// dbt writes its manifest and catalog for the whole project, hundreds of
// megabytes in the largest ones; a seed is only read for its header.
const TARGET_LIMIT = 64 * 1024 * 1024;
const FILE_LIMIT = 4 * 1024 * 1024;

/**
 * Whether a file of a code location is read as part of a dbt project: one
 * `ripple project` reads ({@link isDbtProjectFile}), under a size cap
 * (64 MiB for `target/manifest.json` and `target/catalog.json`, 4 MiB for
 * the others). A file over its cap is left out, as if it were not there:
 * the engine then takes the columns from the next origin. Meant as a
 * `readTree` filter, which passes each file's size.
 */
export function isReadDbtProjectFile(
  path: string,
  info?: { size: number },
): boolean {
  if (!isDbtProjectFile(path)) {
    return false;
  }
  const limit = path.startsWith('target/') ? TARGET_LIMIT : FILE_LIMIT;
  return info === undefined || info.size <= limit;
}

/**
 * Whether a file of a code location is dbt's compiled SQL of a model
 * (`target/compiled/<project>/<model path>`, which `dbt compile` writes),
 * read to validate the model's patch; under the 4 MiB cap of project files.
 */
export function isReadDbtCompiledFile(
  path: string,
  info?: { size: number },
): boolean {
  return (
    path.startsWith('target/compiled/') &&
    path.endsWith('.sql') &&
    (info === undefined || info.size <= FILE_LIMIT)
  );
}
