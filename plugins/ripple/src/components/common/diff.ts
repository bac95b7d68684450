import type { PatchReason } from '@ripple/backstage-plugin-ripple-common';

/** One line of a unified diff, with its numbers in the old and new file. */
export type DiffLine =
  | { kind: 'hunk'; text: string }
  | { kind: 'context'; text: string; oldLine: number; newLine: number }
  | { kind: 'removed'; text: string; oldLine: number }
  | { kind: 'added'; text: string; newLine: number }
  | { kind: 'meta'; text: string };

/** One file of a diff, each of its lines with the reasons placed after it. */
export type DiffFile = {
  path: string;
  lines: { line: DiffLine; reasons: PatchReason[] }[];
};

/**
 * A patch's diff split by file, with each reason placed after the line of
 * the original file it starts on (its `line` is in the code the patch was
 * made from, which context and removed lines show), and the reasons no line
 * of the diff shows: about a whole file, a file the diff does not touch, or
 * a line outside its hunks.
 */
export function placeReasons(
  diff: string,
  reasons: PatchReason[],
): { files: DiffFile[]; elsewhere: PatchReason[] } {
  const files = parseDiff(diff);
  const byLine = new Map<string, PatchReason[]>();
  for (const reason of reasons) {
    if (reason.line === undefined) continue;
    const key = `${reason.path}\0${reason.line}`;
    byLine.set(key, [...(byLine.get(key) ?? []), reason]);
  }
  const placed = new Set<PatchReason>();
  for (const file of files) {
    for (const entry of file.lines) {
      const { line } = entry;
      if (line.kind !== 'context' && line.kind !== 'removed') continue;
      const here = byLine.get(`${file.path}\0${line.oldLine}`) ?? [];
      entry.reasons = here;
      here.forEach(r => placed.add(r));
    }
  }
  return { files, elsewhere: reasons.filter(r => !placed.has(r)) };
}

/** The files of a unified diff as `git diff` and the engine write it. */
export function parseDiff(diff: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | undefined;
  let oldLine = 0;
  let newLine = 0;
  const push = (line: DiffLine) => file?.lines.push({ line, reasons: [] });
  const lines = diff.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    if (text.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      const after = lines[i + 1].slice(4);
      const before = text.slice(4);
      // A deleted file names /dev/null as its new side.
      const named = after === '/dev/null' ? before : after;
      file = { path: named.replace(/^[ab]\//, ''), lines: [] };
      files.push(file);
      i += 1;
      continue;
    }
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      push({ kind: 'hunk', text });
    } else if (text.startsWith(' ')) {
      push({ kind: 'context', text: text.slice(1), oldLine, newLine });
      oldLine += 1;
      newLine += 1;
    } else if (text.startsWith('-')) {
      push({ kind: 'removed', text: text.slice(1), oldLine });
      oldLine += 1;
    } else if (text.startsWith('+')) {
      push({ kind: 'added', text: text.slice(1), newLine });
      newLine += 1;
    } else if (text.startsWith('\\')) {
      push({ kind: 'meta', text });
    }
  }
  return files;
}
