import {
  type ChangeSpec as ApiChangeSpec,
  consumerVerdict,
  type DatasetColumn,
  dbtSourceNames,
  failureReason,
  type Impact,
  isRippleError,
  type PatchReason,
  type PatchStatus,
  proposeConsumerEdit,
} from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, RippleEngine, Schema } from '@ripple/engine';
import { createHash } from 'node:crypto';
import { consumerProjectSchema } from '../dbt/consumerProject';
import type { ConsumerCode, SourceFile } from './ConsumerSources';

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
 * patch stale instead of being applied blindly. Its dbt property files are
 * rewritten too, and a consumer that is a dbt project is read with the
 * tables its project knows.
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
  let schema: Schema | undefined;
  try {
    schema = consumerProjectSchema(engine, spec, code, columns);
  } catch (error) {
    if (!isRippleError(error)) throw error;
    return failedProposal(code, [
      failureReason(
        'dbt_project.yml',
        'engine_failed',
        `${consumerRef}: the engine failed on its dbt project: ${error.message}`,
      ),
    ]);
  }
  const source = (files: SourceFile[], properties: SourceFile[]) => ({
    files,
    properties,
    dialect: code.dialect,
    tableNames: tableNames(code, spec.dataset),
    schema,
  });
  const propose = (files: SourceFile[], properties: SourceFile[]) =>
    proposeConsumerEdit(engine, spec, source(files, properties), columns);
  // The verdict is an addition to the impact: code the engine cannot
  // classify still gets its patch, without a verdict.
  const verdict = (consumer: ReturnType<typeof source>) => {
    try {
      return consumerVerdict(engine, spec, consumer, columns);
    } catch (error) {
      if (!isRippleError(error)) throw error;
      return {};
    }
  };
  const properties = code.properties ?? [];
  try {
    const { impact, diff, status, reasons } = propose(code.files, properties);
    return {
      impact: { ...impact, ...verdict(source(code.files, [])) },
      diff,
      baseHash: hashCode(code),
      status,
      reasons,
    };
  } catch (error) {
    if (!isRippleError(error)) throw error;
  }
  // One consumer's code that makes the engine throw (an `internal` error, a
  // dialect it refuses) must not fail the analysis of every other consumer:
  // its files are tried one by one, so the patch names each file at fault.
  const reasons: PatchReason[] = [];
  const impactFiles: Proposal['impact']['files'] = [];
  const alone = [
    ...code.files.map(file => ({ file, run: () => propose([file], []) })),
    ...properties.map(file => ({ file, run: () => propose([], [file]) })),
  ];
  for (const { file, run } of alone) {
    try {
      impactFiles.push(...run().impact.files);
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
  return failedProposal(code, reasons, impactFiles);
}

/** The `error` proposal of code the engine failed on, for `reasons`. */
function failedProposal(
  code: ConsumerCode,
  reasons: PatchReason[],
  impactFiles: Proposal['impact']['files'] = [],
): Proposal {
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

/**
 * The hash of a consumer's code: its files' paths and contents, in order,
 * then its property files', then the rest of its dbt project's (seeds,
 * `dbt_project.yml`, `target/`'s manifest and catalog): all of them decide
 * its patch.
 */
export function hashCode(code: ConsumerCode): string {
  const hash = createHash('sha256');
  const byPath = (a: SourceFile, b: SourceFile) => a.path.localeCompare(b.path);
  const hashed = new Set<string>();
  const add = (files: SourceFile[], label: string) => {
    for (const file of [...files].sort(byPath)) {
      if (hashed.has(file.path)) continue;
      hashed.add(file.path);
      hash.update(label).update(file.path).update('\0');
      hash.update(file.text).update('\0');
    }
  };
  add(code.files, '');
  add(code.properties ?? [], 'properties ');
  add(code.project ?? [], 'project ');
  // Where dbt sources point decides what a model reads.
  for (const source of code.dbtSources ?? []) {
    hash.update(`source ${source.name} ${source.table}\0`);
  }
  return `sha256:${hash.digest('hex')}`;
}
