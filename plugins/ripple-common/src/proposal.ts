import type {
  ChangeSpec,
  Dialect,
  FileAnalysis,
  RippleEngine,
} from '@ripple/engine';
import type {
  Impact,
  ImpactFile,
  PatchReason,
  PatchStatus,
} from './schema/openapi/generated/models';

/**
 * What the engine makes of one consumer's code for a change: where the code
 * reads the dataset (the impact), and the verified edit of every file as one
 * diff, with the worst status and every reason. The backend's agent and the
 * browser's live preview both compute it here, so they cannot disagree.
 *
 * @public
 */
export type ConsumerProposal = {
  impact: Impact;
  diff: string;
  status: PatchStatus;
  reasons: PatchReason[];
  /** How many places the edit changes, over all files. */
  edits: number;
};

// The worst status of the files is the patch's.
const SEVERITY: Record<PatchStatus, number> = {
  unaffected: 0,
  rewritten: 1,
  needs_review: 2,
  error: 3,
};

/**
 * Analyses kept between proposals for the same files: a file's analysis
 * depends on its text and dialect only, not on the change, so a preview
 * recomputed on every edit of the change analyses each file once.
 *
 * @public
 */
export type AnalysisCache = WeakMap<object, { dialect: Dialect; analysis: FileAnalysis }>;

/**
 * Runs the engine over a consumer's files for a change. `dialect` is the
 * consumer's own (its `ripple.io/dialect` annotation), else the change's.
 *
 * @public
 */
export function proposeConsumerEdit(
  engine: Pick<RippleEngine, 'analyze' | 'rewrite'>,
  change: ChangeSpec,
  files: ReadonlyArray<{ path: string; text: string }>,
  dialect?: Dialect,
  cache?: AnalysisCache,
): ConsumerProposal {
  const options = { dialect: dialect ?? change.dialect ?? 'generic' };
  const changed = changedColumns(change);
  // Every way of naming the dataset ends with its table's own name, so a
  // file without that word cannot read it: skip the engine for it.
  const tableName = change.dataset.toLowerCase().split('.').pop() ?? '';
  const impactFiles: ImpactFile[] = [];
  const diffs: string[] = [];
  const reasons: PatchReason[] = [];
  let status: PatchStatus = 'unaffected';
  let edits = 0;

  for (const file of files) {
    if (!file.text.toLowerCase().includes(tableName)) {
      continue;
    }
    let analysis = cache?.get(file);
    if (!analysis || analysis.dialect !== options.dialect) {
      analysis = {
        dialect: options.dialect,
        analysis: engine.analyze(file.path, file.text, options),
      };
      cache?.set(file, analysis);
    }
    let references = 0;
    const columns = new Set<string>();
    for (const statement of analysis.analysis.statements) {
      for (const read of statement.reads) {
        if (namesTable(read.table, change.dataset)) {
          read.columns.forEach(column => columns.add(column));
        }
      }
      for (const reference of statement.references) {
        const ofDataset =
          (reference.table && namesTable(reference.table, change.dataset)) ||
          // (The engine leaves out an empty candidates list, whatever its
          // generated type says.)
          (reference.candidates ?? []).some(table =>
            namesTable(table, change.dataset),
          );
        const named =
          reference.kind === 'table' ||
          (reference.column !== undefined &&
            changed.has(reference.column.toLowerCase()));
        if (ofDataset && named) {
          references += 1;
        }
      }
    }
    if (references > 0 || columns.size > 0) {
      impactFiles.push({ path: file.path, references, columns: [...columns] });
    }

    const rewrite = engine.rewrite(file.path, file.text, change, options);
    if (rewrite.patch) {
      diffs.push(rewrite.patch);
    }
    edits += rewrite.edits;
    for (const message of rewrite.reasons) {
      reasons.push({ path: file.path, message });
    }
    if (SEVERITY[rewrite.status] > SEVERITY[status]) {
      status = rewrite.status;
    }
  }

  return {
    impact: {
      files: impactFiles,
      references: impactFiles.reduce((sum, f) => sum + f.references, 0),
    },
    diff: diffs.join(''),
    status,
    reasons,
    edits,
  };
}

/**
 * Whether a table name as written names the dataset: the engine matches by
 * suffix (`orders`, `ds.orders` and `proj.ds.orders` name `proj.ds.orders`).
 *
 * @public
 */
export function namesTable(written: string, dataset: string): boolean {
  const parts = written.toLowerCase().split('.');
  const full = dataset.toLowerCase().split('.');
  return (
    parts.length <= full.length &&
    parts.every((part, i) => part === full[full.length - parts.length + i])
  );
}

function changedColumns(spec: ChangeSpec): Set<string> {
  const columns = new Set<string>();
  for (const change of spec.changes) {
    if ('column' in change) {
      columns.add(change.column.toLowerCase());
    }
    if (change.kind === 'replace_table' && change.columns) {
      Object.keys(change.columns).forEach(c => columns.add(c.toLowerCase()));
    }
  }
  return columns;
}
