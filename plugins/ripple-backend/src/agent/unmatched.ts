import {
  isRippleError,
  type UnmatchedDataset,
} from '@ripple/backstage-plugin-ripple-common';
import type { Dialect, RippleEngine } from '@ripple/engine';
import type { ConsumerCode } from './ConsumerSources';
import { tableNames } from './proposePatch';

/**
 * The warning of a consumer whose code files name the dataset nowhere: not
 * as `dataset`, nor as any other name its code gives it (a dbt source its
 * property files map to it), as a table, `ref()` or `source()` (the
 * engine's `unmatchedDataset`, the warning of `ripple rewrite`). A consumer
 * the catalog declares and whose code names nothing is the silent miss a
 * wrong table name or a wrong code location makes: its patch would be
 * "unaffected". Undefined when some file names it, or when the engine
 * fails on the files (the patch says so).
 */
export function unmatchedDataset(
  engine: Pick<RippleEngine, 'unmatchedDataset'>,
  dataset: string,
  code: ConsumerCode,
  dialect: Dialect,
): UnmatchedDataset | undefined {
  let warning: UnmatchedDataset | undefined;
  try {
    for (const name of [dataset, ...tableNames(code, dataset)]) {
      const unmatched = engine.unmatchedDataset(name, code.files, { dialect });
      if (!unmatched) {
        return undefined;
      }
      warning ??= unmatched;
    }
  } catch (error) {
    if (!isRippleError(error)) throw error;
    return undefined;
  }
  return warning && { ...warning, closest: warning.closest ?? [] };
}
