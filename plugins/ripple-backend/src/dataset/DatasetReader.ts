import type { UrlReaderService } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
  Entity,
  parseLocationRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  codeLocation,
  sameTable,
  type Dataset,
  type DatasetColumn,
} from '@ripple/backstage-plugin-ripple-common';
import type { Dialect, RippleEngine } from '@ripple/engine';
import type { ScmIntegrationRegistry } from '@backstage/integration';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ANNOTATION_RIPPLE_DIALECT } from '../agent/ConsumerSources';
import { entityDialect } from '../agent/annotations';
import { DbtProjectColumns } from '../dbt/ProjectColumns';

/** The dataset's table as consumers name it, when it is not the entity's name. */
export const ANNOTATION_RIPPLE_TABLE = 'ripple.io/table';
/** The dataset's columns, inline (JSON or YAML). */
export const ANNOTATION_RIPPLE_SCHEMA = 'ripple.io/schema';
/** A file with the dataset's columns, relative to the entity's catalog file. */
export const ANNOTATION_RIPPLE_SCHEMA_FILE = 'ripple.io/schema-file';

/** Whether an entity is a dataset: a Resource of one of the dataset types. */
export function isDataset(entity: Entity, datasetTypes: string[]): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'resource' &&
    typeof entity.spec?.type === 'string' &&
    datasetTypes.includes(entity.spec.type)
  );
}

/** The table consumers name a dataset by: `ripple.io/table`, else its name. */
export function datasetTable(entity: Entity): string {
  return (
    entity.metadata.annotations?.[ANNOTATION_RIPPLE_TABLE]?.trim() ||
    entity.metadata.name
  );
}

// The engine's schema argument, shared with the browser's preview.
export { engineSchema } from '@ripple/backstage-plugin-ripple-common';

/**
 * Reads the dataset model of an entity: its table (`ripple.io/table`, the
 * entity's name by default), its dialect (`ripple.io/dialect`) and its columns,
 * from the `ripple.io/schema` annotation or from the file `ripple.io/schema-file`
 * names next to the entity's catalog file, read through the UrlReaderService;
 * without either, from the dbt project at the entity's code location, if
 * there is one.
 */
export class DatasetReader {
  private readonly projects?: DbtProjectColumns;

  constructor(
    private readonly urlReader: UrlReaderService,
    private readonly options: {
      /**
       * Checks `ripple.io/dialect` against the engine's dialects, and
       * derives the columns of a dataset built by a dbt project (Node's
       * build only).
       */
      engine?: Pick<RippleEngine, 'tables' | 'projectSchema'>;
      /**
       * The configured SCM integrations: a schema file at a URL none of
       * them reads is refused (`file:` URLs are left to the local reader's
       * allow list).
       */
      integrations?: Pick<ScmIntegrationRegistry, 'byUrl'>;
    } = {},
  ) {
    if (options.engine?.projectSchema) {
      this.projects = new DbtProjectColumns(urlReader, options.engine);
    }
  }

  /** The dataset, or a 400 naming the annotation at fault. */
  async read(entity: Entity): Promise<Dataset> {
    return (await this.readWithSource(entity)).dataset;
  }

  /**
   * The dataset, and where its columns were read: the annotation or the
   * schema file with its text (for the line of a column) and the renames
   * its columns declare (`renamed_from`), which the `Dataset` does not
   * carry (the engine's schema has no such field). The draft task diffs
   * schemas with them.
   */
  async readWithSource(
    entity: Entity,
  ): Promise<{ dataset: Dataset; source?: SchemaSource }> {
    const ref = stringifyEntityRef(entity);
    const annotations = entity.metadata.annotations ?? {};
    const table = datasetTable(entity);
    const dialect = this.options.engine
      ? entityDialect(this.options.engine, entity)
      : (annotations[ANNOTATION_RIPPLE_DIALECT] as Dialect | undefined);
    const inline = annotations[ANNOTATION_RIPPLE_SCHEMA];
    const file = annotations[ANNOTATION_RIPPLE_SCHEMA_FILE];
    let columns: DatasetColumn[] = [];
    let source: SchemaSource | undefined;
    if (inline !== undefined && file !== undefined) {
      throw new InputError(
        `${ref}: give its schema in ${ANNOTATION_RIPPLE_SCHEMA} or ${ANNOTATION_RIPPLE_SCHEMA_FILE}, not both`,
      );
    }
    if (inline !== undefined) {
      const label = `${ref}: annotation ${ANNOTATION_RIPPLE_SCHEMA}`;
      const parsed = parseSchema(inline, table, label);
      columns = parsed.columns;
      source = { label, text: inline, renamedFrom: parsed.renamedFrom };
    } else if (file !== undefined) {
      const url = schemaFileUrl(entity, file);
      this.checkReadable(
        `${ref}: annotation ${ANNOTATION_RIPPLE_SCHEMA_FILE}`,
        url,
      );
      let text: string;
      try {
        const response = await this.urlReader.readUrl(url);
        text = (await response.buffer()).toString('utf8');
      } catch (error) {
        throw new InputError(
          `${ref}: annotation ${ANNOTATION_RIPPLE_SCHEMA_FILE}: cannot read ${url}: ${
            (error as Error).message
          }`,
        );
      }
      const parsed = parseSchema(
        text,
        table,
        `${ref}: schema file ${url} (${ANNOTATION_RIPPLE_SCHEMA_FILE})`,
      );
      columns = parsed.columns;
      source = { label: url, text, renamedFrom: parsed.renamedFrom };
    } else {
      // A dbt model's entity needs neither annotation: its project knows.
      const location = codeLocation(entity);
      if (location && this.projects) {
        const where = `${ref}: annotation ${
          annotations[ANNOTATION_SOURCE_LOCATION]
            ? ANNOTATION_SOURCE_LOCATION
            : ANNOTATION_LOCATION
        }`;
        this.checkReadable(where, location);
        const project = await this.projects.read(
          location,
          table,
          dialect,
          where,
        );
        if (project) {
          const dataset: Dataset = {
            ref,
            table,
            ...(dialect ? { dialect } : {}),
            columns: project.columns,
            ...(project.columnsFrom
              ? { columnsFrom: project.columnsFrom }
              : {}),
            ...(project.warnings.length ? { warnings: project.warnings } : {}),
          };
          return { dataset };
        }
      }
    }
    return {
      dataset: { ref, table, ...(dialect ? { dialect } : {}), columns },
      ...(source ? { source } : {}),
    };
  }

