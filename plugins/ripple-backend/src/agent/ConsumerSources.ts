import type { UrlReaderService } from '@backstage/backend-plugin-api';
import { InputError, NotModifiedError } from '@backstage/errors';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  codeLocation,
  dbtSources,
  globMatcher,
  isConsumerCodeFile,
  isDbtProject,
  isDbtProjectFile,
  isDbtPropertiesFile,
  type DbtSource,
} from '@ripple/backstage-plugin-ripple-common';
import type { Dialect } from '@ripple/engine';
import {
  isReadDbtCompiledFile,
  isReadDbtProjectFile,
} from '../dbt/projectFiles';

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
  /** Its code: what the engine analyses and rewrites. */
  files: SourceFile[];
  /**
   * Its dbt property files (`.yml`, `.yaml` but `dbt_project.yml`): the
   * patch rewrites their relationships tests, unit test fixtures,
   * exposures, metrics and semantic models that follow the dataset.
   */
  properties?: SourceFile[];
  /** The dbt sources its property files declare (a dbt project only). */
  dbtSources?: DbtSource[];
  /**
   * When its code location is a dbt project (a `dbt_project.yml` at its
   * root): every file of the project the engine's `projectSchema` reads
   * (models, property files, seeds, `target/manifest.json` and
   * `target/catalog.json`), whatever `ripple.io/paths` narrows `files` to.
   */
  project?: SourceFile[];
  /**
   * dbt's compiled SQL of its models (`target/compiled/<project>/...`),
   * when its code location is a dbt project that holds them: validation
   * runs a model from it. Not part of the code's hash: compiling again
   * changes no patch.
   */
  compiled?: SourceFile[];
};

/** Reads the code of consumers. */
export interface ConsumerSources {
  /** The consumer's code, or undefined when the entity says nowhere where it is. */
  read(entity: Entity): Promise<ConsumerCode | undefined>;
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
    // Matched in linear time (minimatch backtracks exponentially on a
    // hostile glob, and this runs on every file of the repository).
    let matchers: Array<(path: string) => boolean>;
    try {
      matchers = globs.map(globMatcher);
    } catch (error) {
      throw new InputError(
        `${stringifyEntityRef(
          entity,
        )}: annotation ${ANNOTATION_RIPPLE_PATHS}: ${(error as Error).message}`,
      );
    }
    const dialect = annotations[ANNOTATION_RIPPLE_DIALECT] as
      | Dialect
      | undefined;
    const key = `${location}\0${globs.join(',')}`;
    const cached = this.cache.get(key);
    let tree;
    try {
      tree = await this.urlReader.readTree(location, {
        etag: cached?.etag,
        // Code outside `ripple.io/paths` is read only as part of a dbt
        // project, which is read whole.
        filter: (file, info) =>
          isConsumerCodeFile(file)
            ? matchers.length === 0 ||
              matchers.some(match => match(file)) ||
              file.endsWith('.sql')
            : isDbtPropertiesFile(file) ||
              isReadDbtProjectFile(file, info) ||
              isReadDbtCompiledFile(file, info),
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
    all.sort((a, b) => a.path.localeCompare(b.path));
    const files = all.filter(
      file =>
        isConsumerCodeFile(file.path) &&
        (matchers.length === 0 || matchers.some(match => match(file.path))),
    );
    const properties = all.filter(
      file => isDbtPropertiesFile(file.path) && !isDbtProject([file]),
    );
    const sources = dbtSources(properties);
    const project = isDbtProject(all)
      ? all.filter(file => isDbtProjectFile(file.path))
      : [];
    const compiled = project.length
      ? all.filter(file => isReadDbtCompiledFile(file.path))
      : [];
    const code: ConsumerCode = {
      location,
      ...(dialect ? { dialect } : {}),
      files,
      ...(properties.length ? { properties } : {}),
      ...(sources.length ? { dbtSources: sources } : {}),
      ...(project.length ? { project } : {}),
      ...(compiled.length ? { compiled } : {}),
    };
    if (tree.etag) {
      // (A file kept twice, as code and in the project, is one string.)
      const kept = new Set([...files, ...properties, ...project, ...compiled]);
      const bytes = [...kept].reduce((sum, f) => sum + f.text.length, 0);
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
