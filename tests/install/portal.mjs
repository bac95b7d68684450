// Prepares a portal fresh from `@backstage/create-app` for this machine and
// for Ripple's packed tarballs, before the README's lines are applied:
// - the registry resolutions Ripple's own portal needs (the root
//   package.json's `resolutions`), since the npm registry reachable here
//   lacks some versions the template asks for;
// - without the template's backend plugins that cannot install here (the
//   dev portal left them out too, README "What they need");
// - the @ripple scope routed to the local registry of the packed tarballs,
//   and pre-approved past the template's npmMinimalAgeGate (they are minutes old).
//
// Usage: node portal.mjs REPO_ROOT PORTAL_DIR REGISTRY_URL
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Template backend plugins whose versions the registry here cannot resolve. */
export const DROPPED_BACKEND_PLUGINS = [
  '@backstage/plugin-kubernetes-backend',
  '@backstage/plugin-mcp-actions-backend',
];

const [root, portal, registry] = process.argv.slice(2);
const json = path => JSON.parse(readFileSync(path, 'utf8'));
const writeJson = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

const rootPkg = json(join(root, 'package.json'));
const portalPkgPath = join(portal, 'package.json');
const portalPkg = json(portalPkgPath);
portalPkg.resolutions = { ...portalPkg.resolutions, ...rootPkg.resolutions };
writeJson(portalPkgPath, portalPkg);

const backendPkgPath = join(portal, 'packages/backend/package.json');
const backendPkg = json(backendPkgPath);
const indexPath = join(portal, 'packages/backend/src/index.ts');
let index = readFileSync(indexPath, 'utf8');
for (const name of DROPPED_BACKEND_PLUGINS) {
  delete backendPkg.dependencies[name];
  // `backend.add(import('name'));`, possibly over several lines.
  const line = new RegExp(`^backend\\.add\\(\\s*import\\('${name.replace(/[/.]/g, '\\$&')}'\\),?\\s*\\);\\n`, 'm');
  if (!line.test(index)) throw new Error(`packages/backend/src/index.ts does not add ${name}`);
  index = index.replace(line, '');
}
writeJson(backendPkgPath, backendPkg);
writeFileSync(indexPath, index);

const yarnrcPath = join(portal, '.yarnrc.yml');
let yarnrc = readFileSync(yarnrcPath, 'utf8');
yarnrc = yarnrc.replace(/^npmPreapprovedPackages:\n/m, `$&  - '@ripple/*'\n`);
yarnrc += `\nnpmScopes:\n  ripple:\n    npmRegistryServer: '${registry}'\n`;
writeFileSync(yarnrcPath, yarnrc);
console.error(`${portal}: resolutions, ${DROPPED_BACKEND_PLUGINS.join(' and ')} left out, @ripple from ${registry}`);
