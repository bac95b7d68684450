import type { UrlReaderService } from '@backstage/backend-plugin-api';
import { NotModifiedError } from '@backstage/errors';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
  Entity,
  parseLocationRef,
} from '@backstage/catalog-model';
import type { Dialect } from '@ripple/engine';
import { minimatch } from 'minimatch';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DbtSource, dbtSources } from './dbtSources';

/** Narrows the files Ripple reads: comma-separated globs, relative to the code location. */
export const ANNOTATION_RIPPLE_PATHS = 'ripple.io/paths';
/** The dialect of the consumer's SQL, when it is not the change spec's. */
export const ANNOTATION_RIPPLE_DIALECT = 'ripple.io/dialect';

/** One file of a consumer, its path relative to the code location. */
export type SourceFile = { path: string; text: string };

/** A consumer's code, as the engine reads it. */
export type ConsumerCode = {
  /** Where it was read from (a URL). */
  location: string;
  dialect?: Dialect;
  files: SourceFile[];
  /** The dbt sources its `sources.yml` files declare (a dbt project only). */
  dbtSources?: DbtSource[];
};

/** Reads the code of consumers. */
export interface ConsumerSources {
  /** The consumer's code, or undefined when the entity says nowhere where it is. */
  read(entity: Entity): Promise<ConsumerCode | undefined>;
}

// What the engine reads, as the CLI walks folders.
const CODE_FILE = /\.(sql|py|java|scala)$/;
// dbt's property files, where sources map names to warehouse tables.
const DBT_PROPERTIES_FILE = /\.ya?ml$/;
const SKIPPED_FOLDERS = new Set(['node_modules', 'target', 'dbt_packages']);

/**
 * The code location of an entity: its `backstage.io/source-location`, or,
 * for an entity registered from a local `catalog-info.yaml` (the file
 * Backstage expects at the root of a component's repository), that file's
 * folder, as a `file:` URL read only where `backend.reading.allow` allows
 * it. Entities from other files (a list of datasets, say) have no code there.
 */
export function codeLocation(entity: Entity): string | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const source = annotations[ANNOTATION_SOURCE_LOCATION];
  if (source) {
    const { type, target } = parseLocationRef(source);
    return type === 'url' ? target : undefined;
  }
  const managedBy = annotations[ANNOTATION_LOCATION];
  if (managedBy) {
    const { type, target } = parseLocationRef(managedBy);
    if (
      type === 'file' &&
      /^catalog-info\.ya?ml$/.test(path.basename(target))
    ) {
      return pathToFileURL(`${path.dirname(target)}/`).href;
    }
  }
  return undefined;
}

/**
 * {@link ConsumerSources} through Backstage's UrlReaderService (every SCM
 * integration). The code read last from each location is kept, up to
 * `cacheBytes`, with the reader's etag: reading it again asks the SCM whether
 * it changed (`NotModifiedError`) instead of downloading it, so the agent's
 * refreshes cost one small request per unchanged consumer.
 */
export class UrlReaderConsumerSources implements ConsumerSources {
  // Least recently read first (a Map keeps insertion order).
  private readonly cache = new Map<
    string,
    { etag: string; code: ConsumerCode; bytes: number }
  >();
  private cachedBytes = 0;

  constructor(
    private readonly urlReader: UrlReaderService,
    private readonly options: { cacheBytes?: number } = {},
  ) {}

  async read(entity: Entity): Promise<ConsumerCode | undefined> {
    const location = codeLocation(entity);
    if (!location) {
      return undefined;
    }
    const annotations = entity.metadata.annotations ?? {};
    const globs = (annotations[ANNOTATION_RIPPLE_PATHS] ?? '')
      .split(',')
      .map(glob => glob.trim())
      .filter(Boolean);
    const dialect = annotations[ANNOTATION_RIPPLE_DIALECT] as
      | Dialect
      | undefined;
    const key = `${location}\0${globs.join(',')}`;
    const cached = this.cache.get(key);
    let tree;
    try {
      tree = await this.urlReader.readTree(location, {
        etag: cached?.etag,
        filter: file =>
          !file
            .split('/')
            .some(part => part.startsWith('.') || SKIPPED_FOLDERS.has(part)) &&
          (DBT_PROPERTIES_FILE.test(file) ||
            (CODE_FILE.test(file) &&
              (globs.length === 0 ||
                globs.some(glob => minimatch(file, glob))))),
      });
    } catch (error) {
      if (cached && error instanceof NotModifiedError) {
        this.remember(key, cached);
        return { ...cached.code, ...(dialect ? { dialect } : {}) };
      }
      throw error;
    }
    const all = await Promise.all(
      (
        await tree.files()
      ).map(async file => ({
        path: file.path,
        text: (await file.content()).toString('utf8'),
      })),
    );
    const files = all
      .filter(file => CODE_FILE.test(file.path))
      .sort((a, b) => a.path.localeCompare(b.path));
    const sources = dbtSources(
      all.filter(file => DBT_PROPERTIES_FILE.test(file.path)),
    );
    const code: ConsumerCode = {
      location,
      ...(dialect ? { dialect } : {}),
      files,
      ...(sources.length ? { dbtSources: sources } : {}),
    };
    if (tree.etag) {
      const bytes = files.reduce((sum, f) => sum + f.text.length, 0);
      this.remember(key, { etag: tree.etag, code, bytes });
    }
    return code;
  }

  private remember(
    key: string,
    entry: { etag: string; code: ConsumerCode; bytes: number },
  ) {
    const limit = this.options.cacheBytes ?? 64 * 1024 * 1024;
    const previous = this.cache.get(key);
    if (previous) {
      this.cache.delete(key);
      this.cachedBytes -= previous.bytes;
    }
    if (entry.bytes > limit) {
      return;
    }
    this.cache.set(key, entry);
    this.cachedBytes += entry.bytes;
    for (const [oldest, { bytes }] of this.cache) {
      if (this.cachedBytes <= limit) {
        break;
      }
      this.cache.delete(oldest);
      this.cachedBytes -= bytes;
    }
  }
}
