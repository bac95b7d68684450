// Checks that every published package (plugins/* and packages/engine) is fit
// to publish, before it is packed: complete metadata, no dependency on a
// package that is not published, and every config key the plugins read
// declared in a config schema.
//
// Usage: node check-packages.mjs  (from the repository root; exits 1 on a problem)
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_URL = 'https://github.com/ripple-data/ripple';

/** The published packages' folders: every plugin, and the engine. */
export function publishedPackageDirs(root = '.') {
  return [
    ...readdirSync(join(root, 'plugins')).map(d => `plugins/${d}`),
    'packages/engine',
  ].filter(dir => existsSync(join(root, dir, 'package.json')));
}

const problems = [];
const problem = (dir, message) => problems.push(`${dir}: ${message}`);
const read = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

const dirs = publishedPackageDirs();
const manifests = new Map(dirs.map(dir => [dir, read(dir)]));
const published = new Set([...manifests.values()].map(p => p.name));
const workspaceOnly = new Set(
  ['packages/app', 'packages/backend'].filter(d => existsSync(join(d, 'package.json'))).map(d => read(d).name),
);

for (const [dir, pkg] of manifests) {
  if (pkg.private) problem(dir, 'is private');
  for (const field of ['name', 'version', 'description', 'license', 'files', 'exports']) {
    if (!pkg[field]) problem(dir, `no "${field}"`);
  }
  if (pkg.repository?.url !== REPO_URL || pkg.repository?.directory !== dir) {
    problem(dir, `"repository" must be { url: ${REPO_URL}, directory: ${dir} }`);
  }
  if (pkg.publishConfig?.access !== 'public') problem(dir, 'publishConfig.access must be public (a scoped package)');
  const isPlugin = dir.startsWith('plugins/');
  if (isPlugin) {
    if (!pkg.backstage?.role) problem(dir, 'no backstage.role');
    if (!pkg.backstage?.pluginId) problem(dir, 'no backstage.pluginId');
    if (!pkg.scripts?.prepack?.includes('backstage-cli package prepack')) {
      problem(dir, 'prepack must be backstage-cli package prepack (it points exports at dist/)');
    }
    // Subpath exports need typesVersions for TypeScript's node module resolution.
    for (const subpath of Object.keys(pkg.exports ?? {}).filter(k => k !== '.' && k !== './package.json')) {
      if (!pkg.typesVersions?.['*']?.[subpath.slice(2)]) problem(dir, `export ${subpath} has no typesVersions entry`);
    }
  }
  if (pkg.backstage?.role === 'frontend-plugin') {
    for (const peer of ['react', 'react-dom', 'react-router-dom']) {
      if (!pkg.peerDependencies?.[peer]) problem(dir, `no peerDependency on ${peer}`);
    }
    if (pkg.dependencies?.react) problem(dir, 'react must be a peerDependency, not a dependency');
  }
  if (pkg.backstage?.role?.startsWith('backend-')) {
    if (!pkg.peerDependencies?.['@backstage/backend-plugin-api']) {
      problem(dir, 'no peerDependency on @backstage/backend-plugin-api');
    }
  }
  for (const kind of ['dependencies', 'peerDependencies']) {
    for (const [name, range] of Object.entries(pkg[kind] ?? {})) {
      if (workspaceOnly.has(name)) problem(dir, `${kind}: ${name} is not published`);
      if (/^(workspace|link|file|portal):/.test(range)) {
        problem(dir, `${kind}: ${name}@${range} (npm pack keeps this protocol; use a semver range)`);
      }
      if (name.startsWith('@ripple/') && !published.has(name)) problem(dir, `${kind}: ${name} is not a package of this repository`);
    }
  }
  if (!existsSync(join(dir, 'CHANGELOG.md'))) problem(dir, 'no CHANGELOG.md');
  if (existsSync(join(dir, 'config.d.ts')) && pkg.configSchema !== 'config.d.ts') {
    problem(dir, 'has config.d.ts but no "configSchema": "config.d.ts"');
  }
}

// Every config key read with a literal path (config.getOptionalString('a.b'))
// must be declared in the reading package's config.d.ts. Keys of Backstage's
// own (backend.*, app.*, ...) are declared by Backstage.
const ownKey = /^ripple\./;
const readsConfig = /\.(?:get|getOptional)(?:String|Number|Boolean|Config|ConfigArray|StringArray)?\(\s*'([^']+)'/g;
function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'generated' && entry.name !== '__testUtils__') yield* sourceFiles(path);
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) yield path;
  }
}
/** The dotted paths a config.d.ts declares (nested object literal types). */
function declaredKeys(schema) {
  const keys = new Set();
  const stack = [];
  const body = schema.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  for (const token of body.matchAll(/([A-Za-z_$][\w$]*)\??\s*:\s*(\{)?|(\{)|(\})/g)) {
    const [, key, opens, bare, close] = token;
    if (key) {
      const path = [...stack, key].filter(Boolean).join('.');
      keys.add(path);
      if (opens) stack.push(key);
    } else if (bare) stack.push(null);
    else if (close) stack.pop();
  }
  return keys;
}
for (const dir of dirs.filter(d => existsSync(join(d, 'src')))) {
  const declared = existsSync(join(dir, 'config.d.ts'))
    ? declaredKeys(readFileSync(join(dir, 'config.d.ts'), 'utf8'))
    : new Set();
  for (const file of sourceFiles(join(dir, 'src'))) {
    for (const [, key] of readFileSync(file, 'utf8').matchAll(readsConfig)) {
      if (!ownKey.test(key)) continue;
      if (![...declared].some(d => d === key || d.endsWith(`.${key}`) || d === `Config.${key}`)) {
        problem(dir, `${file} reads config key ${key}, which its config.d.ts does not declare`);
      }
    }
  }
}

if (problems.length) {
  console.error(`Packages not fit to publish:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.error(`packages fit to publish: ${[...published].join(', ')}`);
