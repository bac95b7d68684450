import { applyPatchToFiles } from '@ripple/backstage-plugin-ripple-node';
import type { ConsumerCode } from '../agent/ConsumerSources';
import { compiledModel } from './compiledModel';
import type { PatchedFile } from './statements';

/**
 * The consumer's code files a patch edits, each with its text and its
 * patched text: the patch's diff applied (exactly, as the delivery methods
 * apply it) to the code it was made from. Property and project files (YAML)
 * hold no query and are left out. A file with dbt's compiled SQL in the
 * repository (`target/compiled/`) comes with it. A diff that does not
 * apply is an error naming the file.
 */
export async function patchedFiles(
  code: ConsumerCode,
  diff: string,
): Promise<{ files: PatchedFile[] } | { conflict: string }> {
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
  const files: PatchedFile[] = [];
  for (const file of applied.files) {
    if (!isCode.has(file.path) || file.content === undefined) continue;
    const compiled = compiledModel(code, file.path);
    files.push({
      path: file.path,
      text: texts.get(file.path)!,
      patched: file.content,
      ...(compiled ? { compiled } : {}),
    });
  }
  return { files };
}
