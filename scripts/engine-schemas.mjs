// Puts the schemas of the engine's types the API carries (`ripple schema`,
// derived from the Rust types: the change spec, a finding's kind and
// severity) into the backend's OpenAPI spec, between its `BEGIN generated`
// and `END generated` lines, so that the API types `change` exactly as the
// engine reads it and a reason's kind as the engine writes it. Run by
// generate-openapi.sh, before the generator.
//
//   node scripts/engine-schemas.mjs SCHEMAS.json
//
// The schemas are also kept as plugins/ripple-backend/src/schema/engineSchemas.json,
// which the CLI's tests and the backend's compare against, so neither the
// Rust types nor the OpenAPI spec drift from it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(
  path.join(root, 'plugins/ripple-backend/package.json'),
);
const YAML = require('yaml');

const schemas = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const dir = path.join(root, 'plugins/ripple-backend/src/schema');
fs.writeFileSync(
  path.join(dir, 'engineSchemas.json'),
  `${JSON.stringify(schemas, null, 2)}\n`,
);
const file = path.join(dir, 'openapi.yaml');
const lines = fs.readFileSync(file, 'utf8').split('\n');
const begin = lines.findIndex(l => l.trim().startsWith('# BEGIN generated'));
const end = lines.findIndex(l => l.trim() === '# END generated');
if (begin < 0 || end < begin) {
  throw new Error(`${file}: no "# BEGIN generated" ... "# END generated" lines`);
}
// The comment lines under BEGIN stay; what follows them is replaced.
let body = begin + 1;
while (body < end && lines[body].trim().startsWith('#')) body++;
const generated = YAML.stringify(schemas, { lineWidth: 0 })
  .trimEnd()
  .split('\n')
  .map(l => `    ${l}`);
lines.splice(body, end - body, ...generated);
fs.writeFileSync(file, lines.join('\n'));
