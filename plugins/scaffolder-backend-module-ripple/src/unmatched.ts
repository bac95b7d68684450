import type {
  Dialect,
  RippleEngine,
  Schema,
  UnmatchedDataset,
} from '@ripple/engine';

/**
 * The warning that no file names `dataset` (nor `names`, the sources that
 * declare it), with the closest names they use; none when one does.
 */
export function unmatched(
  engine: RippleEngine,
  dataset: string,
  names: string[],
  files: { path: string; text: string }[],
  options: { dialect?: Dialect; schema?: unknown },
): UnmatchedDataset[] {
  const sourceFiles = files.map(({ path, text }) => ({ path, text }));
  const analyzeOptions = {
    dialect: options.dialect,
    schema: options.schema as Schema | string | undefined,
  };
  if (
    names.some(
      name =>
        engine.unmatchedDataset(name, sourceFiles, analyzeOptions) ===
        undefined,
    )
  ) {
    return [];
  }
  const warning = engine.unmatchedDataset(dataset, sourceFiles, analyzeOptions);
  return warning ? [warning] : [];
}
