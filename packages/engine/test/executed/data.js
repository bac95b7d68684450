'use strict';

// Seeded rows for the executed-rewrites test. Every column draws from a small
// domain, taken from the literals the corpus's queries compare that column
// with (so filters keep rows) or, for keys, from one shared range (so joins
// match). The same seed gives the same rows on every run.

/**
 * The shared key range. A table's first key column cycles through all of it,
 * so every key has rows in every table; other key columns (references) draw
 * from its first three quarters, so every reference finds its rows and the
 * last keys are referenced by nothing (for NOT EXISTS and outer joins).
 */
const KEYS = 16;
const REFERENCED = (KEYS * 3) / 4;
/** Rows of a table of at most four columns (a small dimension), and of the others. */
const SMALL_ROWS = KEYS;
const ROWS = 6 * KEYS;

/** mulberry32: a tiny seeded PRNG, enough to spread values over domains. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A schema type (TPC's spelling, or BigQuery's) as DuckDB spells it, and the
 * kind of values to generate for it. A column without a type cannot be
 * created, so the corpora this test runs give every column one.
 */
function duckType(type) {
  const t = String(type ?? '').trim().toUpperCase().replace(/\s+/g, ' ');
  if (/^((VAR)?CHAR(ACTER)?( VARYING)?|STRING|TEXT)( ?\(\d+\))?$/.test(t)) return { sql: 'VARCHAR', kind: 'string' };
  if (/^(INT|INTEGER|INT4|SMALLINT)$/.test(t)) return { sql: 'INTEGER', kind: 'integer' };
  if (/^(BIGINT|INT64|INT8)$/.test(t)) return { sql: 'BIGINT', kind: 'integer' };
  const decimal = /^(?:DECIMAL|NUMERIC) ?\( ?(\d+) ?, ?(\d+) ?\)$/.exec(t);
  if (decimal) return { sql: `DECIMAL(${decimal[1]},${decimal[2]})`, kind: 'decimal', scale: Number(decimal[2]) };
  if (t === 'NUMERIC' || t === 'DECIMAL') return { sql: 'DECIMAL(38,9)', kind: 'decimal', scale: 2 };
  if (/^(FLOAT64|DOUBLE|FLOAT|REAL)$/.test(t)) return { sql: 'DOUBLE', kind: 'decimal', scale: 2 };
  if (t === 'DATE') return { sql: 'DATE', kind: 'date' };
  if (/^(BOOL|BOOLEAN)$/.test(t)) return { sql: 'BOOLEAN', kind: 'boolean' };
  throw new Error(`no DuckDB type for the schema type ${JSON.stringify(type)}`);
}

/** SQL without its comments, whose quotes would otherwise read as literals. */
function withoutComments(sql) {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
}

const LITERAL = String.raw`(?:date\s*'[^']*'(?:\s*[-+]\s*interval\s*'\d+'\s*(?:day|month|year)s?)?|'(?:[^']|'')*'|-?\d+(?:\.\d+)?(?:\s*[-+*]\s*\d+(?:\.\d+)?)?)`;

/** The value of one literal as the regex above reads it: a date, a string or a number. */
function literalValue(text) {
  const date = /^date\s*'([^']*)'(?:\s*([-+])\s*interval\s*'(\d+)'\s*(day|month|year))?/i.exec(text);
  if (date) {
    const d = new Date(`${date[1]}T00:00:00Z`);
    if (date[2]) {
      const n = Number(date[3]) * (date[2] === '-' ? -1 : 1);
      const unit = date[4].toLowerCase();
      if (unit === 'day') d.setUTCDate(d.getUTCDate() + n);
      if (unit === 'month') d.setUTCMonth(d.getUTCMonth() + n);
      if (unit === 'year') d.setUTCFullYear(d.getUTCFullYear() + n);
    }
    return { date: d.toISOString().slice(0, 10) };
  }
  if (text.startsWith("'")) return { string: text.slice(1, -1).replace(/''/g, "'") };
  const sum = /^(-?\d+(?:\.\d+)?)(?:\s*([-+*])\s*(\d+(?:\.\d+)?))?$/.exec(text.trim());
  const [a, op, b] = [Number(sum[1]), sum[2], Number(sum[3])];
  return { number: op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a };
}

