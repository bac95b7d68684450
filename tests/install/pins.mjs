// The Backstage release a fresh portal is pinned to: the versions of every
// `@backstage/*` package that the dev portal's yarn.lock resolves (Backstage
// 1.52, the release Ripple is built and tested against).
//
// Why: `@backstage/create-app` writes ranges (`^0.3.16`), not versions, and
// the template's portal has no lockfile, so a fresh portal takes whatever the
// registry holds on the day. Plugins published after the release do not
// always fit the rest of it (`@backstage/plugin-signals-backend` 0.3.21 needs
// an `httpRouter.addWebSocketHandler` that the 1.52 `backend-defaults` does
// not have, and the backend fails at start). The install test must prove
// Ripple's install lines, not the registry's state, so its portals take the
// release the dev portal runs. Backstage's release manifest, which
// `backstage-cli versions:bump` reads, cannot be downloaded here, so the
// lockfile is the record of that release.
//
// Usage: node pins.mjs YARN_LOCK   prints the resolutions as JSON
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSyml } from '@yarnpkg/parsers';

const SCOPE = '@backstage/';

/**
 * Yarn `resolutions` that pin each `@backstage/*` package to the version the
 * lockfile resolves. A package locked at one version is pinned by its name;
 * one locked at several (different ranges asked by different dependents) is
 * pinned per range, as the lockfile does (`@backstage/ui@npm:^0.9.0`), so that
 * each dependent keeps the version it was tested with.
 */
export function backstageResolutions(lockText) {
  const lock = parseSyml(lockText);
  /** name -> Map(version -> ranges) */
  const byName = new Map();
  for (const [key, entry] of Object.entries(lock)) {
    if (key === '__metadata' || typeof entry?.version !== 'string') continue;
    for (const descriptor of key.split(/\s*,\s*/)) {
      const at = descriptor.indexOf('@', 1);
      const name = descriptor.slice(0, at);
      const range = descriptor.slice(at + 1);
      // Only registry packages: workspaces and patches are the portal's own.
      if (!name.startsWith(SCOPE) || !range.startsWith('npm:')) continue;
      const versions = byName.get(name) ?? new Map();
      byName.set(name, versions);
      const ranges = versions.get(entry.version) ?? [];
      versions.set(entry.version, ranges);
      ranges.push(range);
    }
  }
  const resolutions = {};
  for (const [name, versions] of [...byName].sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    if (versions.size === 1) {
      resolutions[name] = [...versions.keys()][0];
      continue;
    }
    for (const [version, ranges] of versions) {
      for (const range of ranges) resolutions[`${name}@${range}`] = version;
    }
  }
  return resolutions;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [lockfile] = process.argv.slice(2);
  console.log(
    JSON.stringify(
      backstageResolutions(readFileSync(lockfile, 'utf8')),
      null,
      2,
    ),
  );
}
