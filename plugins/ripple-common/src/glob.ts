/**
 * Glob matching in time linear in the path, for globs that come from
 * catalog annotations (`ripple.io/paths`) and scaffolder inputs. minimatch
 * compiles a glob to a backtracking regular expression: `a*x*x*x*x*x*xb`
 * against a 200-character file name does not finish (each `*` multiplies the
 * work by the name's length). Here a path segment is matched by the greedy
 * wildcard algorithm (at most pattern × segment steps) and `**` by dynamic
 * programming over segments, so nothing is exponential.
 *
 * The syntax is minimatch's for what Ripple's globs use, with its defaults:
 * `*`, `?`, `[a-z]` / `[!a-z]` / `[^a-z]` classes, `\` escapes, `**` as a
 * whole segment (any number of folders), `{a,b}` and `{1..3}` braces; a
 * wildcard does not match a name starting with `.` (only a literal `.`
 * does), nor does `**` enter such folders. Extended globs (`+(a|b)`) and
 * POSIX classes (`[[:alpha:]]`) are refused.
 */

/** A glob Ripple refuses: why. */
export class GlobError extends Error {
  constructor(pattern: string, why: string) {
    const shown = pattern.length > 100 ? `${pattern.slice(0, 100)}…` : pattern;
    super(`glob ${JSON.stringify(shown)} ${why}`);
    this.name = 'GlobError';
  }
}

const MAX_PATTERN_LENGTH = 1024;
/** Patterns a glob's braces may expand to. */
const MAX_EXPANSIONS = 256;

type Token =
  | { kind: 'char'; char: string }
  | { kind: 'any' }
  | { kind: 'star' }
  | { kind: 'class'; negated: boolean; ranges: Array<[string, string]> };
type Segment = { globstar: true } | { globstar: false; tokens: Token[] };

/**
 * A function telling whether a relative path (`/`-separated) matches the
 * glob. Throws a {@link GlobError} for a glob it refuses.
 *
 * @public
 */
export function globMatcher(pattern: string): (path: string) => boolean {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new GlobError(
      pattern,
      `is longer than ${MAX_PATTERN_LENGTH} characters`,
    );
  }
  if (/[@!+*?]\(/.test(pattern)) {
    throw new GlobError(
      pattern,
      'uses an extended glob (@(...), +(...), !(...)), which Ripple does not support',
    );
  }
  if (pattern.includes('[:')) {
    throw new GlobError(
      pattern,
      'uses a POSIX class ([[:alpha:]]), which Ripple does not support',
    );
  }
  const compiled = expandBraces(pattern).map(parsePattern);
  return path => {
    const parts = path.split('/');
    return compiled.some(segments => matchPath(segments, parts));
  };
}

/** The patterns `{a,b}` and `{1..3}` braces expand to, at most {@link MAX_EXPANSIONS}. */
function expandBraces(pattern: string): string[] {
  const out: string[] = [];
  const walk = (p: string, from: number) => {
    const brace = findBrace(p, from);
    if (!brace) {
      out.push(p);
      if (out.length > MAX_EXPANSIONS) {
        throw new GlobError(
          pattern,
          `expands to more than ${MAX_EXPANSIONS} patterns`,
        );
      }
      return;
    }
    for (const alternative of brace.alternatives) {
      walk(
        p.slice(0, brace.start) + alternative + p.slice(brace.end + 1),
        brace.start,
      );
    }
  };
  walk(pattern, 0);
  return out;
}

/** The first brace from `from` with alternatives (a lone `{x}` is literal). */
function findBrace(
  p: string,
  from: number,
): { start: number; end: number; alternatives: string[] } | undefined {
  for (let start = from; start < p.length; start++) {
    if (p[start] === '\\') {
      start++;
      continue;
    }
    if (p[start] !== '{') continue;
    // Its closing brace, and its top-level commas.
    let depth = 0;
    const commas: number[] = [];
    let end = -1;
    for (let i = start + 1; i < p.length && end < 0; i++) {
      const c = p[i];
      if (c === '\\') i++;
      else if (c === '{') depth++;
      else if (c === '}') {
        if (depth === 0) end = i;
        else depth--;
      } else if (c === ',' && depth === 0) commas.push(i);
    }
    if (end < 0) return undefined;
    if (commas.length > 0) {
      const cuts = [start, ...commas, end];
      return {
        start,
        end,
        alternatives: cuts.slice(1).map((cut, i) => p.slice(cuts[i] + 1, cut)),
      };
    }
    const range = braceRange(p.slice(start + 1, end));
    if (range) return { start, end, alternatives: range };
  }
  return undefined;
}

