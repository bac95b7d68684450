// Checks the packed tarballs as a portal will get them: every file the
// package.json points to (main, module, types, every export and typesVersions
// target) is in the tarball, no dependency keeps a workspace-only protocol,
// and each .wasm file is a WebAssembly module. Prints each package's size.
//
// Usage: node check-tarballs.mjs DIR...  (each DIR holds *.tgz; exits 1 on a problem)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tarballFiles } from './tarball.mjs';

const problems = [];
const rows = [];
function targets(value) {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(targets);
  if (value && typeof value === 'object') return Object.values(value).flatMap(targets);
  return [];
}
for (const dir of process.argv.slice(2)) {
  for (const file of readdirSync(dir).filter(f => f.endsWith('.tgz')).sort()) {
    const tgz = readFileSync(join(dir, file));
    const files = tarballFiles(tgz);
    const manifest = JSON.parse(files.get('package/package.json').toString('utf8'));
    const where = `${dir}/${file}`;
    const pointed = [
      manifest.main, manifest.module, manifest.types, manifest.configSchema,
      ...targets(manifest.exports), ...targets(manifest.typesVersions),
    ].filter(t => typeof t === 'string' && !t.includes('*'));
    for (const target of new Set(pointed)) {
      if (target.startsWith('@')) continue; // a `backstage` export condition's feature type
      const path = `package/${target.replace(/^\.\//, '')}`;
      if (!files.has(path)) problems.push(`${where}: package.json points to ${target}, which is not packed`);
    }
    for (const kind of ['dependencies', 'peerDependencies']) {
      for (const [name, range] of Object.entries(manifest[kind] ?? {})) {
        if (/^(workspace|link|file|portal):/.test(range)) problems.push(`${where}: ${kind} ${name}@${range}`);
      }
    }
    for (const [path, contents] of files) {
      if (path.endsWith('.wasm') && !WebAssembly.validate(contents)) problems.push(`${where}: ${path} is not valid WebAssembly`);
    }
    const unpacked = [...files.values()].reduce((sum, f) => sum + f.length, 0);
    rows.push(`${manifest.name}@${manifest.version} (${dir.split('/').pop()}): ${(statSync(join(dir, file)).size / 1024).toFixed(1)} KiB packed, ${(unpacked / 1024).toFixed(1)} KiB unpacked, ${files.size} files`);
  }
}
console.log(rows.join('\n'));
if (problems.length) {
  console.error(`Tarballs not fit to install:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
