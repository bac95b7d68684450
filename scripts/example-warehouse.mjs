// Makes the dev portal's example warehouse: a DuckDB file at
// .ripple/example.duckdb (or the path given) from examples/warehouse/shop.sql,
// made again at each start so it always matches the SQL.
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.resolve(
  process.argv[2] ?? path.join(root, '.ripple/example.duckdb'),
);
const sql = await fs.readFile(
  path.join(root, 'examples/warehouse/shop.sql'),
  'utf8',
);

await fs.mkdir(path.dirname(target), { recursive: true });
await fs.rm(target, { force: true });
await fs.rm(`${target}.wal`, { force: true });
const instance = await DuckDBInstance.create(target);
const connection = await instance.connect();
await connection.run(sql);
connection.closeSync();
instance.closeSync();
console.log(`example warehouse: ${path.relative(root, target)}`);
