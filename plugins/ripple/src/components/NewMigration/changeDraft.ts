import type { ChangeSpec, Dialect } from '@ripple/engine';
import type { RippleT } from '../../translation';

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

/** The kinds of change the form offers, in its order. */
export const CHANGE_KINDS: ChangeKind[] = [
  'rename_column',
  'drop_column',
  'change_type',
  'rename_table',
  'replace_table',
];

/** A field the change still needs; `change` numbers it among several. */
export type Missing = {
  field: 'column' | 'newName' | 'newType' | 'newTable' | 'replacingTable';
  change?: number;
};

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
): { change: ChangeSpec } | { missing: Missing } {
  const changes: Change[] = [];
  for (const [i, d] of drafts.entries()) {
    const change = drafts.length > 1 ? i + 1 : undefined;
    const to = d.to.trim();
    switch (d.kind) {
      case 'rename_column':
      case 'change_type':
        if (!d.column) return { missing: { field: 'column', change } };
        if (!to) {
          return {
            missing: {
              field: d.kind === 'rename_column' ? 'newName' : 'newType',
              change,
            },
          };
        }
        changes.push({ kind: d.kind, column: d.column, to });
        break;
      case 'drop_column':
        if (!d.column) return { missing: { field: 'column', change } };
        changes.push({ kind: 'drop_column', column: d.column });
        break;
      case 'rename_table':
        if (!to) return { missing: { field: 'newTable', change } };
        changes.push({ kind: 'rename_table', to });
        break;
      case 'replace_table': {
        if (!to) return { missing: { field: 'replacingTable', change } };
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

/** What the change still needs, in words ("Choose the column (change 2)"). */
export function describeMissing(missing: Missing, t: RippleT): string {
  const text = t(`newMigration.missing.${missing.field}`);
  return missing.change === undefined
    ? text
    : t('newMigration.missing.inChange', {
        missing: text,
        number: String(missing.change),
      });
}

/** A title for the migration from its change ("Rename amount to amount_usd"). */
export function defaultTitle(drafts: ChangeDraft[], t: RippleT): string {
  const parts = drafts.map(d => {
    // A field not filled in yet shows as an ellipsis.
    const column = d.column || '…';
    const to = d.to || '…';
    switch (d.kind) {
      case 'rename_column':
        return t('newMigration.defaultTitle.rename_column', { column, to });
      case 'drop_column':
        return t('newMigration.defaultTitle.drop_column', { column });
      case 'change_type':
        return t('newMigration.defaultTitle.change_type', { column, to });
      case 'rename_table':
        return t('newMigration.defaultTitle.rename_table', { to });
      default:
        return t('newMigration.defaultTitle.replace_table', { to });
    }
  });
  const text = parts.join(', ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
