'use strict';

// Inputs built to break the bindings. Every call must either answer or throw
// a RippleError with a `kind`; never an opaque WebAssembly trap, and the
// engine must keep working afterwards.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { loadEngine } = require('..');
const wasm = require('../node/ripple_engine.js');
const { guard } = require('../guard.js');

const MAX_FILE_BYTES = 16 * 1024 * 1024;
const DIALECTS = [
  'ansi', 'bigquery', 'databricks', 'duckdb', 'generic', 'hive',
  'mysql', 'postgres', 'redshift', 'snowflake', 'spark',
];

/**
 * Calls `f` and returns its result, or the RippleError it threw; an error of
 * kind `internal` (a panic or a trap) fails the test.
 */
function answer(f) {
  try {
    return f();
  } catch (e) {
    assert.equal(e.name, 'RippleError', `not a RippleError: ${e && e.stack}`);
    assert.notEqual(e.kind, 'internal', e.message);
    assert.equal(typeof e.kind, 'string');
    return e;
  }
}

async function assertStillWorks() {
  const engine = await loadEngine();
  const analysis = engine.analyze('ok.sql', 'SELECT a FROM t');
  assert.deepEqual(analysis.statements[0].reads, [{ table: 't', columns: ['a'] }]);
}

const WRONG = {
  number: 42,
  null: null,
  undefined: undefined,
  object: { sql: 'SELECT 1' },
  array: ['SELECT 1'],
  boolean: true,
  bigint: 10n,
  symbol: Symbol('sql'),
  function: () => 'SELECT 1',
};

test('a wrong type for any string argument names the argument', async () => {
  const engine = await loadEngine();
  for (const [type, value] of Object.entries(WRONG)) {
    const cases = [
      ['sql', () => engine.tables(value, 'generic')],
      ['dialect', () => engine.tables('SELECT 1', value)],
      ['path', () => engine.analyze(value, 'SELECT 1')],
      ['text', () => engine.analyze('q.sql', value)],
    ];
    for (const [argument, call] of cases) {
      assert.throws(call, {
        name: 'RippleError',
        kind: 'invalid_argument',
        argument,
        message: `invalid argument \`${argument}\`: expected a string, got ${type}`,
      });
    }
  }
  await assertStillWorks();
});

test('a wrong options object or option type names the option', async () => {
  const engine = await loadEngine();
  for (const [type, value] of Object.entries(WRONG)) {
    if (type === 'undefined' || type === 'null' || type === 'object') continue;
    assert.throws(() => engine.analyze('q.sql', 'SELECT 1', value), {
      kind: 'invalid_argument',
      argument: 'options',
      message: `invalid argument \`options\`: expected an object, got ${type}`,
    });
  }
  for (const [option, value] of [
    ['dialect', 7],
    ['dialect', {}],
    ['language', 3],
    ['language', 'SQL'],
  ]) {
    assert.throws(() => engine.analyze('q.sql', 'SELECT 1', { [option]: value }), {
      kind: 'invalid_argument',
      argument: `options.${option}`,
    });
  }
  for (const value of [42, true, ['tables'], { tables: [] }, { tables: { t: { columns: 'a' } } }]) {
    assert.throws(() => engine.analyze('q.sql', 'SELECT 1', { schema: value }), {
      kind: 'invalid_schema',
    });
  }
  for (const value of ['', 'null', '[]', '{"tables": {}} trailing', '\u0000']) {
    assert.throws(() => engine.analyze('q.sql', 'SELECT 1', { schema: value }), {
      kind: 'invalid_schema',
    });
  }
  // Absent options in every spelling are the defaults.
  for (const options of [undefined, null, {}, { dialect: undefined, schema: null }]) {
    assert.equal(engine.analyze('q.sql', 'SELECT 1', options).statements.length, 1);
  }
  await assertStillWorks();
});

test('unknown dialects are refused by name, however odd the name', async () => {
  const engine = await loadEngine();
  for (const dialect of ['', ' ', 'oracle', 'big query', '\u0000', 'x'.repeat(100_000)]) {
    assert.throws(() => engine.tables('SELECT 1', dialect), { kind: 'unknown_dialect', dialect });
    assert.throws(() => engine.analyze('q.sql', 'SELECT 1', { dialect }), { kind: 'unknown_dialect', dialect });
  }
  // A lone surrogate cannot cross into Rust: it is named as U+FFFD.
  assert.throws(() => engine.tables('SELECT 1', 'big\uD800'), { kind: 'unknown_dialect', dialect: 'big\uFFFD' });
});

