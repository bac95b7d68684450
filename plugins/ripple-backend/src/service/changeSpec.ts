import { InputError } from '@backstage/errors';
import { isRippleError } from '@ripple/backstage-plugin-ripple-common';
import type { ChangeSpec, Dialect, RippleEngine } from '@ripple/engine';

/**
 * Refuses a change spec the engine would refuse, with a 400 naming the field
 * at fault (`change.changes[1].to: must be a column name`). The engine is the
 * one definition of the format, so the API does not describe it twice.
 *
 * This is the one place the API validates change specs (creation and
 * preview): the SQL a spec carries is checked here too, see
 * {@link checkSqlFragments}.
 */
export function checkChangeSpec(
  engine: Pick<RippleEngine, 'rewrite' | 'analyze'>,
  change: Record<string, unknown>,
): void {
  try {
    // rewrite() validates the spec before it reads the file; with an empty
    // file there is nothing else to do, so this is the spec check alone.
    engine.rewrite('change.sql', '', change as unknown as ChangeSpec);
  } catch (error) {
    if (isRippleError(error) && error.kind === 'invalid_change') {
      // The engine says "invalid change spec: changes[1].to: ..."; the request
      // names the spec `change`.
      const detail = error.message.replace(/^invalid change spec: /, '');
      throw new InputError(
        error.field ? `change.${detail}` : `change: ${detail}`,
      );
    }
    throw error;
  }
  checkSqlFragments(engine, change as unknown as ChangeSpec);
}

const PROBE = 'ripple_probe';

/**
 * The SQL a change spec carries verbatim, `replace_table` mappings (an
 * expression over the new table) and `change_type` types, ends up in the
 * compatibility view's DDL and in consumers' code. Each must be exactly one
 * expression (one data type) of the spec's dialect, nothing more: a mapping
 * `1 FROM t; DROP TABLE x; SELECT 1` is refused here, naming the field.
 *
 * Each fragment is put alone into a probe statement and analysed by the
 * engine: the probe must parse as one statement with one output (named as
 * the probe names it, so nothing was commented out) that reads and writes
 * no table. (The engine also parses these fragments itself when it writes
 * the view; this check gives the API's 400 with the field.)
 */
export function checkSqlFragments(
  engine: Pick<RippleEngine, 'analyze'>,
  change: ChangeSpec,
): void {
  const dialect = (change.dialect ?? 'generic') as Dialect;
  (change.changes ?? []).forEach((item, i) => {
    const at = `change.changes[${i}]`;
    if (item.kind === 'replace_table') {
      for (const [column, expression] of Object.entries(item.columns ?? {})) {
        const why = probe(
          engine,
          dialect,
          `SELECT (${expression}) AS ${PROBE}`,
        );
        if (why) {
          throw new InputError(
            `${at}.columns.${column}: ${JSON.stringify(
              expression,
            )} is not one SQL expression in ${dialect}: ${why}`,
          );
        }
      }
    } else if (item.kind === 'change_type') {
      const why = probe(
        engine,
        dialect,
        `SELECT CAST(NULL AS ${item.to}) AS ${PROBE}`,
      );
      if (why) {
        throw new InputError(
          `${at}.to: ${JSON.stringify(
            item.to,
          )} is not one SQL data type in ${dialect}: ${why}`,
        );
      }
    }
  });
}

/** Why the probe statement is not one plain SELECT of one value, or undefined. */
function probe(
  engine: Pick<RippleEngine, 'analyze'>,
  dialect: Dialect,
  sql: string,
): string | undefined {
  const analysis = engine.analyze('probe.sql', sql, {
    language: 'sql',
    dialect,
  });
  const error = analysis.diagnostics.find(d => d.severity === 'error');
  if (error) {
    return error.message;
  }
  if (analysis.statements.length !== 1) {
    return `it makes ${analysis.statements.length} statements`;
  }
  const [statement] = analysis.statements;
  if (!statement.parsed) {
    return 'it does not parse';
  }
  if (statement.reads.length || statement.writes.length) {
    return 'it reads or writes a table';
  }
  if (
    statement.outputs.length !== 1 ||
    statement.outputs[0].name?.toLowerCase() !== PROBE
  ) {
    return 'it is more than one value';
  }
  return undefined;
}
