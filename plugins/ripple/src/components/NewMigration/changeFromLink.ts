import { sameTable } from '@ripple/backstage-plugin-ripple-common';
import { CHANGE_KINDS, type ChangeDraft, type ChangeKind } from './changeDraft';

/**
 * The query parameters of a link that opens the new-migration form with a
 * change filled in: `newMigration=true&change=<the change spec's JSON>`.
 * The backend's `POST /impact` makes such links for `ripple check`.
 */
export const NEW_MIGRATION_PARAM = 'newMigration';
export const CHANGE_PARAM = 'change';

/** Why a link's change was ignored (each has its message). */
export type LinkProblem = 'notJson' | 'notAChange' | 'otherTable';

// A change spec of a link is small; a longer one is no change Ripple made.
const MAX_LENGTH = 20_000;
const MAX_CHANGES = 50;

/**
 * The form's drafts for the change spec a link carries, when it is one of
 * `table`'s (one may be less qualified than the other). Anything else is a
 * problem, and the form opens empty: the link is untrusted input, and only
 * strings of the known kinds' fields reach the form, which the engine then
 * checks as it checks what a person types.
 */
export function draftsFromLink(
  raw: string,
  table: string,
): { drafts: ChangeDraft[] } | { problem: LinkProblem } {
  let value: unknown;
  try {
    if (raw.length > MAX_LENGTH) return { problem: 'notAChange' };
    value = JSON.parse(raw);
  } catch {
    return { problem: 'notJson' };
  }
  if (!isObject(value) || typeof value.dataset !== 'string') {
    return { problem: 'notAChange' };
  }
  const { changes } = value;
  if (
    !Array.isArray(changes) ||
    changes.length === 0 ||
    changes.length > MAX_CHANGES
  ) {
    return { problem: 'notAChange' };
  }
  if (!sameTable(value.dataset, table)) return { problem: 'otherTable' };
  const drafts: ChangeDraft[] = [];
  for (const change of changes) {
    const draft = isObject(change) ? toDraft(change) : undefined;
    if (!draft) return { problem: 'notAChange' };
    drafts.push(draft);
  }
  return { drafts };
}

function toDraft(change: Record<string, unknown>): ChangeDraft | undefined {
  const kind = change.kind as ChangeKind;
  if (!CHANGE_KINDS.includes(kind)) return undefined;
  const text = (field: string) => {
    const v = change[field];
    return typeof v === 'string' ? v : undefined;
  };
  const column = text('column') ?? '';
  const to = text('to') ?? '';
  const needsColumn = kind !== 'rename_table' && kind !== 'replace_table';
  const needsTo = kind !== 'drop_column';
  if ((needsColumn && !column) || (needsTo && !to)) return undefined;
  const mapping: Record<string, string> = {};
  if (kind === 'replace_table' && change.columns !== undefined) {
    if (!isObject(change.columns)) return undefined;
    for (const [from, into] of Object.entries(change.columns)) {
      if (typeof into !== 'string') return undefined;
      mapping[from] = into;
    }
  }
  return { kind, column, to, mapping };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
