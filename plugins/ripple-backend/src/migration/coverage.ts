import type {
  ChangeSpec,
  Migration,
  MigrationState,
} from '@ripple/backstage-plugin-ripple-common';

/** States a migration is over in: it covers no change any more. */
const CLOSED_STATES: MigrationState[] = ['completed', 'cancelled'];

/**
 * The one rule of whether an existing migration covers a change (what
 * `ripple check` asks through `POST /impact`, docs/ci.md): the migration
 * is open (not completed or cancelled), it is of the same dataset, and its
 * change includes every breaking operation of the change asked about.
 * Every operation a change spec can hold breaks some consumer (a rename, a
 * drop, a new type, a move), so every one must be there; the migration may
 * hold more. Operations compare by kind, column and target, names without
 * case (as the engine matches them), types without case or spaces.
 */
export function coversChange(
  migration: Pick<Migration, 'state' | 'datasetRef' | 'change'>,
  datasetRef: string,
  change: ChangeSpec,
): boolean {
  if (CLOSED_STATES.includes(migration.state)) return false;
  if (migration.datasetRef !== datasetRef) return false;
  const held = new Set(migration.change.changes.map(operationKey));
  return change.changes.every(operation => held.has(operationKey(operation)));
}

/** The states {@link coversChange} takes as open, for the store's filter. */
export function openStates(all: readonly MigrationState[]): MigrationState[] {
  return all.filter(state => !CLOSED_STATES.includes(state));
}

function operationKey(operation: ChangeSpec['changes'][number]): string {
  const fold = (name: unknown) =>
    typeof name === 'string' ? name.trim().toLocaleLowerCase('en-US') : '';
  const type = (name: unknown) => fold(name).replace(/\s+/g, '');
  const o = operation as unknown as Record<string, unknown>;
  switch (o.kind) {
    case 'change_type':
      return `change_type:${fold(o.column)}:${type(o.to)}`;
    case 'replace_table': {
      const columns = Object.entries(
        (o.columns as Record<string, string> | undefined) ?? {},
      )
        .map(([from, to]) => `${fold(from)}=${fold(to)}`)
        .sort();
      return `replace_table:${fold(o.to)}:${columns.join(',')}`;
    }
    default:
      return `${String(o.kind)}:${fold(o.column)}:${fold(o.to)}`;
  }
}
