import { applyPatch, parsePatch, reversePatch } from 'diff';

/** A file as a patch leaves it; `content` undefined: deleted. */
export type PatchedFile = { path: string; content: string | undefined };

/**
 * Applies a unified diff (the engine's, `--- a/x` / `+++ b/x`) to files read
 * through `read`, exactly (no fuzz, as `git apply` does by default), for
 * hosts where there is no git to run it: the changed files, or the first
 * file it does not apply to and why. Paths are placed below `directory`.
 */
export async function applyPatchToFiles(
  diff: string,
  directory: string,
  read: (path: string) => Promise<string | undefined>,
  options: { reverse?: boolean } = {},
): Promise<{ files: PatchedFile[] } | { conflict: string }> {
  const files: PatchedFile[] = [];
  for (const parsed of parsePatch(diff)) {
    const filePatch = options.reverse ? reversePatch(parsed) : parsed;
    const oldPath = stripPrefix(filePatch.oldFileName);
    const newPath = stripPrefix(filePatch.newFileName);
    const path = join(directory, (newPath ?? oldPath)!);
    const current = oldPath ? await read(join(directory, oldPath)) : '';
    if (current === undefined) {
      return { conflict: `${path}: no such file` };
    }
    const patched = applyPatch(current, filePatch);
    if (patched === false) {
      return { conflict: `${path}: the patch does not apply` };
    }
    files.push({ path, content: newPath ? patched : undefined });
  }
  return { files };
}

// `a/x` → `x`; `/dev/null` → undefined (a created or deleted file).
function stripPrefix(name: string | undefined): string | undefined {
  if (!name || name === '/dev/null') {
    return undefined;
  }
  return name.replace(/^[ab]\//, '');
}

function join(directory: string, path: string): string {
  return directory ? `${directory}/${path}` : path;
}
