'use strict';

// How much of the WebAssembly shadow stack (linear memory) the engine uses
// on the deepest inputs it accepts, to check the stack size set in
// .cargo/config.toml. Not a test: run `node bench/stack.js` after a build.
//
// rustc links wasm32 with the stack first in linear memory, growing down
// from its size to 0. Between calls no frame is live, so the whole stack
// can be filled with a pattern; after a call, the lowest byte that changed
// is as deep as the call went.

const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '../node/ripple_engine_bg.wasm');
const wasm = require('../node/ripple_engine.js');

/**
 * The initial value of the first global, which lld makes the stack pointer,
 * after checking that every data segment lies above it (the stack is first).
 */
function stackTop(bytes) {
  let at = 8;
  const leb = () => {
    let result = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[at++];
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  };
  let top;
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    if (id === 6) {
      leb(); // count
      at += 2; // value type, mutability
      if (bytes[at++] !== 0x41) throw new Error('the first global is not an i32.const');
      top = leb();
    } else if (id === 11) {
      for (let n = leb(); n > 0; n--) {
        if (leb() !== 0 || bytes[at++] !== 0x41) throw new Error('unexpected data segment');
        if (leb() < top) throw new Error('a data segment lies below the stack pointer');
        at++; // the end of the offset expression
        const length = leb();
        at += length;
      }
    }
    at = end;
  }
  if (top === undefined) throw new Error('no global section');
  return top;
}

const top = stackTop(fs.readFileSync(file));

function deepest(call) {
  // Asked each time: the memory may have grown.
  const memory = wasm.__rippleMemory();
  const bytes = new Uint8Array(memory.buffer, 0, top);
  bytes.fill(0xa5);
  call();
  const now = new Uint8Array(wasm.__rippleMemory().buffer, 0, top);
  let low = 0;
  while (low < top && now[low] === 0xa5) low++;
  return top - low;
}

const sum = n => `SELECT ${Array(n).fill('a').join(' + ')} AS s FROM t`;
const cases = {
  'SELECT 1': 'SELECT 1',
  '30 nested subqueries': `${'SELECT a FROM ('.repeat(30)}SELECT a FROM t${') s'.repeat(30)}`,
  '62 nested parenthesized joins': `SELECT a FROM ${'(t JOIN '.repeat(62)}u${' ON 1=1)'.repeat(62)}`,
  '63 nested parentheses': `SELECT ${'('.repeat(63)}1${')'.repeat(63)} FROM t`,
  '100,000 nested parentheses': `SELECT ${'('.repeat(100_000)}1${')'.repeat(100_000)} FROM t`,
  'sum of 3,999 operators': sum(3_999),
  'AND of 3,999 comparisons': `SELECT a FROM t WHERE ${Array(3_999).fill('a = 1').join(' AND ')}`,
  'sum of 200,000 operators': sum(200_000),
  '3,999 :: casts': `SELECT a${'::INT'.repeat(3_999)} FROM t`,
  '3,999 | operators': `SELECT ${Array(4_000).fill('a').join(' | ')} FROM t`,
  '3,999 IS NULL': `SELECT a${' IS NULL'.repeat(3_999)} FROM t`,
  'UNION ALL of 3,999': `SELECT a FROM t${' UNION ALL SELECT a FROM t'.repeat(3_999)}`,
  '61 PIVOTs': `SELECT a FROM t${' PIVOT(SUM(a) FOR b IN (1))'.repeat(61)}`,
  '25 subqueries around 3,990 |': `SELECT a FROM ${'(SELECT a FROM '.repeat(25)}(SELECT ${Array(3_990).fill('a').join(' | ')} AS a FROM t)${')'.repeat(25)}`,
};
const change = { dataset: 't', changes: [{ kind: 'rename_column', column: 'a', to: 'b' }] };
console.log(`stack size: ${top} bytes`);
for (const dialect of ['generic', 'bigquery', 'snowflake']) {
  for (const [name, sql] of Object.entries(cases)) {
    const analyze = deepest(() => wasm.analyze('deep.sql', sql, { dialect }));
    const tables = deepest(() => {
      try {
        wasm.tables(sql, dialect);
      } catch (e) {
        if (e.name !== 'RippleError' || e.kind === 'internal') throw e;
      }
    });
    const rewrite = deepest(() => wasm.rewrite('deep.sql', sql, change, { dialect }));
    console.log(
      `${dialect.padEnd(10)} ${name.padEnd(30)} analyze ${String(analyze).padStart(8)}  tables ${String(tables).padStart(8)}  rewrite ${String(rewrite).padStart(8)}`,
    );
  }
}
