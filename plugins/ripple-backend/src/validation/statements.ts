import type { Dialect, FileAnalysis, RippleEngine } from '@ripple/engine';

/** One statement of a consumer's file, before and after its patch. */
export type StatementPair = {
  path: string;
  /** Where it starts in the original file (1-based). */
  line: number;
  before: string;
  after: string;
  /** The tables it reads, as the engine resolved them. */
  reads: string[];
  /** It writes (INSERT, CREATE TABLE AS, MERGE...): only its query part may run. */
  writes: boolean;
  /** Why it cannot run as written, when it cannot. */
  skip?: string;
};

/**
 * The statements of a file and of its patched text, paired in order (a
 * patch edits inside statements and never adds or removes one). Files the
 * warehouse cannot run as written are one pair with `skip` saying why.
 */
export function statementPairs(
  engine: Pick<RippleEngine, 'analyze'>,
  file: { path: string; text: string },
  patched: string,
  dialect: Dialect,
): StatementPair[] {
  const before = engine.analyze(file.path, file.text, { dialect });
  if (before.language !== 'sql') {
    return [
      {
        path: file.path,
        line: 1,
        before: '',
        after: '',
        reads: [],
        writes: false,
        skip: skipReason(before),
      },
    ];
  }
  const after = engine.analyze(file.path, patched, { dialect });
  if (after.statements.length !== before.statements.length) {
    return [
      {
        path: file.path,
        line: 1,
        before: '',
        after: '',
        reads: [],
        writes: false,
        skip: `the patch changed the number of statements (${before.statements.length} to ${after.statements.length}), so they cannot be paired`,
      },
    ];
  }
  const oldLines = file.text.split('\n');
  const newLines = patched.split('\n');
  return before.statements.map((statement, i) => {
    const pair: StatementPair = {
      path: file.path,
      line: statement.start.line,
      before: slice(oldLines, statement.start, statement.end),
      after: slice(
        newLines,
        after.statements[i].start,
        after.statements[i].end,
      ),
      reads: statement.reads.map(r => r.table),
      writes: statement.writes.length > 0,
    };
    if (!statement.parsed) {
      pair.skip = `the statement at line ${statement.start.line} does not parse as ${dialect} SQL`;
    } else if (pair.writes) {
      pair.skip = `the statement at line ${
        statement.start.line
      } writes (${statement.writes
        .map(w => w.table)
        .join(
          ', ',
        )}): Ripple never writes outside its scratch schema, and running its query part alone is not done yet`;
    } else {
      const parameter = firstParameter(pair.before);
      if (parameter) {
        pair.skip = `the statement at line ${statement.start.line} has a parameter (${parameter}) and no sample value to bind`;
      }
    }
    return pair;
  });
}

function skipReason(analysis: FileAnalysis): string {
  switch (analysis.language) {
    case 'dbt':
      return 'a dbt model runs only once dbt compiles it (its Jinja, refs and sources)';
    default:
      return `SQL inside ${analysis.language} code is assembled by the program at run time`;
  }
}

/** The text from `start` to `end` (1-based lines and columns, columns in UTF-16 units). */
function slice(
  lines: string[],
  start: { line: number; column: number },
  end: { line: number; column: number },
): string {
  if (start.line === end.line) {
    return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  }
  const parts = [lines[start.line - 1].slice(start.column - 1)];
  for (let line = start.line + 1; line < end.line; line++) {
    parts.push(lines[line - 1]);
  }
  parts.push(lines[end.line - 1].slice(0, end.column - 1));
  return parts.join('\n').replace(/;\s*$/, '');
}

/**
 * The first bind parameter outside quotes and comments: `?`, `$1`, `%s`,
 * `%(name)s`, `:name` (not `::type`) or `@name` (BigQuery's and SQL
 * Server's; not `@@global`).
 */
export function firstParameter(sql: string): string | undefined {
  const code = sql
    .replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`/g, "''")
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  const found = code.match(
    /\?|\$\d+|%\(\w+\)s|%s|(?<![:\w]):[A-Za-z_]\w*|(?<![@\w])@[A-Za-z_]\w*/,
  );
  return found?.[0];
}
