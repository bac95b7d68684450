import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs/promises';
import path from 'node:path';

/** A DuckDB file made by running `sql`: a warehouse the tests' backends read. */
export async function makeDuckDbFile(file: string, sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Writes each folder's files under `root`; the `catalog-info.yaml` of each
 * folder, as the catalog locations to read.
 */
export async function writeFolders(
  root: string,
  folders: Record<string, Record<string, string>>,
): Promise<string[]> {
  const locations: string[] = [];
  for (const [folder, files] of Object.entries(folders)) {
    await fs.mkdir(path.join(root, folder), { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      await fs.writeFile(path.join(root, folder, name), text);
    }
    locations.push(path.join(root, folder, 'catalog-info.yaml'));
  }
  return locations;
}
