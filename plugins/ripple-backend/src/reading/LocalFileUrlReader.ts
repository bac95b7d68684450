import {
  RootConfigService,
  UrlReaderService,
  UrlReaderServiceReadTreeOptions,
  UrlReaderServiceReadTreeResponse,
  UrlReaderServiceReadUrlResponse,
  UrlReaderServiceSearchResponse,
} from '@backstage/backend-plugin-api';
import {
  ReaderFactory,
  ReadTreeResponseFactory,
  ReadUrlResponseFactory,
} from '@backstage/backend-defaults/urlReader';
import { NotAllowedError, NotModifiedError } from '@backstage/errors';
import { globMatcher } from '@ripple/backstage-plugin-ripple-common';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Reads `file:` URLs, but only below the local directories the config
 * explicitly allows, so that consumers whose code is on the backend's disk
 * (the example catalog, tests) are read through the UrlReaderService like any
 * repository.
 *
 * The allow list is Backstage's own `backend.reading.allow`: an entry with
 * `host: localhost` allows the directories in its `paths` (relative ones
 * resolved from the backend's working directory). Nothing is allowed
 * without such an entry.
 */
export class LocalFileUrlReader implements UrlReaderService {
  static factory: ReaderFactory = ({ config, treeResponseFactory }) => {
    const roots = allowedRoots(config);
    if (roots.length === 0) {
      return [];
    }
    const reader = new LocalFileUrlReader(roots, treeResponseFactory);
    return [{ reader, predicate: url => url.protocol === 'file:' }];
  };

  constructor(
    private readonly roots: string[],
    private readonly treeResponseFactory: ReadTreeResponseFactory,
  ) {}

  async read(url: string): Promise<Buffer> {
    return fs.promises.readFile(this.allowedPath(url));
  }

  async readUrl(url: string): Promise<UrlReaderServiceReadUrlResponse> {
    const file = this.allowedPath(url);
    const stat = await fs.promises.stat(file);
    return ReadUrlResponseFactory.fromReadable(fs.createReadStream(file), {
      etag: `${stat.size}-${stat.mtimeMs}`,
      lastModifiedAt: stat.mtime,
    });
  }

  async readTree(
    url: string,
    options?: UrlReaderServiceReadTreeOptions,
  ): Promise<UrlReaderServiceReadTreeResponse> {
    const dir = this.allowedPath(url);
    const files = await walk(dir, options?.filter);
    // The etag changes when a file is added, removed or modified.
    const hash = createHash('sha256');
    for (const file of files) {
      hash.update(`${file.path}\0${file.size}\0${file.mtimeMs}\0`);
    }
    const etag = hash.digest('hex');
    if (options?.etag === etag) {
      throw new NotModifiedError();
    }
    const response = await this.treeResponseFactory.fromReadableArray(
      files.map(file => ({
        data: fs.createReadStream(path.join(dir, file.path)),
        path: file.path,
        lastModifiedAt: new Date(file.mtimeMs),
      })),
    );
    return Object.assign(response, { etag });
  }

  async search(url: string): Promise<UrlReaderServiceSearchResponse> {
    // The URL's path is a glob; the directory before its first pattern
    // character is walked.
    const pattern = fileURLToPath(url);
    const parts = pattern.split('/');
    const fixed = parts.findIndex(part => /[*?[{]/.test(part));
    const base =
      fixed === -1 ? path.dirname(pattern) : parts.slice(0, fixed).join('/');
    const dir = this.allowed(base);
    const matches = globMatcher(pattern);
    const files = await walk(dir);
    return {
      etag: '',
      files: files
        .map(file => ({ ...file, absolute: path.join(dir, file.path) }))
        .filter(file => matches(file.absolute))
        .map(file => ({
          url: pathToFileURL(file.absolute).href,
          content: () => fs.promises.readFile(file.absolute),
          lastModifiedAt: new Date(file.mtimeMs),
        })),
    };
  }

  toString() {
    return `local files{roots=${this.roots.join(',')}}`;
  }

  /** The URL's path, if it is (after following links) below an allowed root. */
  private allowedPath(url: string): string {
    return this.allowed(fileURLToPath(url), url);
  }

  private allowed(
    localPath: string,
    url = pathToFileURL(localPath).href,
  ): string {
    const target = path.resolve(localPath);
    let real: string;
    try {
      real = fs.realpathSync(target);
    } catch {
      real = target;
    }
    if (!this.roots.some(root => isWithin(real, root))) {
      throw new NotAllowedError(
        `Reading ${url} is not allowed: add its directory to backend.reading.allow (host: localhost, paths)`,
      );
    }
    return real;
  }
}

function allowedRoots(config: RootConfigService): string[] {
  return (config.getOptionalConfigArray('backend.reading.allow') ?? [])
    .filter(entry => entry.getString('host') === 'localhost')
    .flatMap(entry => entry.getOptionalStringArray('paths') ?? [])
    .map(root => {
      const resolved = path.resolve(root);
      try {
        return fs.realpathSync(resolved);
      } catch {
        return resolved;
      }
    });
}

function isWithin(target: string, root: string): boolean {
  const relative = path.relative(root, target);
  return (
    relative === '' ||
    (!relative.startsWith('..') && !path.isAbsolute(relative))
  );
}

type WalkedFile = { path: string; size: number; mtimeMs: number };

/** Files below `dir`, relative and sorted, hidden folders left out. */
async function walk(
  dir: string,
  filter?: UrlReaderServiceReadTreeOptions['filter'],
): Promise<WalkedFile[]> {
  const found: WalkedFile[] = [];
  async function visit(relative: string) {
    const entries = await fs.promises.readdir(path.join(dir, relative), {
      withFileTypes: true,
    });
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.')) {
          await visit(child);
        }
      } else if (entry.isFile()) {
        const stat = await fs.promises.stat(path.join(dir, child));
        if (!filter || filter(child, { size: stat.size })) {
          found.push({ path: child, size: stat.size, mtimeMs: stat.mtimeMs });
        }
      }
    }
  }
  await visit('');
  return found.sort((a, b) => a.path.localeCompare(b.path));
}
