// Reads npm tarballs (a tar archive in gzip) without unpacking them.
import { gunzipSync } from 'node:zlib';

/** Every file of the tarball: path inside the archive -> contents. */
export function tarballFiles(tgz) {
  const tar = gunzipSync(tgz);
  const files = new Map();
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const name = tar.subarray(offset, offset + 100).toString('utf8').replace(/\0.*$/s, '');
    if (!name) break;
    const prefix = tar.subarray(offset + 345, offset + 500).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(tar.subarray(offset + 124, offset + 136).toString('utf8').replace(/\0/g, '').trim() || '0', 8);
    files.set(prefix ? `${prefix}/${name}` : name, tar.subarray(offset + 512, offset + 512 + size));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** The package.json packed in the tarball. */
export function tarballManifest(tgz) {
  const manifest = tarballFiles(tgz).get('package/package.json');
  if (!manifest) throw new Error('no package/package.json in the tarball');
  return JSON.parse(manifest.toString('utf8'));
}
