// A read-only npm registry for Ripple's packed tarballs, so a portal installs
// them with the plain `yarn add @ripple/...` of the README, as it would from
// npm once they are published. Only the @ripple scope is routed here (the
// portal's .yarnrc.yml `npmScopes`); everything else comes from the real
// registry.
//
// Usage: node registry.mjs TARBALL_DIR PORT_FILE
// Serves every *.tgz of TARBALL_DIR and writes the port it listens on to
// PORT_FILE once it is ready.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { tarballManifest } from './tarball.mjs';

const [dir, portFile] = process.argv.slice(2);
if (!dir || !portFile) {
  console.error('usage: node registry.mjs TARBALL_DIR PORT_FILE');
  process.exit(2);
}

const packages = new Map(); // name -> { versions: { [v]: manifest }, files: { [file]: Buffer } }
for (const file of readdirSync(dir).filter(f => f.endsWith('.tgz'))) {
  const tgz = readFileSync(join(dir, file));
  const packedAt = statSync(join(dir, file)).mtime.toISOString();
  const manifest = tarballManifest(tgz);
  const entry = packages.get(manifest.name) ?? { versions: {}, files: {}, time: {} };
  entry.time[manifest.version] = packedAt;
  entry.files[file] = tgz;
  entry.versions[manifest.version] = {
    ...manifest,
    _file: file,
    dist: {
      shasum: createHash('sha1').update(tgz).digest('hex'),
      integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`,
    },
  };
  packages.set(manifest.name, entry);
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const path = decodeURIComponent(url.pathname).replace(/^\//, '');
  const send = (status, body, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  // Tarballs: /-/files/<file>
  if (path.startsWith('-/files/')) {
    const file = path.slice('-/files/'.length);
    for (const entry of packages.values()) {
      if (entry.files[file]) return send(200, entry.files[file], 'application/octet-stream');
    }
    return send(404, JSON.stringify({ error: `no tarball ${file}` }));
  }
  const entry = packages.get(path);
  if (!entry) return send(404, JSON.stringify({ error: `no package ${path} here` }));
  const origin = `http://${req.headers.host}`;
  const versions = Object.fromEntries(
    Object.entries(entry.versions).map(([v, { _file, ...manifest }]) => [
      v,
      { ...manifest, dist: { ...manifest.dist, tarball: `${origin}/-/files/${_file}` } },
    ]),
  );
  const latest = Object.keys(versions).sort().pop();
  // `time` as npm gives it: yarn's npmMinimalAgeGate reads it (the portal
  // pre-approves @ripple/*, as anyone taking a fresh release must).
  const time = { created: Object.values(entry.time).sort()[0], ...entry.time };
  return send(200, JSON.stringify({ name: path, 'dist-tags': { latest }, versions, time }));
});

server.listen(0, () => {
  writeFileSync(portFile, String(server.address().port));
  console.error(
    `registry on :${server.address().port}: ${[...packages.keys()].join(', ')}`,
  );
});
