import type { ChangeSpec, Dialect } from '@ripple/engine';

type Change = ChangeSpec['changes'][number];

export type ChangeKind = Change['kind'];

/** One change as the form edits it: every field a string, maybe empty. */
export type ChangeDraft = {
  kind: ChangeKind;
  column: string;
  to: string;
  /** replace_table: old column → new column. */
  mapping: Record<string, string>;
};

export const CHANGE_KINDS: { value: ChangeKind; label: string }[] = [
  { value: 'rename_column', label: 'Rename a column' },
  { value: 'drop_column', label: 'Drop a column' },
  { value: 'change_type', label: 'Change a column’s type' },
  { value: 'rename_table', label: 'Move the table' },
  { value: 'replace_table', label: 'Replace with another table' },
];

export function emptyDraft(kind: ChangeKind = 'rename_column'): ChangeDraft {
  return { kind, column: '', to: '', mapping: {} };
}

/**
 * The change spec of the drafts, or what is still missing. The engine
 * checks the rest (names, types) and says what is wrong with its field.
 */
export function buildChange(
  table: string,
  dialect: Dialect | undefined,
  drafts: ChangeDraft[],
): { change: ChangeSpec } | { missing: string } {
  const changes: Change[] = [];
  for (const [i, d] of drafts.entries()) {
    const n = drafts.length > 1 ? ` (change ${i + 1})` : '';
    const to = d.to.trim();
    switch (d.kind) {
      case 'rename_column':
      case 'change_type':
        if (!d.column) return { missing: `Choose the column${n}` };
        if (!to) return { missing: `${d.kind === 'rename_column' ? 'Type the new name' : 'Type the new type'}${n}` };
        changes.push({ kind: d.kind, column: d.column, to });
        break;
      case 'drop_column':
        if (!d.column) return { missing: `Choose the column${n}` };
        changes.push({ kind: 'drop_column', column: d.column });
        break;
      case 'rename_table':
        if (!to) return { missing: `Type the new table name${n}` };
        changes.push({ kind: 'rename_table', to });
        break;
      case 'replace_table': {
        if (!to) return { missing: `Type the replacing table${n}` };
        const columns = Object.fromEntries(
          Object.entries(d.mapping)
            .map(([from, into]) => [from, into.trim()])
            .filter(([from, into]) => into && into !== from),
        );
        // The engine's generated type says Map; it takes the JSON object.
        changes.push({
          kind: 'replace_table',
          to,
          ...(Object.keys(columns).length > 0 && {
            columns: columns as unknown as Map<string, string>,
          }),
        });
        break;
      }
      default:
    }
  }
  return { change: { dataset: table, ...(dialect && { dialect }), changes } };
}

/** A title for the migration from its change ("Rename amount to amount_usd"). */
export function defaultTitle(drafts: ChangeDraft[]): string {
  const parts = drafts.map(d => {
    switch (d.kind) {
      case 'rename_column':
        return `rename ${d.column || '…'} to ${d.to || '…'}`;
      case 'drop_column':
        return `drop ${d.column || '…'}`;
      case 'change_type':
        return `retype ${d.column || '…'} to ${d.to || '…'}`;
      case 'rename_table':
        return `move to ${d.to || '…'}`;
      default:
        return `replace with ${d.to || '…'}`;
    }
  });
  const text = parts.join(', ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
