'use strict';

// Long chains of every construct that nests the syntax tree one level per
// link without the parser recursing (rust-engine/engine/src/depth.rs), in
// the WebAssembly build, whose stack is fixed at 2 MiB. Past the operator
// cap each is scanned (`analyze`), refused (`tables`) or left for a person
// (`rewrite`), never a trap; just under it each is parsed and walked. The
// native tests are rust-engine/engine/tests/chains.rs.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { loadEngine } = require('..');

const CAP = 4_000;
const select = expr => `SELECT ${expr} AS x FROM t`;
const infix = op => n => select(Array(n + 1).fill('a').join(op));
const postfix = link => n => select(`a${link.repeat(n)}`);

// [construct, dialect, what one link counts for, chain of n links]
const CHAINS = [
  ['|', 'postgres', 1, infix(' | ')],
  ['&', 'postgres', 1, infix(' & ')],
  ['^', 'bigquery', 1, infix(' ^ ')],
  ['#', 'postgres', 1, infix(' # ')],
  ['XOR', 'mysql', 1, infix(' XOR ')],
  ['DIV', 'mysql', 64, infix(' DIV ')],
  ['::', 'postgres', 1, postfix('::INT')],
  ['->', 'postgres', 1, postfix(" -> 'k'")],
  ['->>', 'postgres', 1, postfix(" ->> 'k'")],
  [':', 'snowflake', 1, postfix(':k')],
  ['COLLATE', 'postgres', 1, postfix(' COLLATE c')],
  ['AT TIME ZONE', 'postgres', 1, postfix(" AT TIME ZONE 'UTC'")],
  ['IS NULL', 'generic', 1, postfix(' IS NULL')],
  ['LIKE', 'generic', 1, postfix(" LIKE 'x'")],
  ['IN', 'generic', 1, postfix(' IN (1)')],
  ['subscript', 'postgres', 1, postfix('[1]')],
  ['field access', 'postgres', 0, n => select(`(a)${'.f'.repeat(n)}`)],
  ['unary -', 'generic', 1, n => select(`${'- '.repeat(n)}a`)],
  ['NOT', 'generic', 1, n => select(`${'NOT '.repeat(n)}a`)],
  ['UNION ALL', 'bigquery', 1, n => `SELECT a FROM t${' UNION ALL SELECT a FROM t'.repeat(n)}`],
  ['PIVOT', 'bigquery', 65, n => `SELECT a FROM t${' PIVOT(SUM(a) FOR b IN (1))'.repeat(n)}`],
  ['UNPIVOT', 'bigquery', 65, n => `SELECT a FROM t${' UNPIVOT(a FOR b IN (c))'.repeat(n)}`],
];
// The parser refuses these before the cap: unary chains at its recursion
// limit, and a second COLLATE.
const REFUSED_BY_THE_PARSER = ['unary -', 'NOT', 'COLLATE'];
const CHANGE = { dataset: 't', changes: [{ kind: 'rename_column', column: 'a', to: 'b' }] };

test('a chain past the cap is scanned, refused or left for a person, never a trap', async () => {
  const engine = await loadEngine();
  for (const [name, dialect, weight, chain] of CHAINS) {
    const sql = chain(weight === 0 ? 20_000 : Math.floor(CAP / weight) + 10);
    const analysis = engine.analyze('chain.sql', sql, { dialect });
    assert.equal(analysis.statements.length, 1, name);
    if (weight > 0) {
      assert.equal(analysis.statements[0].parsed, false, name);
      assert.throws(() => engine.tables(sql, dialect), { name: 'RippleError', kind: 'syntax' }, name);
    }
    assert.notEqual(engine.rewrite('chain.sql', sql, CHANGE, { dialect }).status, 'error', name);
  }
});

test('a chain just under the cap is parsed and walked within the stack', async () => {
  const engine = await loadEngine();
  for (const [name, dialect, weight, chain] of CHAINS) {
    const sql = chain(weight === 0 ? CAP : Math.floor((CAP - weight) / weight));
    const analysis = engine.analyze('chain.sql', sql, { dialect });
    if (!REFUSED_BY_THE_PARSER.includes(name)) {
      assert.equal(analysis.statements[0].parsed, true, `${name}: ${JSON.stringify(analysis.diagnostics)}`);
      assert.equal(engine.tables(sql, dialect).length, 1, name);
    }
    assert.notEqual(engine.rewrite('chain.sql', sql, CHANGE, { dialect }).status, 'error', name);
  }
});

test('a chain under the cap inside the deepest nesting is walked within the stack', async () => {
  const engine = await loadEngine();
  const [open, close] = ['(SELECT a FROM '.repeat(25), ')'.repeat(25)];
  for (const [dialect, inner] of [
    ['postgres', `SELECT ${Array(CAP - 10).fill('a').join(' | ')} AS a FROM t`],
    ['postgres', `SELECT a${'::INT'.repeat(CAP - 10)} AS a FROM t`],
    ['bigquery', `SELECT a FROM t${' UNION ALL SELECT a FROM t'.repeat(CAP - 10)}`],
  ]) {
    const sql = `SELECT a FROM ${open}(${inner})${close}`;
    const analysis = engine.analyze('chain.sql', sql, { dialect });
    assert.equal(analysis.statements[0].parsed, true, JSON.stringify(analysis.diagnostics));
    assert.equal(engine.tables(sql, dialect).length, 1);
    engine.rewrite('chain.sql', sql, CHANGE, { dialect });
  }
});