  /**
   * A schema file (or a dbt project) is read with the backend's
   * credentials: only from where a configured integration reads (or a local
   * `file:` URL, which the local reader allows only below its configured
   * roots), never from any host an entity names (a cloud's metadata
   * service, an internal admin page). `where` names the entity and the
   * annotation the URL came from.
   */
  private checkReadable(where: string, url: string): void {
    const { integrations } = this.options;
    if (!integrations || url.startsWith('file:')) return;
    if (!integrations.byUrl(url)) {
      throw new InputError(
        `${where}: ${url} is read by no configured integration`,
      );
    }
  }
}

/**
 * The URL of a schema file named relative to the file the entity was read
 * from (its `backstage.io/managed-by-location`).
 */
function schemaFileUrl(entity: Entity, file: string): string {
  const ref = stringifyEntityRef(entity);
  const managedBy = entity.metadata.annotations?.[ANNOTATION_LOCATION];
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    return file;
  }
  if (!managedBy) {
    throw new InputError(
      `${ref}: annotation ${ANNOTATION_RIPPLE_SCHEMA_FILE}: "${file}" is relative, but the entity has no ${ANNOTATION_LOCATION} to resolve it from`,
    );
  }
  const { type, target } = parseLocationRef(managedBy);
  if (type === 'file') {
    const base = target.startsWith('file:') ? fileURLToPath(target) : target;
    return pathToFileURL(path.resolve(path.dirname(base), file)).href;
  }
  return new URL(file, target).href;
}

/** Where a dataset's columns were read, as the draft task needs it. */
export type SchemaSource = {
  /** The schema file's URL, or the entity and its annotation. */
  label: string;
  /** The annotation's or the file's text. */
  text: string;
  /** Each column's declared old name (`renamed_from`), by its name. */
  renamedFrom: Map<string, string>;
};

/**
 * Columns from JSON or YAML text, in one of the shapes documented in
 * docs/backend.md: a list of columns (`{name, type?}` or a bare name), an
 * object with such a `columns` list, a `{column: type}` mapping, or the
 * engine's `--schema` format (`{tables: {t: {columns}}}`, the dataset's table
 * picked from it).
 */
export function parseColumns(
  text: string,
  table: string,
  where: string,
): DatasetColumn[] {
  return parseSchema(text, table, where).columns;
}

/** {@link parseColumns}, with the renames the columns declare. */
export function parseSchema(
  text: string,
  table: string,
  where: string,
): { columns: DatasetColumn[]; renamedFrom: Map<string, string> } {
  const renamedFrom = new Map<string, string>();
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new InputError(
      `${where}: not JSON or YAML: ${(error as Error).message}`,
    );
  }
  let field = '';
  if (isObject(value) && isObject(value.tables)) {
    const tables = value.tables;
    const name =
      Object.keys(tables).find(t => t.toLowerCase() === table.toLowerCase()) ??
      Object.keys(tables).find(t => sameTable(t, table));
    if (!name) {
      throw new InputError(
        `${where}: tables: no table ${table} (it has ${
          Object.keys(tables).join(', ') || 'none'
        })`,
      );
    }
    value = tables[name];
    field = `tables.${name}.`;
  }
  if (isObject(value) && 'columns' in value) {
    value = value.columns;
    field += 'columns';
  }
  const columns: DatasetColumn[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const at = `${field}[${i}]`;
      if (typeof item === 'string' && item.trim()) {
        columns.push({ name: item.trim() });
      } else if (
        isObject(item) &&
        typeof item.name === 'string' &&
        item.name.trim()
      ) {
        if (item.type !== undefined && typeof item.type !== 'string') {
          throw new InputError(`${where}: ${at}.type: must be a string`);
        }
        if (
          item.renamed_from !== undefined &&
          (typeof item.renamed_from !== 'string' || !item.renamed_from.trim())
        ) {
          throw new InputError(
            `${where}: ${at}.renamed_from: must be a column name`,
          );
        }
        if (typeof item.renamed_from === 'string') {
          renamedFrom.set(item.name.trim(), item.renamed_from.trim());
        }
        columns.push({
          name: item.name.trim(),
          ...(item.type ? { type: item.type } : {}),
        });
      } else {
        throw new InputError(
          `${where}: ${at}: must be a column name or an object with a name`,
        );
      }
    });
  } else if (isObject(value) && field === '') {
    for (const [name, type] of Object.entries(value)) {
      if (type !== null && typeof type !== 'string') {
        throw new InputError(`${where}: ${name}: the type must be a string`);
      }
      columns.push({ name, ...(type ? { type } : {}) });
    }
  } else {
    throw new InputError(
      `${where}: ${
        field || 'the schema'
      }: must be a list of columns or a {column: type} mapping`,
    );
  }
  const seen = new Set<string>();
  for (const { name } of columns) {
    if (seen.has(name.toLowerCase())) {
      throw new InputError(`${where}: column ${name} is listed twice`);
    }
    seen.add(name.toLowerCase());
  }
  return { columns, renamedFrom };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
