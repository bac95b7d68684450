// Prepares a portal fresh from `@backstage/create-app` for this machine and
// for Ripple's packed tarballs, before the README's lines are applied:
// - pinned to the Backstage release of the dev portal (pins.mjs: every
//   `@backstage/*` package at the version the dev portal's yarn.lock holds),
//   and started from that lockfile, so that the registry's newer releases
//   cannot change what the test installs;
// - the registry resolutions Ripple's own portal needs (the root
//   package.json's `resolutions`), since the npm registry reachable here
//   lacks some versions the template asks for;
// - the dev portal's ranges for the dependencies it shares with the template;
// - without the template's backend plugins that cannot install here (the
//   dev portal left them out too, README "What they need");
// - the @ripple scope routed to the local registry of the packed tarballs,
//   and pre-approved past the template's npmMinimalAgeGate (they are minutes old).
//
// Usage: node portal.mjs REPO_ROOT PORTAL_DIR REGISTRY_URL
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backstageResolutions } from './pins.mjs';

/** Template backend plugins whose versions the registry here cannot resolve. */
export const DROPPED_BACKEND_PLUGINS = [
  '@backstage/plugin-kubernetes-backend',
  '@backstage/plugin-mcp-actions-backend',
];
/** The template's config sections for those plugins. */
export const DROPPED_CONFIG_SECTIONS = ['kubernetes', 'mcpActions'];
/**
 * Template frontend plugins the dev portal dropped: the Kubernetes frontend
 * needs the backend plugin above. Only where the app discovers it (new
 * frontend system); the legacy app's entity pages import it by name.
 */
export const DROPPED_DISCOVERED_FRONTEND_PLUGINS = [
  '@backstage/plugin-kubernetes',
];

const [root, portal, registry] = process.argv.slice(2);
const json = path => JSON.parse(readFileSync(path, 'utf8'));
const writeJson = (path, value) =>
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

const rootPkg = json(join(root, 'package.json'));
const portalPkgPath = join(portal, 'package.json');
const portalPkg = json(portalPkgPath);
const lockText = readFileSync(join(root, 'yarn.lock'), 'utf8');
const pins = backstageResolutions(lockText);
portalPkg.resolutions = {
  ...portalPkg.resolutions,
  ...pins,
  ...rootPkg.resolutions,
};
writeJson(portalPkgPath, portalPkg);
// Every other package the dev portal locks starts at its locked version too:
// yarn keeps a lockfile's entries for the ranges the portal still asks for and
// resolves only the rest (Ripple's packages, from the local registry).
writeFileSync(join(portal, 'yarn.lock'), lockText);

// The template's ranges are those of Backstage 1.52's release; the registry
// now serves newer minors of some packages (@backstage/frontend-defaults 0.5.6
// wants @backstage/frontend-plugin-api 0.18 while the template's app asks for
// 0.17, and the template's own `tsc` then fails). Take the dev portal's range
// for every dependency both have, as the dev portal had to.
for (const workspace of ['packages/app', 'packages/backend']) {
  const theirs = json(join(portal, workspace, 'package.json'));
  const ours = json(join(root, workspace, 'package.json'));
  for (const kind of ['dependencies', 'devDependencies']) {
    for (const name of Object.keys(theirs[kind] ?? {})) {
      const range = ours.dependencies?.[name] ?? ours.devDependencies?.[name];
      if (range && !/^(workspace|link):/.test(range))
        theirs[kind][name] = range;
    }
  }
  if (
    workspace === 'packages/app' &&
    theirs.dependencies['@backstage/app-defaults'] === undefined
  ) {
    for (const name of DROPPED_DISCOVERED_FRONTEND_PLUGINS)
      delete theirs.dependencies[name];
  }
  writeJson(join(portal, workspace, 'package.json'), theirs);
}

const backendPkgPath = join(portal, 'packages/backend/package.json');
const backendPkg = json(backendPkgPath);
const indexPath = join(portal, 'packages/backend/src/index.ts');
let index = readFileSync(indexPath, 'utf8');
for (const name of DROPPED_BACKEND_PLUGINS) {
  delete backendPkg.dependencies[name];
  // `backend.add(import('name'));`, possibly over several lines.
  const line = new RegExp(
    `^backend\\.add\\(\\s*import\\('${name.replace(
      /[/.]/g,
      '\\$&',
    )}'\\),?\\s*\\);\\n`,
    'm',
  );
  if (!line.test(index))
    throw new Error(`packages/backend/src/index.ts does not add ${name}`);
  index = index.replace(line, '');
}
writeJson(backendPkgPath, backendPkg);
writeFileSync(indexPath, index);

// Their config sections go too: with the plugins' schemas gone,
// `config:check --strict` would refuse them as unknown keys.
const appConfigPath = join(portal, 'app-config.yaml');
let appConfig = readFileSync(appConfigPath, 'utf8');
for (const section of DROPPED_CONFIG_SECTIONS) {
  // The top-level key and everything indented under it.
  appConfig = appConfig.replace(
    new RegExp(`^${section}:.*\\n(?:(?:[ \\t].*|)\\n)*`, 'm'),
    '',
  );
}
writeFileSync(appConfigPath, appConfig);

const yarnrcPath = join(portal, '.yarnrc.yml');
let yarnrc = readFileSync(yarnrcPath, 'utf8');
yarnrc = yarnrc.replace(/^npmPreapprovedPackages:\n/m, `$&  - '@ripple/*'\n`);
yarnrc += `\nnpmScopes:\n  ripple:\n    npmRegistryServer: '${registry}'\nunsafeHttpWhitelist:\n  - localhost\n`;
writeFileSync(yarnrcPath, yarnrc);
console.error(
  `${portal}: ${
    Object.keys(pins).length
  } @backstage pins, the dev portal's lockfile, resolutions and the dev portal's ranges, ${DROPPED_BACKEND_PLUGINS.join(
    ' and ',
  )} left out, @ripple from ${registry}`,
);
