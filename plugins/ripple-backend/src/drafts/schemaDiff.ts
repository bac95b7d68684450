import type {
  Change,
  ChangeSpec,
  DatasetColumn,
  DraftImpact,
  DraftSuggestion,
  DraftUndecided,
} from '@ripple/backstage-plugin-ripple-common';
import type { Dialect, RippleEngine } from '@ripple/engine';
import { createHash } from 'node:crypto';
import type { ConsumerPreview } from '../agent/MigrationAgent';
import type { SnapshotColumn } from '../database/DraftStore';
import type { SchemaSource } from '../dataset/DatasetReader';

/**
 * A schema's identity for the draft task: its columns' names and types in
 * order. A `renamed_from` declaration alone is no change (it stays in a
 * schema file after the rename, as history).
 */
export function schemaHash(columns: SnapshotColumn[]): string {
  return createHash('sha256')
    .update(JSON.stringify(columns.map(c => [c.name, c.type ?? null])))
    .digest('hex');
}

/** The dataset's columns with the old names their source declares. */
export function snapshotColumns(
  columns: DatasetColumn[],
  source?: SchemaSource,
): SnapshotColumn[] {
  return columns.map(c => {
    const renamedFrom = source?.renamedFrom.get(c.name);
    return {
      name: c.name,
      ...(c.type ? { type: c.type } : {}),
      ...(renamedFrom ? { renamedFrom } : {}),
    };
  });
}

/**
 * Ripple's schema JSON of one table (what `ripple diff` reads as the
 * `ripple` format), one column per line so that a line names a column.
 */
function schemaText(table: string, columns: SnapshotColumn[]): string {
  const lines = columns.map(
    c =>
      `      ${JSON.stringify({
        name: c.name,
        ...(c.type ? { type: c.type } : {}),
        ...(c.renamedFrom ? { renamed_from: c.renamedFrom } : {}),
      })}`,
  );
  return `{"tables": {${JSON.stringify(table)}: {"columns": [\n${lines.join(
    ',\n',
  )}\n]}}}\n`;
}

/** What the engine's diff of two schemas of a dataset decides, as a draft keeps it. */
export type SchemaChange = {
  change?: ChangeSpec;
  suggestions: DraftSuggestion[];
  undecided: DraftUndecided[];
};

/**
 * The engine's `diffSchemas` over the columns before and after, each as
 * Ripple's schema JSON of the dataset's table (so declared renames,
 * `renamed_from`, are applied). A place the engine gives in the new
 * version is told as the source's (the schema file, or the entity's
 * annotation) and the line where it names the column; without a source
 * (a dbt project's columns), as the dataset's columns.
 */
export function diffColumns(
  engine: Pick<RippleEngine, 'diffSchemas'>,
  input: {
    datasetRef: string;
    table: string;
    dialect?: Dialect;
    before: SnapshotColumn[];
    after: SnapshotColumn[];
    source?: SchemaSource;
  },
): SchemaChange {
  if (!engine.diffSchemas) {
    throw new Error('this build of the engine has no diffSchemas');
  }
  const { table, before, after, source } = input;
  const oldPath = `${input.datasetRef} (last seen)`;
  const newPath = `${input.datasetRef} (now)`;
  const newText = schemaText(table, after);
  const diff = engine.diffSchemas(
    { path: oldPath, text: schemaText(table, before) },
    { path: newPath, text: newText },
    {
      format: 'ripple',
      table,
      ...(input.dialect ? { dialect: input.dialect } : {}),
    },
  );
  const newLines = newText.split('\n');
  const place = (path: string, line: number) => {
    if (path !== newPath) {
      return { file: `${input.datasetRef} (the schema last seen)`, line };
    }
    // Line n of the generated text is column n - 2.
    const column = after[line - 2]?.name ?? newLines[line - 1];
    return {
      file: source?.label ?? `${input.datasetRef} (its columns)`,
      line: (source && column && sourceLine(source.text, column)) || line,
    };
  };
  return {
    ...(diff.change?.changes.length
      ? { change: diff.change as unknown as ChangeSpec }
      : {}),
    suggestions: diff.suggestions.map(s => ({
      id: suggestionId(s.change),
      // The engine's Change and the API's are one type (`ripple schema`),
      // but the engine's TypeScript says Map for a mapping.
      change: s.change as unknown as Change,
      replaces: s.replaces as unknown as Change[],
      reason: s.reason,
      ...place(s.path, Number(s.line)),
    })),
    undecided: diff.undecided.map(u => ({
      reason: u.reason,
      ...place(u.path, Number(u.line)),
    })),
  };
}

/** A suggestion's id: its change's hash, the same when the change is the same. */
export function suggestionId(change: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(change))
    .digest('hex')
    .slice(0, 12);
}

/**
 * The first line of `text` naming `column` as a whole word (1-based), or
 * 0. One pass of `indexOf` per line: linear in the text, whatever it holds.
 */
export function sourceLine(text: string, column: string): number {
  const lines = text.split('\n');
  const word = (ch: string | undefined) => !!ch && /[A-Za-z0-9_$]/.test(ch);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    for (
      let at = line.indexOf(column);
      at >= 0;
      at = line.indexOf(column, at + 1)
    ) {
      if (!word(line[at - 1]) && !word(line[at + column.length])) {
        return i + 1;
      }
    }
  }
  return 0;
}

/** The preview's consumers counted by verdict. */
export function countVerdicts(previews: ConsumerPreview[]): DraftImpact {
  const counts: DraftImpact = {
    total: 0,
    breaking: 0,
    partiallyBreaking: 0,
    unaffected: 0,
    unknown: 0,
  };
  for (const preview of previews) {
    if (preview.skipped) continue; // Not a consumer.
    counts.total += 1;
    const verdict = preview.proposal?.impact?.verdict;
    if (verdict === 'breaking') counts.breaking += 1;
    else if (verdict === 'partially_breaking') counts.partiallyBreaking += 1;
    else if (verdict === 'unaffected') counts.unaffected += 1;
    else counts.unknown += 1;
  }
  return counts;
}

/** The change with a confirmed suggestion: what it replaces out, its change in. */
export function confirmSuggestion(
  change: ChangeSpec,
  suggestion: DraftSuggestion,
): ChangeSpec {
  const replaced = new Set(suggestion.replaces.map(c => JSON.stringify(c)));
  return {
    ...change,
    changes: [
      ...change.changes.filter(c => !replaced.has(JSON.stringify(c))),
      suggestion.change,
    ],
  };
}

/** One line for people: each change of the spec. */
export function describeChange(change: ChangeSpec | undefined): string {
  if (!change?.changes.length) return 'no change consumers read';
  return change.changes
    .map(c => {
      const x = c as unknown as Record<string, unknown>;
      switch (x.kind) {
        case 'rename_column':
          return `${x.column} renamed to ${x.to}`;
        case 'drop_column':
          return `${x.column} dropped`;
        case 'change_type':
          return `${x.column} retyped to ${x.to}`;
        case 'rename_table':
          return `table moved to ${x.to}`;
        default:
          return String(x.kind);
      }
    })
    .join(', ');
}
