import type { DbtSource } from '@ripple/backstage-plugin-ripple-common';
import type {
  ChangeSpec,
  Dialect,
  FileRewrite,
  RippleEngine,
  Schema,
  UnmatchedDataset,
} from '@ripple/engine';
import { changeForFile, sourceNames } from './dbtSources';
import { asChangeSpec, dialectOf } from './inputValues';
import { unmatched } from './unmatched';
import type { WorkspaceFile } from './workspace';

/** What a consumer's files are rewritten with. */
export type RewriteInput = {
  change: unknown;
  schema?: unknown;
  dialect?: Dialect;
};

const PROPERTIES_FILE = /\.ya?ml$/;

/** Whether a consumer file is a dbt property file rather than code. */
export function isPropertiesFile(file: { path: string }): boolean {
  return PROPERTIES_FILE.test(file.path);
}

/**
 * Rewrites every file in memory, as `ripple rewrite` does: the code first
 * (a dbt model that reads the dataset through a source with the source's
 * name), then the dbt property files, with the change under the source's
 * name when the dataset is named by its warehouse relation (property files
 * name a source only as `source('ecom', 'raw_orders')`). The rewrites are
 * in the files' order. `warnings` holds the warning that no file names the
 * dataset, when none does.
 */
export function rewriteConsumer(
  engine: RippleEngine,
  files: WorkspaceFile[],
  input: RewriteInput,
  sources: DbtSource[],
): { rewrites: FileRewrite[]; warnings: UnmatchedDataset[] } {
  const code = files.filter(file => !isPropertiesFile(file));
  const properties = files.filter(isPropertiesFile);
  const rewritten = new Map<string, FileRewrite>();
  for (const file of code) {
    const { change, schema } = changeForFile(engine, file, input, sources);
    rewritten.set(
      file.path,
      engine.rewrite(file.path, file.text, change as ChangeSpec | string, {
        dialect: input.dialect,
        schema: schema as Schema | string | undefined,
      }),
    );
  }

  const spec = asChangeSpec(input.change);
  const names = spec ? sourceNames(sources, spec.dataset) : [];
  const propertiesChange =
    names.length > 0 ? { ...spec!, dataset: names[0] } : input.change;
  let namedInProperties = false;
  for (const file of properties) {
    const rewrite = rewriteProperties(
      engine,
      file,
      propertiesChange as ChangeSpec | string,
    );
    // Rewritten, left for a person or holding the producer's entry: either
    // way the file names the dataset.
    namedInProperties ||=
      rewrite.status !== 'unaffected' || rewrite.findings.length > 0;
    rewritten.set(file.path, rewrite);
  }

  const warnings =
    spec && !namedInProperties
      ? unmatched(engine, spec.dataset, names, code, {
          dialect: dialectOf(input),
          schema: input.schema,
        })
      : [];
  return {
    rewrites: files.map(file => rewritten.get(file.path)!),
    warnings,
  };
}

function rewriteProperties(
  engine: RippleEngine,
  file: WorkspaceFile,
  change: ChangeSpec | string,
): FileRewrite {
  if (!engine.rewriteProperties) {
    throw new Error(
      "the engine's build has no rewriteProperties (it is in Node's build only)",
    );
  }
  return engine.rewriteProperties(file.path, file.text, change);
}
