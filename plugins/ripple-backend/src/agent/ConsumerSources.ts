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

/** Where an entity's code is and how Ripple reads it, from its annotations. */
export type ReadSpec = {
  /** Its code location (a URL). */
  location: string;
  /** The globs of `ripple.io/paths`; none: every file. */
  paths: string[];
  /** `ripple.io/dialect`, unchecked. */
  dialect?: string;
};

/** How an entity's code is read; undefined when it says nowhere where it is. */
export function readSpec(entity: Entity): ReadSpec | undefined {
  const location = codeLocation(entity);
  if (!location) {
    return undefined;
  }
  const annotations = entity.metadata.annotations ?? {};
  const paths = (annotations[ANNOTATION_RIPPLE_PATHS] ?? '')
    .split(',')
    .map(glob => glob.trim())
    .filter(Boolean);
  const dialect = annotations[ANNOTATION_RIPPLE_DIALECT];
  return { location, paths, ...(dialect ? { dialect } : {}) };
}

/**
 * Reads the code `spec` says, through Backstage's UrlReaderService (every
 * SCM integration). With `etag`, the reader first asks the SCM whether the
 * code changed, and throws `NotModifiedError` when it did not. Throws an
 * `InputError` naming the annotation when a glob cannot be matched safely.
 */
export async function readCode(
  urlReader: UrlReaderService,
  spec: ReadSpec,
  etag?: string,
): Promise<{ code: ConsumerCode; etag?: string }> {
  const filter = codeFilter(spec);
  const tree = await urlReader.readTree(spec.location, { etag, filter });
  const code = codeFromFiles(spec, await treeFiles(tree));
  return { code, ...(tree.etag ? { etag: tree.etag } : {}) };
}

/** A tree's files as text, in path order. */
export async function treeFiles(tree: {
  files(): Promise<{ path: string; content(): Promise<Buffer> }[]>;
}): Promise<SourceFile[]> {
  const all = await Promise.all(
    (
      await tree.files()
    ).map(async file => ({
      path: file.path,
      text: (await file.content()).toString('utf8'),
    })),
  );
  return all.sort((a, b) => a.path.localeCompare(b.path));
}

/** `ripple.io/paths` as matchers, or an `InputError` naming the annotation. */
function pathMatchers(spec: ReadSpec): Array<(path: string) => boolean> {
  // Matched in linear time (minimatch backtracks exponentially on a
  // hostile glob, and this runs on every file of the repository).
  try {
    return spec.paths.map(globMatcher);
  } catch (error) {
    throw new InputError(
      `annotation ${ANNOTATION_RIPPLE_PATHS}: ${(error as Error).message}`,
    );
  }
}

/**
 * Which files of its code location a consumer's code needs (paths
 * relative to the location), as `readTree`'s filter. Throws an
 * `InputError` naming the annotation when a glob cannot be matched safely.
 */
export function codeFilter(
  spec: ReadSpec,
): (file: string, info?: { size: number }) => boolean {
  const matchers = pathMatchers(spec);
  // Code outside `ripple.io/paths` is read only as part of a dbt project,
  // which is read whole.
  return (file, info) =>
    isConsumerCodeFile(file)
      ? matchers.length === 0 ||
        matchers.some(match => match(file)) ||
        file.endsWith('.sql')
      : isDbtPropertiesFile(file) ||
        isReadDbtProjectFile(file, info) ||
        isReadDbtCompiledFile(file, info);
}

/**
 * A consumer's code from the files {@link codeFilter} kept, in path order
 * (paths relative to its code location).
 */
export function codeFromFiles(spec: ReadSpec, all: SourceFile[]): ConsumerCode {
  const matchers = pathMatchers(spec);
  const dialect = spec.dialect as Dialect | undefined;
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
  return {
    location: spec.location,
    ...(dialect ? { dialect } : {}),
    files,
    ...(properties.length ? { properties } : {}),
    ...(sources.length ? { dbtSources: sources } : {}),
    ...(project.length ? { project } : {}),
    ...(compiled.length ? { compiled } : {}),
  };
}

/** The characters of a consumer's code kept (a file kept twice is one string). */
export function codeSize(code: ConsumerCode): number {
  const kept = new Set([
    ...code.files,
    ...(code.properties ?? []),
    ...(code.project ?? []),
    ...(code.compiled ?? []),
  ]);
  return [...kept].reduce((sum, f) => sum + f.text.length, 0);
}

/**
 * {@link ConsumerSources} reading the SCM directly, through Backstage's
 * UrlReaderService. The code read last from each location is kept, up to
 * `cacheBytes`, with the reader's etag: reading it again asks the SCM whether
 * it changed (`NotModifiedError`) instead of downloading it. The backend
 * reads consumers from the consumer index instead (`consumerIndex/`), which
 * reads the SCM through {@link readCode} in the background; this one is for
 * tools and tests that need no index.
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
    const spec = readSpec(entity);
    if (!spec) {
      return undefined;
    }
    const key = `${spec.location}\0${spec.paths.join(',')}`;
    const cached = this.cache.get(key);
    let read;
    try {
      read = await readCode(this.urlReader, spec, cached?.etag);
    } catch (error) {
      if (cached && error instanceof NotModifiedError) {
        this.remember(key, cached);
        return {
          ...cached.code,
          ...(spec.dialect ? { dialect: spec.dialect as Dialect } : {}),
        };
      }
      if (error instanceof InputError) {
        throw new InputError(`${stringifyEntityRef(entity)}: ${error.message}`);
      }
      throw error;
    }
    const { code, etag } = read;
    if (etag) {
      this.remember(key, { etag, code, bytes: codeSize(code) });
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
