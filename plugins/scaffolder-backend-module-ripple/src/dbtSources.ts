import {
  analyzeFile,
  dbtSourceNames,
  dbtSources,
  isDbtPropertiesFile,
  type DbtSource,
} from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, Dialect, RippleEngine } from '@ripple/engine';
import fs from 'node:fs/promises';
import { asObject } from './inputValues';
import { walk, toRelative, type WorkspaceFile } from './workspace';

/**
 * The dbt sources declared in the property files (`models/*.yml`) below
 * `root`, as the backend's agent reads them: a model reading
 * `{{ source('shop', 'orders') }}` reads the warehouse table `sources.yml`
 * maps `shop.orders` to.
 */
export async function readDbtSources(root: string): Promise<DbtSource[]> {
  const files = (await walk(root)).filter(file =>
    isDbtPropertiesFile(toRelative(root, file)),
  );
  return dbtSources(
    await Promise.all(
      files.map(async file => ({
        path: toRelative(root, file),
        text: await fs.readFile(file, 'utf8'),
      })),
    ),
  );
}

/**
 * The change and schema a file is rewritten with. A dbt model that reads the
 * dataset through a source names it by the source (`shop.orders`), so it is
 * rewritten with the source's name as the dataset, and the dataset's columns
 * (for `SELECT *`) under that name too, as the agent does. Any other file,
 * or a change or schema the engine will refuse, is passed on as given.
 */
export function changeForFile(
  engine: RippleEngine,
  file: WorkspaceFile,
  input: { change: unknown; schema?: unknown; dialect?: Dialect },
  sources: DbtSource[],
): { change: unknown; schema?: unknown } {
  const spec = asObject(input.change) as ChangeSpec | undefined;
  if (sources.length === 0 || typeof spec?.dataset !== 'string') {
    return input;
  }
  const tableNames = dbtSourceNames(sources, spec.dataset);
  if (tableNames.length === 0) {
    return input;
  }
  const { table } = analyzeFile(engine, file, {
    dialect: input.dialect ?? spec.dialect ?? 'generic',
    table: spec.dataset,
    columns: [],
    tableNames,
  });
  if (table === spec.dataset) {
    return input;
  }
  const schema = asObject(input.schema) as
    | { tables?: Record<string, unknown> }
    | undefined;
  const columns = schema?.tables?.[spec.dataset];
  return {
    change: { ...spec, dataset: table },
    schema: columns
      ? { ...schema, tables: { ...schema!.tables, [table]: columns } }
      : input.schema,
  };
}

/**
 * The warehouse table a table name in a dbt model stands for: the table
 * `sources.yml` maps a source (`shop.orders`) to, or the name itself.
 */
export function tableOfSource(sources: DbtSource[], name: string): string {
  const lower = name.toLowerCase();
  return (
    sources.find(source => source.name.toLowerCase() === lower)?.table ?? name
  );
}

/** The names of the sources that declare `dataset`, each once. */
export function sourceNames(sources: DbtSource[], dataset: string): string[] {
  return [...new Set(dbtSourceNames(sources, dataset))];
}
