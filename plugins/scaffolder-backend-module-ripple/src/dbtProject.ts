import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  type DbtSource,
  isDbtProject,
  isDbtProjectFile,
} from '@ripple/backstage-plugin-ripple-common';
import type {
  ChangeSpec,
  Dialect,
  RippleEngine,
  Schema,
  SchemaConflict,
  SourceFile,
  TableOrigin,
} from '@ripple/engine';
import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveInWorkspace, toRelative } from './workspace';

/** A dbt project's files, read from the workspace, and where they are. */
export type ProjectFiles = {
  /** The `project` input as given, for messages. */
  given: string;
  files: SourceFile[];
};

/**
 * What a dbt project knows of its tables, as `ripple project` prints it: the
 * schema the actions analyse and rewrite with, where each table's columns
 * came from, what disagreed or could not be read, and the sources it
 * declares (`ecom.raw_orders` for the relation `raw.raw_orders`).
 */
export type DbtProject = {
  schema: Schema;
  origins: TableOrigin[];
  conflicts: SchemaConflict[];
  problems: string[];
  sources: DbtSource[];
};

// Installed packages, logs and hidden folders are not walked; which files
// are the project's is ripple-common's `isDbtProjectFile` (as the CLI's
// project.rs and the backend read a project).
const SKIPPED_FOLDERS = new Set(['dbt_packages', 'logs', 'node_modules']);

/**
 * Reads the dbt project in the folder `given` (relative to the workspace,
 * resolved like every path of the actions: nothing outside the workspace,
 * no link leading out): its `dbt_project.yml`, models, seeds, property files
 * and `target/manifest.json` and `target/catalog.json`, paths relative to
 * it. Links met on the way are not followed. A folder without
 * `dbt_project.yml` is an error naming the input.
 */
export async function readProjectFiles(
  workspacePath: string,
  given: string,
  field = 'project',
): Promise<ProjectFiles> {
  const root = resolveInWorkspace(workspacePath, given, field);
  // (Its real path is inside the workspace: a link to a folder there is
  // the folder.)
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new InputError(
      `${field}: '${given}' is not a folder in the workspace`,
    );
  }
  const files = await Promise.all(
    (
      await walkProject(root)
    )
      .map(absolute => ({ absolute, relative: toRelative(root, absolute) }))
      .filter(({ relative }) => isDbtProjectFile(relative))
      .map(async ({ absolute, relative }) => ({
        path: relative,
        text: await fs.readFile(absolute, 'utf8'),
      })),
  );
  if (!isDbtProject(files)) {
    throw new InputError(
      `${field}: '${given}' holds no dbt_project.yml; it is not a dbt project`,
    );
  }
  return {
    given,
    files: files.sort((a, b) => a.path.localeCompare(b.path)),
  };
}

/**
 * Every regular file below `dir`, its skipped folders left unwalked, and
 * of `target/` (dbt's output, often large) only the files at its top.
 */
async function walkProject(dir: string, depth = 0): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const absolute = path.join(dir, entry.name);
    if (entry.isFile()) {
      found.push(absolute);
    } else if (
      entry.isDirectory() &&
      !entry.name.startsWith('.') &&
      !SKIPPED_FOLDERS.has(entry.name) &&
      !(depth === 1 && path.basename(dir) === 'target')
    ) {
      found.push(...(await walkProject(absolute, depth + 1)));
    }
  }
  return found;
}

/**
 * The project's schema, `schema` (the `schema` input) winning where it
 * names a table. With the `change`, the dataset's columns are those before
 * it, even where the project already holds the producer's change.
 */
export function deriveProject(
  engine: RippleEngine,
  project: ProjectFiles,
  options: {
    dialect?: Dialect;
    schema?: unknown;
    change?: unknown;
  },
): DbtProject {
  if (!engine.projectSchema) {
    throw new Error(
      "the engine's build has no projectSchema (it is in Node's build only)",
    );
  }
  const derived = engine.projectSchema(project.files, {
    dialect: options.dialect,
    schema: options.schema as Schema | string | undefined,
    change: options.change as ChangeSpec | string | undefined,
  });
  return {
    schema: derived.schema,
    // (A table from the `schema` input has no file: left out, not null.)
    origins: derived.origins.map(({ path: file, ...origin }) =>
      file === undefined || file === null ? origin : { ...origin, path: file },
    ) as TableOrigin[],
    conflicts: derived.conflicts,
    problems: derived.problems,
    sources: derived.sources.map(source => ({
      name: source.name,
      table: source.relation,
    })),
  };
}

/**
 * Logs what the project could not decide, one warning each, as the CLI says
 * it on stderr.
 */
export function logProject(
  logger: LoggerService,
  given: string,
  project: DbtProject,
) {
  for (const conflict of project.conflicts) {
    logger.warn(
      `${given}: \`${conflict.table}\`: ${conflict.message} (its columns are left unknown)`,
    );
  }
  for (const problem of project.problems) {
    logger.warn(`${given}: ${problem}`);
  }
}

/** The `project` output: what the project knows and what disagreed. */
export function projectReport(project: DbtProject) {
  const { origins, conflicts, problems } = project;
  return { origins, conflicts, problems };
}
