import {
  type ChangeSpec as ApiChangeSpec,
  type DatasetColumn,
  dbtSourceNames,
  failureReason,
  type Impact,
  isRippleError,
  type PatchReason,
  type PatchStatus,
  proposeConsumerEdit,
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
  /**
   * Set when the engine threw on the consumer's code (or the consumer's
   * annotations are unusable): what went wrong, naming the entity and the
   * files. The proposal is then an `error` patch with no diff.
   */
  failed?: string;
};

/**
 * Runs the engine over a consumer's files for a change (the computation the
 * browser's live preview shares, `proposeConsumerEdit`), with the hash of
 * the code it was made from, so that a later change to the code makes the
 * patch stale instead of being applied blindly.
 */
export function proposePatch(
  engine: RippleEngine,
  change: ApiChangeSpec,
  code: ConsumerCode,
  columns: DatasetColumn[] = [],
  /** The consumer's entity ref, named in the reasons of an engine error. */
  consumerRef = code.location,
): Proposal {
  const spec = change as unknown as ChangeSpec;
  const propose = (files: ConsumerCode['files']) =>
    proposeConsumerEdit(
      engine,
      spec,
      {
        files,
        dialect: code.dialect,
        tableNames: tableNames(code, spec.dataset),
      },
      columns,
    );
  try {
    const { impact, diff, status, reasons } = propose(code.files);
    return { impact, diff, baseHash: hashCode(code), status, reasons };
  } catch (error) {
    if (!isRippleError(error)) throw error;
  }
  // One consumer's code that makes the engine throw (an `internal` error, a
  // dialect it refuses) must not fail the analysis of every other consumer:
  // its files are tried one by one, so the patch names each file at fault.
  const reasons: PatchReason[] = [];
  const impactFiles: Proposal['impact']['files'] = [];
  for (const file of code.files) {
    try {
      impactFiles.push(...propose([file]).impact.files);
    } catch (error) {
      if (!isRippleError(error)) throw error;
      reasons.push(
        failureReason(
          file.path,
          'engine_failed',
          `${consumerRef}: ${file.path}: the engine failed: ${error.message}`,
        ),
      );
    }
  }
  if (!reasons.length) {
    // It failed only with every file together (should not happen).
    reasons.push(
      failureReason(
        '',
        'engine_failed',
        `${consumerRef}: the engine failed on its files together`,
      ),
    );
  }
  return {
    impact: {
      files: impactFiles,
      references: impactFiles.reduce((sum, f) => sum + f.references, 0),
    },
    diff: '',
    baseHash: hashCode(code),
    status: 'error',
    reasons,
    failed: reasons.map(r => r.message).join('; '),
  };
}

/**
 * The `error` proposal of a consumer whose code was not even read because an
 * annotation of its entity is unusable; its hash is the message's, so it is
 * proposed again only when something changes.
 */
export function invalidEntityProposal(message: string): Proposal {
  return {
    impact: { files: [], references: 0 },
    diff: '',
    baseHash: `invalid:${createHash('sha256').update(message).digest('hex')}`,
    status: 'error',
    reasons: [failureReason('', 'unusable_annotation', message)],
    failed: message,
  };
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