/** `1..3` or `a..c`; undefined for anything else (a literal brace). */
function braceRange(body: string): string[] | undefined {
  const dots = body.indexOf('..');
  if (dots < 0) return undefined;
  const [from, to] = [body.slice(0, dots), body.slice(dots + 2)];
  const isInt = (s: string) => /^-?\d{1,9}$/.test(s);
  let values: number[] | undefined;
  let letters = false;
  if (isInt(from) && isInt(to)) {
    values = [Number(from), Number(to)];
  } else if (/^[a-zA-Z]$/.test(from) && /^[a-zA-Z]$/.test(to)) {
    values = [from.charCodeAt(0), to.charCodeAt(0)];
    letters = true;
  }
  if (!values) return undefined;
  const [a, b] = values;
  if (Math.abs(b - a) >= MAX_EXPANSIONS) {
    throw new GlobError(
      `{${body}}`,
      `expands to more than ${MAX_EXPANSIONS} patterns`,
    );
  }
  const step = a <= b ? 1 : -1;
  const out: string[] = [];
  for (let v = a; v !== b + step; v += step) {
    out.push(letters ? String.fromCharCode(v) : String(v));
  }
  return out;
}

function parsePattern(pattern: string): Segment[] {
  return pattern
    .split('/')
    .map(part =>
      part === '**'
        ? { globstar: true }
        : { globstar: false, tokens: tokenize(part) },
    );
}

function tokenize(segment: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '\\' && i + 1 < segment.length) {
      tokens.push({ kind: 'char', char: segment[++i] });
    } else if (c === '*') {
      // Consecutive stars are one.
      if (tokens[tokens.length - 1]?.kind !== 'star')
        tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
    } else if (c === '[') {
      const parsed = parseClass(segment, i);
      if (parsed) {
        tokens.push(parsed.token);
        i = parsed.end;
      } else {
        tokens.push({ kind: 'char', char: c });
      }
    } else {
      tokens.push({ kind: 'char', char: c });
    }
  }
  return tokens;
}

/** A `[...]` class starting at `start`, or undefined when it does not close. */
function parseClass(
  segment: string,
  start: number,
): { token: Token; end: number } | undefined {
  let i = start + 1;
  const negated = segment[i] === '!' || segment[i] === '^';
  if (negated) i++;
  const ranges: Array<[string, string]> = [];
  // A `]` first is a member, not the end.
  let first = true;
  for (; i < segment.length; i++) {
    let c = segment[i];
    if (c === ']' && !first) {
      return { token: { kind: 'class', negated, ranges }, end: i };
    }
    first = false;
    if (c === '\\' && i + 1 < segment.length) c = segment[++i];
    if (
      segment[i + 1] === '-' &&
      i + 2 < segment.length &&
      segment[i + 2] !== ']'
    ) {
      let to = segment[i + 2];
      i += 2;
      if (to === '\\' && i + 1 < segment.length) to = segment[++i];
      ranges.push([c, to]);
    } else {
      ranges.push([c, c]);
    }
  }
  return undefined;
}

function matchesOne(token: Token, c: string): boolean {
  switch (token.kind) {
    case 'char':
      return token.char === c;
    case 'any':
      return true;
    case 'class': {
      const inside = token.ranges.some(([from, to]) => c >= from && c <= to);
      return inside !== token.negated;
    }
    default:
      return false;
  }
}

/**
 * One segment against one name: the greedy wildcard algorithm, which on a
 * mismatch goes back only to the last star (at most tokens × characters
 * steps, never exponential).
 */
function matchSegment(tokens: Token[], name: string): boolean {
  // A wildcard does not match a leading dot (minimatch's default).
  if (name.startsWith('.')) {
    const head = tokens[0];
    if (!(head?.kind === 'char' && head.char === '.')) return false;
  }
  let t = 0;
  let n = 0;
  let starT = -1;
  let starN = 0;
  while (n < name.length) {
    const token = tokens[t];
    if (token && token.kind !== 'star' && matchesOne(token, name[n])) {
      t++;
      n++;
    } else if (token?.kind === 'star') {
      starT = t++;
      starN = n;
    } else if (starT >= 0) {
      t = starT + 1;
      n = ++starN;
    } else {
      return false;
    }
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

/**
 * The segments against the path's names, by dynamic programming from the
 * end: `ok[j]` tells whether segments i.. match names j.., one row per
 * segment, so the work is segments × names matches of one name each.
 */
function matchPath(segments: Segment[], names: string[]): boolean {
  let next = new Uint8Array(names.length + 1);
  next[names.length] = 1;
  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i];
    const row = new Uint8Array(names.length + 1);
    for (let j = names.length; j >= 0; j--) {
      if (segment.globstar) {
        const enter = j < names.length && !names[j].startsWith('.');
        // A last `**` after a folder (`models/**`) needs a name below it,
        // as in minimatch; elsewhere it may match no folder at all.
        const empty = i === segments.length - 1 && i > 0 ? false : next[j];
        row[j] = empty || (enter && (row[j + 1] || next[j + 1])) ? 1 : 0;
      } else {
        row[j] =
          j < names.length &&
          next[j + 1] &&
          matchSegment(segment.tokens, names[j])
            ? 1
            : 0;
      }
    }
    next = row;
  }
  return next[0] === 1;
}
