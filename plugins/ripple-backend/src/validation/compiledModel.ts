import { structuredPatch } from 'diff';
import { parse as parseYaml } from 'yaml';
import type { ConsumerCode, SourceFile } from '../agent/ConsumerSources';

/**
 * dbt's compiled SQL of the model at `modelPath` (relative to the project's
 * root), when the consumer's repository holds it: dbt writes it to
 * `target/compiled/<project name>/<model path>`, the name being
 * `dbt_project.yml`'s `name`.
 */
export function compiledModel(
  code: ConsumerCode,
  modelPath: string,
): SourceFile | undefined {
  const project = code.project?.find(
    f => f.path === 'dbt_project.yml' || f.path === 'dbt_project.yaml',
  );
  if (!project || !code.compiled?.length) return undefined;
  let name: unknown;
  try {
    name = parseYaml(project.text)?.name;
  } catch {
    return undefined;
  }
  if (typeof name !== 'string' || !name) return undefined;
  const path = `target/compiled/${name}/${modelPath}`;
  return code.compiled.find(f => f.path === path);
}

/**
 * The compiled SQL with the patch of its model applied: the patch edits the
 * model's source, so each of its edits (the model's text against its
 * patched text, line by line) is made to the compiled SQL where the lines
 * it replaces are, verbatim and exactly once (with the lines around them
 * when they alone are there more than once). An edit of a line holding
 * Jinja (which the compiled SQL holds rendered), or of lines the compiled
 * SQL does not hold once, cannot be placed: the result is then why.
 */
export function compiledPatch(
  model: { path: string; text: string; patched: string },
  compiled: SourceFile,
): { patched: string } | { skip: string } {
  const oldLines = model.text.split('\n');
  const target = compiled.text.split('\n');
  const jinja = jinjaLines(model.text);
  const { hunks } = structuredPatch('', '', model.text, model.patched, '', '', {
    context: 0,
  });
  const edits: { at: number; remove: number; insert: string[] }[] = [];
  for (const hunk of hunks) {
    // With no context, `oldStart` is the first line replaced (1-based), or
    // the line before which lines are inserted (jsdiff 8, unlike `diff -U0`).
    const first = hunk.oldStart - 1;
    const removed = hunk.lines.filter(l => l[0] === '-').map(l => l.slice(1));
    const added = hunk.lines.filter(l => l[0] === '+').map(l => l.slice(1));
    const edited = [...removed, ...added];
    const jinjaAt = [...Array(hunk.oldLines).keys()].find(i =>
      jinja.has(first + i),
    );
    if (jinjaAt !== undefined || edited.some(hasJinjaTag)) {
      const line = first + (jinjaAt ?? 0) + 1;
      return {
        skip: `the patch edits Jinja at line ${line} of ${model.path}, which ${compiled.path} holds rendered`,
      };
    }
    const placed = place(oldLines, jinja, target, first, removed);
    if (typeof placed === 'string') {
      const line = first + 1;
      return {
        skip:
          placed === 'none'
            ? `${compiled.path} is stale: line ${line} of ${model.path} is not in it (or is in a Jinja branch dbt did not render); run \`dbt compile\` again`
            : `line ${line} of ${model.path} is in ${compiled.path} more than once: the patch cannot be placed in it`,
      };
    }
    edits.push({
      at: placed.at,
      remove: removed.length,
      insert: added,
    });
  }
  for (let i = 1; i < edits.length; i++) {
    if (edits[i].at < edits[i - 1].at + edits[i - 1].remove) {
      return {
        skip: `the patch's edits of ${model.path} are not in its order in ${compiled.path}`,
      };
    }
  }
  for (const edit of [...edits].reverse()) {
    target.splice(edit.at, edit.remove, ...edit.insert);
  }
  return { patched: target.join('\n') };
}

/** Up to this many lines around an edit are matched too, to make it unique. */
const MAX_CONTEXT = 5;

/**
 * Where in `target` the `removed` lines (from the model's line index
 * `first`; none for an insertion before it) are: the index of the first,
 * found exactly once with as few model lines around it as make it unique
 * (lines without Jinja only, at least one for an insertion), or `none` or
 * `many`.
 */
function place(
  model: string[],
  jinja: Set<number>,
  target: string[],
  first: number,
  removed: string[],
): { at: number } | 'none' | 'many' {
  let before = 0;
  let after = 0;
  const plain = (i: number) => i >= 0 && i < model.length && !jinja.has(i);
  for (;;) {
    const block = [
      ...model.slice(first - before, first),
      ...removed,
      ...model.slice(first + removed.length, first + removed.length + after),
    ];
    const found = block.length ? occurrences(target, block, 2) : [];
    if (found.length === 1) return { at: found[0] + before };
    if (block.length && found.length === 0) return 'none';
    const wider = plain(first - before - 1);
    const longer = plain(first + removed.length + after);
    if ((!wider && !longer) || before + after >= 2 * MAX_CONTEXT) {
      return block.length ? 'many' : 'none';
    }
    if (wider && (before <= after || !longer)) before++;
    else after++;
  }
}

/** Where `block` starts in `lines`, up to `limit` places. */
function occurrences(lines: string[], block: string[], limit: number) {
  const found: number[] = [];
  for (let i = 0; i + block.length <= lines.length; i++) {
    if (block.every((line, j) => lines[i + j] === line)) {
      found.push(i);
      if (found.length === limit) break;
    }
  }
  return found;
}

function hasJinjaTag(line: string): boolean {
  return /\{\{|\{%|\{#|\}\}|%\}|#\}/.test(line);
}

/**
 * The indexes of the model's lines that hold any Jinja: an expression, a
 * statement or a comment (`{{ }}`, `{% %}`, `{# #}`), spanning lines or not.
 */
function jinjaLines(text: string): Set<number> {
  const lines = new Set<number>();
  const tag = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g;
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
    starts.push(i + 1);
  }
  const lineOf = (offset: number) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  for (const match of text.matchAll(tag)) {
    const start = lineOf(match.index);
    const end = lineOf(match.index + match[0].length);
    for (let line = start; line <= end; line++) lines.add(line);
  }
  return lines;
}
