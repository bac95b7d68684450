'use strict';

// Running a file's SQL in DuckDB for the executed-rewrites test, and
// comparing two runs' results.

const { StatementType } = require('@duckdb/node-api');

/**
 * Each statement's output column names and rows, and whether it is a query
 * (a DDL statement returns a status instead); throws the first error.
 */
async function runStatements(connection, sql) {
  const extracted = await connection.extractStatements(sql);
  const results = [];
  for (let i = 0; i < extracted.count; i++) {
    const prepared = await extracted.prepare(i);
    const reader = await prepared.runAndReadAll();
    results.push({ query: prepared.statementType === StatementType.SELECT, names: reader.columnNames(), rows: reader.getRowsJson() });
  }
  return results;
}

/**
 * Runs `sql` after `setup` in a transaction rolled back afterwards, so each
 * run starts from the same tables whatever the one before created, dropped or
 * failed halfway through (DuckDB's DDL is transactional).
 */
async function isolated(connection, setup, sql) {
  await connection.run('BEGIN TRANSACTION');
  try {
    if (setup) await connection.run(setup);
    return await runStatements(connection, sql);
  } finally {
    await connection.run('ROLLBACK');
  }
}

/**
 * The file without the LIMIT that ends a statement. After ORDER BY, a LIMIT
 * keeps any of the rows tied at its edge (SQL leaves which unspecified), and
 * DuckDB picks differently on a table created in the running transaction
 * (TPC-H Q10 kept other customers of equal revenue), so the rows kept are not
 * a function of the query. Without it every row is compared, which holds a
 * rewrite to more, not less. Both sides lose the same LIMIT.
 */
function withoutLimits(text) {
  return text.replace(/\blimit\s+\d+\s*(?=;|$)/gi, '');
}

/**
 * A value as compared: integers of any width alike (an INTEGER is a JSON
 * number, a BIGINT a string, so a widening retype prints the same), doubles
 * to 12 significant digits (a sum added in another order may differ in its
 * last bits), others as they print.
 */
function canonical(value) {
  if (value === null) return 'NULL';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const multiset = rows => rows.map(row => JSON.stringify(row.map(canonical))).sort();

/** Rows of `a` that `b` lacks, counting repeats (a multiset difference). */
function lacking(a, b) {
  const left = new Map();
  for (const row of b) left.set(row, (left.get(row) ?? 0) + 1);
  return a.filter(row => {
    const n = left.get(row) ?? 0;
    left.set(row, n - 1);
    return n <= 0;
  });
}

/**
 * How the rewrite's results (`after`) differ from the original's (`before`),
 * each difference `{kind, detail}`: `output names` when a statement's columns
 * are named otherwise or in another order (the engine promises to keep them),
 * `results` when its rows differ as multisets. `[]` when they do not differ.
 */
function differences(before, after) {
  if (before.length !== after.length) {
    return [{ kind: 'results', detail: `${before.length} statements returned results, now ${after.length}` }];
  }
  const found = [];
  before.forEach((b, i) => {
    const a = after[i];
    const at = before.length > 1 ? ` (statement ${i + 1})` : '';
    if (JSON.stringify(b.names) !== JSON.stringify(a.names)) {
      found.push({ kind: 'output names', detail: `output names${at}: ${b.names.join(', ')} became ${a.names.join(', ')}` });
    }
    const [x, y] = [multiset(b.rows), multiset(a.rows)];
    const [missing, extra] = [lacking(x, y), lacking(y, x)];
    if (missing.length || extra.length) {
      const show = rows => rows.slice(0, 2).join(' ') || 'none';
      found.push({
        kind: 'results',
        detail: `results${at}: ${x.length} rows, now ${y.length}; missing ${show(missing)}; new ${show(extra)}`,
      });
    }
  });
  return found;
}

module.exports = { differences, isolated, withoutLimits };
