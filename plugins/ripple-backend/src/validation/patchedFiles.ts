import { applyPatchToFiles } from '@ripple/backstage-plugin-ripple-node';
import type { ConsumerCode } from '../agent/ConsumerSources';

/**
 * The consumer's code files a patch edits, each with its text and its
 * patched text: the patch's diff applied (exactly, as the delivery methods
 * apply it) to the code it was made from. Property and project files (YAML)
 * hold no query and are left out. A diff that does not apply is an error
 * naming the file.
 */
export async function patchedFiles(
  code: ConsumerCode,
  diff: string,
): Promise<
  | { files: { path: string; text: string; patched: string }[] }
  | { conflict: string }
> {
  const texts = new Map<string, string>();
  for (const file of [
    ...(code.project ?? []),
    ...(code.properties ?? []),
    ...code.files,
  ]) {
    texts.set(file.path, file.text);
  }
  const applied = await applyPatchToFiles(diff, '', async path =>
    texts.get(path),
  );
  if ('conflict' in applied) return applied;
  const isCode = new Set(code.files.map(f => f.path));
  return {
    files: applied.files.flatMap(file =>
      isCode.has(file.path) && file.content !== undefined
        ? [
            {
              path: file.path,
              text: texts.get(file.path)!,
              patched: file.content,
            },
          ]
        : [],
    ),
  };
}
