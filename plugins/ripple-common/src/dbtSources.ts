import { parseDocument } from 'yaml';
import { sameTable } from './proposal';

/**
 * A dbt source table: the name models give it (`{{ source('shop', 'orders') }}`
 * reads as `shop.orders` in the engine) and the warehouse table `sources.yml`
 * maps it to (`proj.ds.orders`, the database left out when not given).
 *
 * @public
 */
export type DbtSource = { name: string; table: string };

/**
 * The sources declared in a dbt project's property files (`models/*.yml`):
 * for each `sources:` entry, the table is `[database.]schema.identifier`, the
 * schema defaulting to the source's name and the identifier to the table's,
 * as dbt resolves them. Files that are not dbt property files, or that do not
 * parse (Jinja in YAML, say), declare nothing.
 *
 * @public
 */
export function dbtSources(
  files: { path: string; text: string }[],
): DbtSource[] {
  const found: DbtSource[] = [];
  for (const file of files) {
    if (!hasSourcesKey(file.text)) {
      continue;
    }
    const document = parseDocument(file.text);
    if (document.errors.length > 0) {
      continue;
    }
    let sources: unknown;
    try {
      sources = (document.toJS() as { sources?: unknown })?.sources;
    } catch {
      // yaml refuses aliases expanding past its limit (a "billion laughs"
      // file): such a file declares nothing, like one that does not parse.
      continue;
    }
    if (!Array.isArray(sources)) {
      continue;
    }
    for (const source of sources) {
      if (!isObject(source) || typeof source.name !== 'string') {
        continue;
      }
      const schema = nonBlank(source.schema) ?? source.name;
      const database = nonBlank(source.database);
      for (const table of Array.isArray(source.tables) ? source.tables : []) {
        if (!isObject(table) || typeof table.name !== 'string') {
          continue;
        }
        const identifier = nonBlank(table.identifier) ?? table.name;
        found.push({
          name: `${source.name}.${table.name}`,
          table: [database, schema, identifier].filter(Boolean).join('.'),
        });
      }
    }
  }
  return found;
}

/**
 * Whether a line of the text starts (after blanks) with the key `sources:`.
 * A scan of each line once: `/^\s*sources\s*:/m` tried from every line
 * start through the whole run of blank lines that follows, quadratic on a
 * file of blank lines (seconds for 40,000, minutes for a megabyte).
 */
export function hasSourcesKey(text: string): boolean {
  let index = text.indexOf('sources');
  while (index >= 0) {
    // Blanks only between the line's start and the key...
    let start = index;
    while (start > 0 && isBlank(text[start - 1])) start--;
    if (start === 0 || text[start - 1] === '\n' || text[start - 1] === '\r') {
      // ...and between the key and the colon.
      let end = index + 'sources'.length;
      while (end < text.length && isBlank(text[end])) end++;
      if (text[end] === ':') return true;
    }
    index = text.indexOf('sources', index + 1);
  }
  return false;
}

function isBlank(char: string): boolean {
  return char === ' ' || char === '\t';
}

function nonBlank(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The names models give `table` through sources (`shop.orders`), so that the
 * engine rewrites `{{ source('shop', 'orders') }}` models as readers of the
 * table. A source's table may be less qualified than `table`, or more.
 *
 * @public
 */
export function dbtSourceNames(sources: DbtSource[], table: string): string[] {
  return sources
    .filter(source => sameTable(source.table, table))
    .map(source => source.name);
}
