import type { UrlReaderService } from '@backstage/backend-plugin-api';
import { InputError, NotModifiedError } from '@backstage/errors';
import {
  isDbtProject,
  isRippleError,
  namesTable,
  type DatasetColumn,
  type DatasetColumnsFrom,
} from '@ripple/backstage-plugin-ripple-common';
import type { Dialect, ProjectSchema, RippleEngine } from '@ripple/engine';
import { isReadDbtProjectFile } from './projectFiles';

/** A dataset's columns as the dbt project at its code location knows them. */
export type ProjectColumns = {
  columns: DatasetColumn[];
  /** Absent when the project gave no columns. */
  columnsFrom?: DatasetColumnsFrom;
  /** Why it gave none: a conflict about the table, or no such model. */
  warnings: string[];
};

// Projects whose schema is kept, with the reader's etag.
const CACHED_PROJECTS = 32;

/**
 * Reads a dataset's columns from the dbt project at its code location: the
 * project's files through the UrlReaderService, and the engine's
 * `projectSchema` of them (what `ripple project DIR` prints). The schema
 * derived last from each location is kept with the reader's etag, so
 * reading the dataset again asks the SCM whether the project changed
 * instead of downloading it.
 */
export class DbtProjectColumns {
  // Least recently read first (a Map keeps insertion order).
  private readonly cache = new Map<
    string,
    { etag: string; project?: ProjectSchema }
  >();

  constructor(
    private readonly urlReader: UrlReaderService,
    private readonly engine: Pick<RippleEngine, 'projectSchema'>,
  ) {}

  /**
   * The columns of `table` in the project at `location`, or undefined when
   * the location holds no dbt project (no `dbt_project.yml` at its root).
   * `where` names the entity and the annotation the location came from, in
   * the errors (a 400).
   */
  async read(
    location: string,
    table: string,
    dialect: Dialect | undefined,
    where: string,
  ): Promise<ProjectColumns | undefined> {
    const project = await this.project(location, dialect, where);
    return project && columnsOf(project, location, table);
  }

  private async project(
    location: string,
    dialect: Dialect | undefined,
    where: string,
  ): Promise<ProjectSchema | undefined> {
    const { projectSchema } = this.engine;
    if (!projectSchema) {
      return undefined;
    }
    const key = `${location}\0${dialect ?? ''}`;
    const cached = this.cache.get(key);
    let tree;
    try {
      tree = await this.urlReader.readTree(location, {
        etag: cached?.etag,
        filter: isReadDbtProjectFile,
      });
    } catch (error) {
      if (cached && error instanceof NotModifiedError) {
        this.remember(key, cached);
        return cached.project;
      }
      throw new InputError(
        `${where}: cannot read the dbt project at ${location}: ${
          (error as Error).message
        }`,
      );
    }
    const files = await Promise.all(
      (
        await tree.files()
      ).map(async file => ({
        path: file.path,
        text: (await file.content()).toString('utf8'),
      })),
    );
    let project: ProjectSchema | undefined;
    if (isDbtProject(files)) {
      try {
        project = projectSchema(
          files.sort((a, b) => a.path.localeCompare(b.path)),
          { dialect },
        );
      } catch (error) {
        if (!isRippleError(error)) throw error;
        throw new InputError(
          `${where}: the dbt project at ${location}: ${error.message}`,
        );
      }
    }
    if (tree.etag) {
      this.remember(key, { etag: tree.etag, project });
    }
    return project;
  }

  private remember(
    key: string,
    entry: { etag: string; project?: ProjectSchema },
  ) {
    this.cache.delete(key);
    this.cache.set(key, entry);
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= CACHED_PROJECTS) break;
      this.cache.delete(oldest);
    }
  }
}

/**
 * The dataset's table in a project's schema: the table of that name, else
 * one naming it by suffix either way (`orders`, `ds.orders`), else the
 * model whose name is the table's last part, case-insensitively (dbt names
 * a model by its file, the warehouse by its schema and alias).
 */
export function projectTable(
  names: string[],
  table: string,
): string | undefined {
  const last = (name: string) =>
    name.toLowerCase().split('.').pop() ?? name.toLowerCase();
  return (
    names.find(name => name.toLowerCase() === table.toLowerCase()) ??
    names.find(name => namesTable(name, table) || namesTable(table, name)) ??
    names.find(name => last(name) === last(table))
  );
}

function columnsOf(
  project: ProjectSchema,
  location: string,
  table: string,
): ProjectColumns {
  // (The generated type says Map; the engine returns a plain object, as JSON.)
  const tables = project.schema.tables as unknown as Record<
    string,
    { columns: DatasetColumn[] }
  >;
  const name = projectTable(
    [...Object.keys(tables), ...project.conflicts.map(c => c.table)],
    table,
  );
  const conflict = project.conflicts.find(c => c.table === name);
  if (conflict) {
    return {
      columns: [],
      warnings: [
        `the dbt project at ${location}: \`${conflict.table}\`: ${conflict.message} (its columns are left unknown)`,
      ],
    };
  }
  if (!name || !tables[name]) {
    return {
      columns: [],
      warnings: [
        `the dbt project at ${location} has no model named ${table}`,
        ...project.problems.map(p => `the dbt project at ${location}: ${p}`),
      ],
    };
  }
  const origin = project.origins.find(o => o.table === name);
  return {
    columns: tables[name].columns.map(({ name: column, type }) => ({
      name: column,
      ...(type ? { type } : {}),
    })),
    ...(origin
      ? {
          columnsFrom: {
            location,
            origin: origin.origin,
            ...(origin.path ? { path: origin.path } : {}),
          },
        }
      : {}),
    warnings: [],
  };
}
