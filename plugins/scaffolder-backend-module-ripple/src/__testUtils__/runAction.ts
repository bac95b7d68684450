import type { LoggerService } from '@backstage/backend-plugin-api';
import type { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import type { JsonObject } from '@backstage/types';
import { validate } from 'jsonschema';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Runs an action as the scaffolder does: its input validated against the
 * action's JSON schema first, then the handler on a real workspace folder.
 * Resolves to what the action output.
 */
export async function runAction(
  action: TemplateAction<any, any>,
  workspacePath: string,
  input: JsonObject,
  options: { isDryRun?: boolean; logger?: LoggerService } = {},
): Promise<Record<string, any>> {
  const result = validate(input, action.schema?.input ?? {});
  if (!result.valid) {
    throw new Error(`invalid input: ${result.errors.join('; ')}`);
  }
  const outputs: Record<string, any> = {};
  // (The mock context takes neither `output` nor `isDryRun` as options.)
  const ctx = {
    ...createMockActionContext({
      workspacePath,
      input,
      ...(options.logger && { logger: options.logger }),
    }),
    isDryRun: options.isDryRun,
    output: (name: string | number | symbol, value: unknown) => {
      outputs[String(name)] = value;
    },
  };
  await action.handler(ctx);
  const outputCheck = validate(outputs, action.schema?.output ?? {});
  if (!outputCheck.valid) {
    throw new Error(`invalid output: ${outputCheck.errors.join('; ')}`);
  }
  return outputs;
}

/** Every file below a folder, relative paths to contents. */
export function readTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, {
    withFileTypes: true,
    recursive: true,
  })) {
    if (entry.isFile()) {
      const absolute = path.join(entry.parentPath, entry.name);
      files[path.relative(dir, absolute)] = fs.readFileSync(absolute, 'utf8');
    }
  }
  return files;
}

/** The example consumers (examples/consumers), whose code the tests copy. */
export const exampleConsumers = path.resolve(
  __dirname,
  '../../../../examples/consumers',
);