/**
 * What the queries compare column `name` with, one group per comparison:
 * `{how, literals}`, `how` being `value` (a comparison, an IN list, a
 * BETWEEN), `pattern` (LIKE) or `prefix` (`substr(col, 1, n)` or
 * `substring(col from 1 for n)` compared with strings).
 */
function literalsOf(name, texts) {
  const groups = [];
  const column = String.raw`\b(?:[A-Za-z_]\w*\.)?${name.replace(/[^\w]/g, '\\$&')}\b`;
  const prefixed = String.raw`\bsubstr(?:ing)?\s*\(\s*${column}\s*(?:from\s+1\s+for\s+\d+|,\s*1\s*,\s*\d+)\s*\)`;
  const list = String.raw`(${LITERAL}(?:\s*,\s*${LITERAL})*)`;
  const tails = [
    String.raw`\s*(?:=|<>|!=|<=|>=|<|>)\s*(${LITERAL})`,
    String.raw`\s+(?:not\s+)?in\s*\(\s*${list}\s*\)`,
    String.raw`\s+(?:not\s+)?between\s+(${LITERAL})\s+and\s+(${LITERAL})`,
  ];
  const group = (how, match) => {
    const literals = match
      .slice(1)
      .filter(Boolean)
      .flatMap(part => part.match(new RegExp(LITERAL, 'gi')).map(literalValue));
    groups.push({ how, literals });
  };
  for (const text of texts.map(withoutComments)) {
    for (const tail of tails) {
      for (const m of text.matchAll(new RegExp(`${column}${tail}`, 'gi'))) group('value', m);
      for (const m of text.matchAll(new RegExp(`${prefixed}${tail}`, 'gi'))) group('prefix', m);
    }
    const before = new RegExp(String.raw`(${LITERAL})\s*(?:=|<>|!=|<=|>=|<|>)\s*${column}`, 'gi');
    for (const m of text.matchAll(before)) group('value', m);
    for (const m of text.matchAll(new RegExp(String.raw`${column}\s+(?:not\s+)?like\s+'((?:[^']|'')*)'`, 'gi'))) {
      groups.push({ how: 'pattern', literals: [{ string: m[1].replace(/''/g, "'") }] });
    }
  }
  // A comparison written in several queries (TPC-H Q19's three branches) counts once.
  return [...new Map(groups.map(g => [JSON.stringify(g), g])).values()];
}

/** Every date literal of the corpus: where date columns without literals of their own cluster. */
function dateAnchors(texts) {
  const anchors = new Set();
  for (const text of texts.map(withoutComments)) {
    for (const m of text.matchAll(new RegExp(String.raw`date\s*'[^']*'(?:\s*[-+]\s*interval\s*'\d+'\s*(?:day|month|year)s?)?`, 'gi'))) {
      anchors.add(literalValue(m[0]).date);
    }
  }
  return anchors.size ? [...anchors].sort() : ['2000-01-01'];
}

const round = (x, scale) => Number(x.toFixed(scale));

/** Of `groups`, those whose literals are all of `kind` (`string`, `number`, `date`). */
function ofKind(groups, kind) {
  return groups.filter(g => g.literals.length && g.literals.every(l => kind in l));
}

/**
 * The domain of one column: a function drawing a value, or `null` for a key
 * (an integer no query compares with a literal), drawn by `tablesScript`
 * from the shared key range. Three values in four match one comparison of
 * the queries (each comparison as likely, whatever the length of its IN
 * list); the fourth is a near miss, so filters also drop rows.
 */