test('deep nesting is answered with a diagnostic, in every dialect', async () => {
  const engine = await loadEngine();
  const inputs = [
    `SELECT ${'('.repeat(100_000)}1${')'.repeat(100_000)} FROM t`,
    `${'SELECT * FROM ('.repeat(5_000)}SELECT a FROM t${')'.repeat(5_000)}`,
    `SELECT ${'f('.repeat(20_000)}a${')'.repeat(20_000)} FROM t`,
    `SELECT ${'CASE WHEN a THEN '.repeat(10_000)}1${' END'.repeat(10_000)} FROM t`,
    `SELECT ${'NOT '.repeat(50_000)}a FROM t`,
    `SELECT ${'-'.repeat(50_000)}a FROM t`,
    `SELECT a FROM t WHERE ${'a IN (SELECT a FROM t WHERE '.repeat(3_000)}1${')'.repeat(3_000)}`,
    `SELECT ${'ARRAY['.repeat(20_000)}${']'.repeat(20_000)}`,
  ];
  for (const dialect of DIALECTS) {
    for (const sql of inputs) {
      const analysis = engine.analyze('deep.sql', sql, { dialect });
      assert.ok(analysis.diagnostics.length > 0, `${dialect}: ${sql.slice(0, 40)}`);
      answer(() => engine.tables(sql, dialect));
    }
  }
  await assertStillWorks();
});

test('nesting just under the limits is parsed and walked within the stack', async () => {
  const engine = await loadEngine();
  // The deepest trees the engine parses rather than scans: 60 nested
  // subqueries, and a sum of just under 4,000 operators (one tree level each).
  const subqueries = `${'SELECT a FROM ('.repeat(30)}SELECT a FROM t${') s'.repeat(30)}`;
  const sum = `SELECT ${Array(3_999).fill('a').join(' + ')} AS s FROM t`;
  const concat = `SELECT ${Array(3_999).fill("'x'").join(' || ')} FROM t`;
  const ands = `SELECT a FROM t WHERE ${Array(3_999).fill('a = 1').join(' AND ')}`;
  for (const dialect of DIALECTS) {
    for (const sql of [subqueries, sum, concat, ands]) {
      const analysis = engine.analyze('deep.sql', sql, { dialect });
      assert.ok(analysis.statements.length >= 1);
      answer(() => engine.tables(sql, dialect));
    }
    const parsed = engine.analyze('sum.sql', sum, { dialect });
    assert.equal(parsed.statements[0].parsed, true, `${dialect}: ${JSON.stringify(parsed.diagnostics)}`);
    assert.deepEqual(parsed.statements[0].outputs[0].sources, [{ table: 't', column: 'a' }]);
  }
  // Longer operator chains are scanned (analyze) or refused (tables).
  const long = `SELECT ${Array(200_000).fill('a').join(' + ')} FROM t`;
  assert.equal(engine.analyze('long.sql', long).statements[0].parsed, false);
  assert.throws(() => engine.tables(long, 'generic'), { kind: 'syntax', message: /more than 4000 operators/ });
  await assertStillWorks();
});

test('a file near the 16 MiB limit is analysed; over it, refused with a diagnostic', async () => {
  const engine = await loadEngine();
  const line = 'SELECT a, b FROM t WHERE c = 1;\n';
  const under = line.repeat(Math.floor((MAX_FILE_BYTES - 1024) / line.length));
  const analysis = engine.analyze('big.sql', under);
  assert.equal(analysis.statements.length, under.length / line.length);
  assert.deepEqual(analysis.diagnostics, []);

  const over = 'x'.repeat(MAX_FILE_BYTES + 1);
  const refused = engine.analyze('huge.sql', over);
  assert.deepEqual(refused.statements, []);
  assert.match(refused.diagnostics[0].message, /over the 16777216-byte limit/);
  // The limit is on UTF-8 bytes: 6 Mi three-byte characters are 18 MiB.
  const wide = engine.analyze('wide.sql', '\u20ac'.repeat(6 * 1024 * 1024));
  assert.match(wide.diagnostics[0].message, /over the/);
  // tables reads what analyze reads, so it has the same limit.
  assert.equal(engine.tables(under, 'generic').length, under.length / line.length);
  assert.throws(() => engine.tables(over, 'generic'), { name: 'RippleError', message: /over the 16777216-byte limit/ });
  await assertStillWorks();
});

test('lone UTF-16 surrogates read as U+FFFD, positions still in UTF-16 units', async () => {
  const engine = await loadEngine();
  for (const text of ['\uD800', '\uDC00', 'SELECT \uD800 FROM t', "SELECT '\uDFFF\uD800' AS x, b FROM t"]) {
    answer(() => engine.analyze('s.sql', text));
    answer(() => engine.tables(text, 'generic'));
  }
  const analysis = engine.analyze('s.sql', "SELECT '\uD800', b FROM t");
  const b = analysis.statements[0].references.find(r => r.column === 'b');
  assert.deepEqual(b.start, { line: 1, column: 13 });
  // The path is returned as read: the lone surrogate replaced.
  assert.equal(engine.analyze('\uD800.sql', 'SELECT 1').path, '\uFFFD.sql');
});

