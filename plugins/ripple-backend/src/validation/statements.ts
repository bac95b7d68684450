import type {
  Dialect,
  Location,
  RippleEngine,
  StatementAnalysis,
} from '@ripple/engine';
import { compiledPatch } from './compiledModel';
import {
  ANNOTATION_RIPPLE_SAMPLE_VALUES,
  type SampleValues,
} from './sampleValues';

/** One statement of a consumer's file, before and after its patch. */
export type StatementPair = {
  path: string;
  /** Where it starts in the file (1-based). */
  line: number;
  /** What runs: the statement, or its query part, with its parameters bound. */
  before: string;
  after: string;
  /** The tables it reads, as the engine resolved them, before and after the patch. */
  reads: string[];
  afterReads: string[];
  /**
   * What runs is the query part of an INSERT, which writes its rows by
   * position: its output columns are compared in order, whatever their names.
   */
  byPosition?: boolean;
  /** Why it cannot run, when it cannot. */
  skip?: string;
  /** What makes it an `error` without running (sample values that cannot be used). */
  error?: string;
};

/** A consumer's file the patch edits. */
export type PatchedFile = {
  path: string;
  text: string;
  patched: string;
  /** For a dbt model: dbt's compiled SQL of it, when the repository holds it (`target/compiled/`). */
  compiled?: { path: string; text: string };
};

type Engine = Pick<RippleEngine, 'analyze' | 'bindParameters'>;

/**
 * The statements of a file and of its patched text, paired in order (a
 * patch edits inside statements and never adds or removes one), each as
 * the warehouse can run it: its parameters bound from the consumer's sample
 * values, and only its query part when it writes. A dbt model is read from
 * its compiled SQL, patched as its source is. What cannot run is a pair
 * with `skip` saying why.
 */
export function statementPairs(
  engine: Engine,
  file: PatchedFile,
  dialect: Dialect,
  sampleValues?: SampleValues,
): StatementPair[] {
  const whole = (skip: string): StatementPair[] => [
    {
      path: file.path,
      line: 1,
      before: '',
      after: '',
      reads: [],
      afterReads: [],
      skip,
    },
  ];
  let { path, text, patched } = file;
  let before = engine.analyze(path, text, { dialect });
  if (before.language === 'dbt') {
    if (!file.compiled) {
      return whole(
        'a dbt model runs only once dbt compiles it (its Jinja, refs and sources), and the repository holds no compiled SQL of it: run `dbt compile` and commit its target/ (target/compiled/<project>/<model path>)',
      );
    }
    const compiled = compiledPatch(file, file.compiled);
    if ('skip' in compiled) return whole(compiled.skip);
    ({ path, text, patched } = {
      path: file.compiled.path,
      text: file.compiled.text,
      patched: compiled.patched,
    });
    before = engine.analyze(path, text, { dialect, language: 'sql' });
  } else if (before.language !== 'sql') {
    return whole(
      `SQL inside ${before.language} code is assembled by the program at run time`,
    );
  }
  const after = engine.analyze(path, patched, {
    dialect,
    language: 'sql',
  });
  if (after.statements.length !== before.statements.length) {
    return whole(
      `the patch changed the number of statements (${before.statements.length} to ${after.statements.length}), so they cannot be paired`,
    );
  }
  return before.statements.map((statement, i) => {
    const pair: StatementPair = {
      path,
      line: statement.start.line,
      before: '',
      after: '',
      reads: statement.reads.map(r => r.table),
      afterReads: after.statements[i].reads.map(r => r.table),
    };
    const run = runnable(engine, dialect, sampleValues, statement, [
      { text, statement },
      { text: patched, statement: after.statements[i] },
    ]);
    return { ...pair, ...run };
  });
}

/**
 * What runs of one statement, before and after: its text with its
 * parameters bound, then its query part when it writes; or why it cannot
 * run.
 */
function runnable(
  engine: Engine,
  dialect: Dialect,
  sampleValues: SampleValues | undefined,
  statement: StatementAnalysis,
  sides: { text: string; statement: StatementAnalysis }[],
): Pick<StatementPair, 'before' | 'after' | 'skip' | 'error' | 'byPosition'> {
  const at = `the statement at line ${statement.start.line}`;
  const no = (skip: string) => ({ before: '', after: '', skip });
  if (!statement.parsed) {
    return no(`${at} does not parse as ${dialect} SQL`);
  }
  // Each side in place: the text before the statement blanked, so the
  // engine's lines and columns are the file's.
  let texts = sides.map(side => inPlace(side.text, side.statement));
  const parameters = statement.parameters ?? [];
  if (parameters.length) {
    const listed = [...new Set(parameters.map(p => p.text))].join(', ');
    if (!sampleValues) {
      return no(
        `${at} has parameters (${listed}) and no sample values to bind: declare them in the consumer's annotation ${ANNOTATION_RIPPLE_SAMPLE_VALUES}`,
      );
    }
    if (sampleValues.error !== undefined) {
      return { before: '', after: '', error: sampleValues.error };
    }
    try {
      texts = texts.map(t =>
        engine.bindParameters(t, dialect, sampleValues.values),
      );
    } catch (error) {
      return no(
        `${at}: ${
          (error as Error).message
        } (sample values of ${ANNOTATION_RIPPLE_SAMPLE_VALUES})`,
      );
    }
  }
  if (statement.writes.length) {
    const writes = statement.writes.map(w => w.table).join(', ');
    if (!statement.query) {
      return no(
        `${at} writes (${writes}) and has no query part to run alone (what MERGE, UPDATE and DELETE write depends on the target's own rows): Ripple never writes outside its scratch schema`,
      );
    }
    const parts = texts.map(t => queryPart(engine, t, dialect));
    if (parts.some(p => p === undefined)) {
      return no(
        `${at} writes (${writes}) and the query part of its patched text cannot be located`,
      );
    }
    texts = parts as string[];
    if (statement.query.by_position) {
      return {
        before: texts[0].trim(),
        after: texts[1].trim(),
        byPosition: true,
      };
    }
  }
  return { before: texts[0].trim(), after: texts[1].trim() };
}

/** The query part of the one statement in `sql`, in place. */
function queryPart(
  engine: Engine,
  sql: string,
  dialect: Dialect,
): string | undefined {
  const statement = engine.analyze('query.sql', sql, {
    dialect,
    language: 'sql',
  }).statements;
  const query = statement.length === 1 ? statement[0].query : undefined;
  return query && slice(sql.split('\n'), query.start, query.end);
}

/**
 * The statement's text where it is in the file: the text before it blanked
 * (its line breaks kept), its `;` and what follows left out.
 */
function inPlace(text: string, statement: StatementAnalysis): string {
  const lines = text.split('\n');
  const blank = lines
    .slice(0, statement.start.line - 1)
    .map(() => '')
    .concat(' '.repeat(statement.start.column - 1));
  return blank.join('\n') + slice(lines, statement.start, statement.end);
}

/** The text from `start` to `end` (1-based lines and columns, columns in UTF-16 units). */
function slice(lines: string[], start: Location, end: Location): string {
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