function domain(column, type, texts, anchors, random) {
  const groups = literalsOf(column, texts);
  const pick = list => list[Math.floor(random() * list.length)];
  const hit = () => random() < 0.75;
  switch (type.kind) {
    case 'string': {
      const own = ofKind(groups, 'string');
      if (!own.length) return () => pick(['s1', 's2', 's3']);
      return () => {
        if (!hit()) return `${column}-other`;
        const { how, literals } = pick(own);
        const text = pick(literals).string;
        if (how === 'pattern') return text.replace(/%/g, 'x').replace(/_/g, 'y');
        return how === 'prefix' ? `${text}-${Math.floor(random() * 90 + 10)}` : text;
      };
    }
    case 'integer':
    case 'decimal': {
      const own = ofKind(groups, 'number');
      if (!own.length && type.kind === 'integer') return null;
      if (!own.length) {
        const list = Array.from({ length: 8 }, () => round(1 + random() * 99, type.scale));
        return () => pick(list);
      }
      // A near miss of an integer is one off; of a decimal, anywhere within
      // half its value (at least 1) either side, for ranges and averages.
      const scale = type.kind === 'integer' ? 0 : type.scale;
      const miss = p => (scale === 0 ? (random() < 0.5 ? -1 : 1) : (2 * random() - 1) * Math.max(1, Math.abs(p) / 2));
      return () => {
        const p = pick(pick(own).literals).number;
        return round(hit() ? p : p + miss(p), scale);
      };
    }
    case 'date': {
      // Dates are drawn per row (see `tablesScript`): each within 45 days of
      // one centre, a date the queries compare one of the row's date columns
      // with, so a row's ship, commit and receipt dates fall close together
      // and in the ranges the queries read.
      const own = ofKind(groups, 'date').flatMap(g => g.literals.map(l => l.date));
      return Object.assign(
        centre => {
          const d = new Date(`${centre}T00:00:00Z`);
          d.setUTCDate(d.getUTCDate() + Math.floor(random() * 91) - 45);
          return { date: d.toISOString().slice(0, 10) };
        },
        { centres: own },
      );
    }
    case 'boolean':
      return () => random() < 0.5;
    default:
      throw new Error(`no domain for ${type.kind}`);
  }
}

function sqlValue(value, type) {
  if (value === null) return 'NULL';
  if (type.kind === 'string') return `'${String(value).replace(/'/g, "''")}'`;
  if (type.kind === 'date') return `DATE '${value.date}'`;
  if (type.kind === 'decimal') return value.toFixed(type.scale);
  return String(value);
}

/** A table's name as DuckDB reads it: each part quoted. */
function quoteName(name) {
  return name
    .split('.')
    .map(part => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

/**
 * The DDL and rows of every table of `schema`, drawn with `seed` from domains
 * read in `texts` (the corpus's queries): one SQL script.
 */
function tablesScript(schema, texts, seed) {
  const random = prng(seed);
  const anchors = dateAnchors(texts);
  const script = [];
  for (const [table, { columns }] of Object.entries(schema.tables).sort(([a], [b]) => a.localeCompare(b))) {
    const parts = table.split('.');
    if (parts.length > 2) throw new Error(`${table}: DuckDB's in-memory database has one catalog`);
    if (parts.length === 2) script.push(`CREATE SCHEMA IF NOT EXISTS ${quoteName(parts[0])};`);
    const types = columns.map(c => duckType(c.type));
    const draws = columns.map((c, i) => domain(c.name, types[i], texts, anchors, random));
    const rows = columns.length <= 4 ? SMALL_ROWS : ROWS;
    const firstKey = draws.findIndex((d, i) => d === null && types[i].kind === 'integer');
    const centres = draws.flatMap(d => d?.centres ?? []);
    const pick = list => list[Math.floor(random() * list.length)];
    const values = [];
    for (let row = 0; row < rows; row++) {
      const centre = pick(centres.length ? centres : anchors);
      const cells = draws.map((draw, i) => {
        if (draw?.centres) return draw(centre);
        if (draw) return draw();
        return i === firstKey ? (row % KEYS) + 1 : Math.floor(random() * REFERENCED) + 1;
      });
      values.push(`(${cells.map((c, i) => sqlValue(c, types[i])).join(', ')})`);
    }
    const defs = columns.map((c, i) => `${quoteName(c.name)} ${types[i].sql}`).join(', ');
    script.push(`CREATE TABLE ${quoteName(table)} (${defs});`);
    script.push(`INSERT INTO ${quoteName(table)} VALUES\n${values.join(',\n')};`);
  }
  return script.join('\n');
}

module.exports = { duckType, quoteName, tablesScript };
