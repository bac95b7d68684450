import type { UrlReaderService } from '@backstage/backend-plugin-api';
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
};

/** Reads the code of consumers. */
export interface ConsumerSources {
  /** The consumer's code, or undefined when the entity says nowhere where it is. */
  read(entity: Entity): Promise<ConsumerCode | undefined>;
}

// What the engine reads, as the CLI walks folders.
const CODE_FILE = /\.(sql|py|java|scala)$/;
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

/** {@link ConsumerSources} through Backstage's UrlReaderService (every SCM integration). */
export class UrlReaderConsumerSources implements ConsumerSources {
  constructor(private readonly urlReader: UrlReaderService) {}

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
    const tree = await this.urlReader.readTree(location, {
      filter: file =>
        CODE_FILE.test(file) &&
        !file
          .split('/')
          .some(part => part.startsWith('.') || SKIPPED_FOLDERS.has(part)) &&
        (globs.length === 0 || globs.some(glob => minimatch(file, glob))),
    });
    const files = await Promise.all(
      (
        await tree.files()
      ).map(async file => ({
        path: file.path,
        text: (await file.content()).toString('utf8'),
      })),
    );
    files.sort((a, b) => a.path.localeCompare(b.path));
    const dialect = annotations[ANNOTATION_RIPPLE_DIALECT] as
      | Dialect
      | undefined;
    return { location, ...(dialect ? { dialect } : {}), files };
  }
}
