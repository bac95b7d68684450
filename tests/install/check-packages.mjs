// Checks that every published package (plugins/* and packages/engine) is fit
// to publish, before it is packed: complete metadata, no dependency on a
// package that is not published, and every config key the plugins read
// declared in a config schema.
//
// Usage: node check-packages.mjs [--fix]  (from the repository root; exits 1
// on a problem). --fix first makes the mechanical fixes (see fix()).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_URL = 'https://github.com/ripple-data/ripple';

/** The published packages' folders: every plugin, and the engine. */
export function publishedPackageDirs(root = '.') {
  return [
    ...readdirSync(join(root, 'plugins')).map(d => `plugins/${d}`),
    'packages/engine',
  ].filter(dir => existsSync(join(root, dir, 'package.json')));
}

// What the frontend plugin supports: @backstage/ui, which it renders with,
// needs React 18 and react-router-dom 6.30.
const FRONTEND_PEERS = {
  react: '^18.0.0',
  'react-dom': '^18.0.0',
  'react-router-dom': '^6.30.2',
};
/** @backstage packages the host provides, one copy for the whole app or backend. */
const HOST_PEERS = {
  'frontend-plugin': ['@backstage/core-plugin-api'],
  'backend-plugin': ['@backstage/backend-plugin-api'],
  'backend-plugin-module': ['@backstage/backend-plugin-api'],
  'node-library': ['@backstage/backend-plugin-api'],
};

/**
 * The mechanical part of making a package fit to publish, for a package that
 * was created private (`backstage-cli new`) or merged in since: run with
 * --fix, then `yarn backstage-cli repo fix --publish` and `yarn install`.
 */
function fix(dir, pkg, versions) {
  delete pkg.private;
  pkg.license ??= 'Apache-2.0';
  pkg.repository = { type: 'git', url: REPO_URL, directory: dir };
  pkg.homepage ??= `${REPO_URL}#readme`;
  pkg.bugs ??= { url: `${REPO_URL}/issues` };
  pkg.publishConfig = { access: 'public' };
  if (!pkg.exports && pkg.main === 'src/index.ts') {
    pkg.exports = { '.': './src/index.ts', './package.json': './package.json' };
    pkg.typesVersions = { '*': { 'package.json': ['package.json'] } };
  }
  for (const kind of ['dependencies', 'peerDependencies']) {
    for (const [name, range] of Object.entries(pkg[kind] ?? {})) {
      if (/^workspace:/.test(range) && versions.has(name)) pkg[kind][name] = `^${versions.get(name)}`;
      // An exact @backstage pin is the workspace's registry workaround
      // (root resolutions), not what the package needs.
      if (name.startsWith('@backstage/') && /^\d/.test(range)) pkg[kind][name] = `^${range}`;
    }
  }
  const role = pkg.backstage?.role;
  const peers = { ...(role === 'frontend-plugin' ? FRONTEND_PEERS : {}) };
  for (const name of HOST_PEERS[role] ?? []) {
    const range = pkg.peerDependencies?.[name] ?? pkg.dependencies?.[name] ?? pkg.devDependencies?.[name];
    if (range) peers[name] = range;
  }
  for (const [name, range] of Object.entries(peers)) {
    const inDeps = pkg.dependencies?.[name];
    if (inDeps) delete pkg.dependencies[name];
    const supported = FRONTEND_PEERS[name] && role === 'frontend-plugin' ? range : undefined;
    pkg.peerDependencies = { ...pkg.peerDependencies, [name]: supported ?? pkg.peerDependencies?.[name] ?? range };
    pkg.devDependencies = { ...pkg.devDependencies, [name]: pkg.devDependencies?.[name] ?? inDeps ?? range.split(' || ').pop() };
  }
  if (role === 'frontend-plugin') {
    pkg.peerDependencies['@types/react'] = '^18.0.0';
    pkg.peerDependenciesMeta = { ...pkg.peerDependenciesMeta, '@types/react': { optional: true } };
  }
  for (const kind of ['dependencies', 'peerDependencies', 'devDependencies']) {
    if (pkg[kind]) pkg[kind] = Object.fromEntries(Object.entries(pkg[kind]).sort(([a], [b]) => a.localeCompare(b)));
  }
  const order = ['name', 'version', 'description', 'backstage', 'publishConfig', 'repository', 'homepage', 'bugs', 'license', 'keywords', 'sideEffects', 'main', 'module', 'types', 'exports', 'typesVersions', 'files', 'scripts', 'dependencies', 'peerDependencies', 'peerDependenciesMeta', 'devDependencies', 'configSchema'];
  const ordered = Object.fromEntries(order.filter(k => k in pkg).map(k => [k, pkg[k]]));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ ...ordered, ...pkg, ...ordered }, null, 2)}\n`);
  if (!existsSync(join(dir, 'CHANGELOG.md'))) writeFileSync(join(dir, 'CHANGELOG.md'), `# ${pkg.name}\n`);
}

const problems = [];
const problem = (dir, message) => problems.push(`${dir}: ${message}`);
const read = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

const dirs = publishedPackageDirs();
if (process.argv.includes('--fix')) {
  const versions = new Map(dirs.map(dir => [read(dir).name, read(dir).version]));
  for (const dir of dirs) fix(dir, read(dir), versions);
}
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
  console.error('(node tests/install/check-packages.mjs --fix, then yarn backstage-cli repo fix --publish, fixes the mechanical ones)');
  process.exit(1);
}
console.error(`packages fit to publish: ${[...published].join(', ')}`);
