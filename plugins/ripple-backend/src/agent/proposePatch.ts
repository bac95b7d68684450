import {
  dbtSourceNames,
  proposeConsumerEdit,
  type DatasetColumn,
  type Impact,
  type PatchReason,
  type PatchStatus,
} from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, RippleEngine } from '@ripple/engine';
import { createHash } from 'node:crypto';
import type { ConsumerCode } from './ConsumerSources';

export { analyzeFile } from '@ripple/backstage-plugin-ripple-common';

/** What the engine proposes for one consumer's code. */
export type Proposal = {
  impact: Impact;
  diff: string;
  baseHash: string;
  status: PatchStatus;
  reasons: PatchReason[];
};

/**
 * Runs the engine over a consumer's files for a change (the computation the
 * browser's live preview shares, `proposeConsumerEdit`), with the hash of
 * the code it was made from, so that a later change to the code makes the
 * patch stale instead of being applied blindly.
 */
export function proposePatch(
  engine: RippleEngine,
  change: Record<string, unknown>,
  code: ConsumerCode,
  columns: DatasetColumn[] = [],
): Proposal {
  const spec = change as unknown as ChangeSpec;
  const { impact, diff, status, reasons } = proposeConsumerEdit(
    engine,
    spec,
    {
      files: code.files,
      dialect: code.dialect,
      tableNames: tableNames(code, spec.dataset),
    },
    columns,
  );
  return { impact, diff, baseHash: hashCode(code), status, reasons };
}

/**
 * The other names a consumer's code gives a table: the dbt sources its
 * `sources.yml` maps to it.
 */
export function tableNames(code: ConsumerCode, table: string): string[] {
  return dbtSourceNames(code.dbtSources ?? [], table);
}

/** The hash of a consumer's code: its files' paths and contents, in order. */
export function hashCode(code: ConsumerCode): string {
  const hash = createHash('sha256');
  for (const file of [...code.files].sort((a, b) =>
    a.path.localeCompare(b.path),
  )) {
    hash.update(file.path).update('\0').update(file.text).update('\0');
  }
  // Where dbt sources point decides what a model reads.
  for (const source of code.dbtSources ?? []) {
    hash.update(`source ${source.name} ${source.table}\0`);
  }
  return `sha256:${hash.digest('hex')}`;
}
