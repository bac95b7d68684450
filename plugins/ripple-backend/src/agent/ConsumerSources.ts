import type { UrlReaderService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import {
  codeLocation,
  isConsumerCodeFile,
} from '@ripple/backstage-plugin-ripple-common';
import type { Dialect } from '@ripple/engine';
import { minimatch } from 'minimatch';

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
        isConsumerCodeFile(file) &&
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