test('NUL bytes, long identifiers, unterminated quotes and comments', async () => {
  const engine = await loadEngine();
  const long = 'x'.repeat(1_000_000);
  const inputs = [
    '\u0000',
    'SELECT a\u0000 FROM t\u0000',
    `SELECT "\u0000" FROM \`\u0000\``,
    `SELECT ${long} FROM t`,
    `SELECT "${long}" FROM \`${long}\``,
    `SELECT a FROM ${Array(10_000).fill('p').join('.')}`,
    "SELECT 'abc",
    'SELECT "abc',
    'SELECT `abc',
    'SELECT [abc',
    'SELECT /* abc',
    'SELECT a -- abc',
    'SELECT $$abc',
    'SELECT $tag$abc',
    "SELECT E'\\",
    "SELECT '''",
    'SELECT """',
    "SELECT r'\\",
    'SELECT /* /* */',
  ];
  for (const dialect of DIALECTS) {
    for (const sql of inputs) {
      answer(() => engine.analyze('q.sql', sql, { dialect }));
      answer(() => engine.tables(sql, dialect));
    }
  }
  const named = engine.analyze('q.sql', `SELECT ${long} FROM t`);
  assert.equal(named.statements[0].reads[0].columns[0].length, long.length);
  await assertStillWorks();
});

/** Deterministic pseudo-random text over an alphabet of hostile pieces. */
function soup(pieces, count, seed) {
  let state = seed;
  const out = [];
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out.push(pieces[state % pieces.length]);
  }
  return out.join('');
}

test('garbage Jinja, Python, Java and Scala is answered', async () => {
  const engine = await loadEngine();
  const jinja = ['{{', '}}', '{%', '%}', '{#', '#}', ' if ', ' endif ', ' for x in y ', ' endfor ',
    ' else ', ' raw ', ' endraw ', ' macro m() ', ' endmacro ', ' set x = ', "ref('", "source('a', '",
    "')", 'SELECT ', ' FROM ', '(', ')', "'", '"', '\n', '-', '~', '\u0000', '\uD800'];
  const host = ['"', "'", '"""', "'''", 'f"', 's"', 'r"', '{', '}', '${', '$', '%s', '%(x)s', '+', '\\',
    '/*', '*/', '//', '#', '\n', 'SELECT a FROM t', ' WHERE ', '.stripMargin', '|', '(', ')', ';',
    '\u0000', '\uDC00', 'spark.sql(', 'text = '];
  for (let seed = 1; seed <= 20; seed++) {
    const dbt = soup(jinja, 20_000, seed);
    const code = soup(host, 20_000, seed);
    for (const dialect of ['bigquery', 'snowflake', 'postgres']) {
      answer(() => engine.analyze('m.sql', dbt, { dialect, language: 'dbt' }));
      for (const file of ['job.py', 'Job.java', 'Job.scala']) {
        answer(() => engine.analyze(file, code, { dialect }));
      }
    }
  }
  const unbalanced = [
    '{{'.repeat(10_000),
    '{% if %}'.repeat(10_000),
    '{% for x in y %}'.repeat(10_000),
    "{{ ref('".repeat(10_000),
  ];
  for (const text of unbalanced) answer(() => engine.analyze('m.sql', text));
  for (const text of ['"""'.repeat(10_001), "f'{".repeat(10_000), 's"""SELECT ${'.repeat(10_000)]) {
    for (const file of ['job.py', 'Job.java', 'Job.scala']) answer(() => engine.analyze(file, text));
  }
  await assertStillWorks();
});

test('a Rust panic is thrown as a RippleError of kind internal, and the engine recovers', async () => {
  await loadEngine();
  // Many times over: each panic abandons the instance's stack where it
  // stood, so without a fresh instance this would run out of stack.
  for (let i = 0; i < 2_000; i++) {
    assert.throws(() => wasm.__rippleFail('panic'), {
      name: 'RippleError',
      kind: 'internal',
      message: /^internal error in Ripple's engine: panicked at .*lib\.rs.*deliberate panic/s,
    });
  }
  await assertStillWorks();
});

test('a WebAssembly trap is turned into a RippleError of kind internal, and the engine recovers', async () => {
  await loadEngine();
  const fail = guard(wasm, wasm.__rippleFail);
  for (let i = 0; i < 3; i++) {
    assert.throws(() => fail('trap'), error => {
      assert.equal(error.name, 'RippleError');
      assert.equal(error.kind, 'internal');
      assert.ok(error.cause instanceof WebAssembly.RuntimeError, String(error.cause));
      return true;
    });
    await assertStillWorks();
  }
});
