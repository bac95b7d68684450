import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  patchReason,
  reasonText,
} from '@ripple/backstage-plugin-ripple-common';
import type { RewriteStatus } from '@ripple/engine';
import fs from 'node:fs/promises';
import path from 'node:path';
import { rewriteConsumer } from '../consumerRewrite';
import {
  deriveProject,
  logProject,
  projectReport,
  readProjectFiles,
} from '../dbtProject';
import { readDbtSources } from '../dbtSources';
import { withEngine } from '../engine';
import { dialectOf } from '../inputValues';
import {
  assertWritableInPlace,
  readConsumerFiles,
  resolveInWorkspace,
} from '../workspace';
import {
  changeInput,
  dialectInput,
  pathsInput,
  projectInput,
  schemaInput,
  sourcePathInput,
} from './inputs';
import { projectOutput, warningsOutput } from './outputs';
import { examples } from './rewrite.examples';

/**
 * `ripple:rewrite`: rewrites consumer code in the workspace for a change,
 * editing only what must change, and puts the changed files where
 * `publish:github:pull-request` (its `sourcePath`) or a later step takes them.
 */
export function createRippleRewriteAction() {
  return createTemplateAction({
    id: 'ripple:rewrite',
    description:
      "Rewrites consumer code in the workspace for a dataset change with Ripple's engine, and the dbt property files among it (`.yml`, `.yaml`) after the code. With `outputDir`, only the changed files are written there (same relative paths), ready to be the `sourcePath` of publish:github:pull-request; without it, the files are rewritten in place",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        change: changeInput,
        sourcePath: sourcePathInput,
        paths: pathsInput,
        dialect: dialectInput,
        schema: schemaInput,
        project: projectInput,
        outputDir: z =>
          z
            .string()
            .optional()
            .describe(
              'A new folder in the workspace for the changed files only, at their paths relative to `sourcePath`; without it the files are rewritten in place',
            ),
        dryRun: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Compute the statuses and the diff but write nothing (default false)',
            ),
      },
      output: {
        summary: z =>
          z
            .object({
              files: z.number(),
              rewritten: z.number(),
              unaffected: z.number(),
              needs_edit: z.number(),
              needs_review: z
                .number()
                .describe(
                  'Deprecated: `needs_edit` under its old name, until 0.3',
                ),
              error: z.number(),
              edits: z.number(),
            })
            .describe("Counts per status, as the CLI's `--report` gives them"),
        files: z =>
          z
            .array(
              z.object({
                path: z.string(),
                status: z.enum([
                  'rewritten',
                  'unaffected',
                  'needs_edit',
                  'error',
                ]),
                reasons: z.array(z.string()),
                findings: z.array(
                  z.object({
                    kind: z.string(),
                    severity: z.enum(['note', 'needs_edit', 'error']),
                    line: z.number().optional(),
                    column: z.number().optional(),
                    endLine: z.number().optional(),
                    endColumn: z.number().optional(),
                    message: z.string(),
                  }),
                ),
                edits: z.number(),
              }),
            )
            .describe(
              "Per file: `rewritten`, `unaffected`, `needs_edit` (a person must edit by hand) or `error`; what the status is about, as `findings` (each with its kind, severity, line and column, as the API's patch reasons) and as `reasons` (each `line N, column M: message`); and the edits made",
            ),
        changed: z =>
          z
            .array(z.string())
            .describe('The files whose content changed (relative paths)'),
        diff: z =>
          z
            .string()
            .describe(
              'One unified diff of every change, paths relative to `sourcePath` (`git apply` takes it)',
            ),
        warnings: warningsOutput,
        project: projectOutput,
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const root = resolveInWorkspace(
        ctx.workspacePath,
        input.sourcePath ?? '.',
        'sourcePath',
      );
      const outputDir =
        input.outputDir === undefined
          ? undefined
          : resolveInWorkspace(ctx.workspacePath, input.outputDir, 'outputDir');
      if (outputDir && (await hasEntries(outputDir))) {
        throw new InputError(
          `outputDir: '${input.outputDir}' already holds files; name a new folder so that only the changed files are in it`,
        );
      }
      const projectFiles =
        input.project === undefined
          ? undefined
          : await readProjectFiles(ctx.workspacePath, input.project);
      const files = await readConsumerFiles(root, input.paths ?? ['.'], {
        properties: true,
      });
      const sources = await readDbtSources(root);
      // Every file is rewritten before anything is written, so a refused
      // change or schema leaves the workspace as it was.
      const { project, rewrites, warnings } = await withEngine(engine => {
        const derived =
          projectFiles &&
          deriveProject(engine, projectFiles, {
            dialect: dialectOf(input),
            schema: input.schema,
            change: input.change,
          });
        return {
          project: derived,
          ...rewriteConsumer(
            engine,
            files,
            {
              change: input.change,
              dialect: input.dialect,
              schema: derived ? derived.schema : input.schema,
            },
            [...sources, ...(derived?.sources ?? [])],
          ),
        };
      });
      if (project) {
        logProject(ctx.logger, input.project!, project);
      }

      const changed = rewrites.flatMap((rewrite, i) =>
        rewrite.content !== undefined && rewrite.content !== files[i].text
          ? [{ path: files[i].path, content: rewrite.content }]
          : [],
      );
      const summary = {
        files: rewrites.length,
        rewritten: count(rewrites, 'rewritten'),
        unaffected: count(rewrites, 'unaffected'),
        needs_edit: count(rewrites, 'needs_edit'),
        // The old name of `needs_edit`, kept until 0.3.
        needs_review: count(rewrites, 'needs_edit'),
        error: count(rewrites, 'error'),
        edits: rewrites.reduce((sum, r) => sum + r.edits, 0),
      };

      if (input.dryRun) {
        ctx.logger.info(
          `Dry run: ${changed.length} of ${files.length} files would change; nothing written`,
        );
      } else if (outputDir) {
        await writeFolder(outputDir, changed);
        ctx.logger.info(
          `Wrote the ${changed.length} changed files of ${files.length} to ${input.outputDir}`,
        );
      } else {
        // Every target is checked before the first write.
        await assertWritableInPlace(
          root,
          changed.map(file => file.path),
        );
        for (const file of changed) {
          await writeAtomically(path.join(root, file.path), file.content);
        }
        ctx.logger.info(
          `Rewrote ${changed.length} of ${files.length} files in place`,
        );
      }
      // Each finding as the API gives a patch's reasons, and as text.
      const reports = rewrites.map(({ path: p, status, findings, edits }) => {
        const reasons = findings.map(f => {
          const { path: _file, ...reason } = patchReason(p, f);
          return reason;
        });
        return {
          path: p,
          status,
          reasons: reasons.map(reasonText),
          findings: reasons,
          edits,
        };
      });
      for (const report of reports) {
        for (const reason of report.reasons) {
          ctx.logger.info(`${report.path}: ${report.status}: ${reason}`);
        }
      }

      ctx.output('summary', summary);
      ctx.output('files', reports);
      ctx.output(
        'changed',
        changed.map(file => file.path),
      );
      ctx.output('diff', rewrites.map(r => r.patch ?? '').join(''));
      for (const warning of warnings) {
        ctx.logger.warn(warning.message);
      }
      ctx.output('warnings', warnings);
      if (project) {
        ctx.output('project', projectReport(project));
      }
    },
  });
}

function count(rewrites: { status: RewriteStatus }[], status: RewriteStatus) {
  return rewrites.filter(r => r.status === status).length;
}

async function hasEntries(dir: string): Promise<boolean> {
  const entries = await fs.readdir(dir).catch(() => []);
  return entries.length > 0;
}

/**
 * Writes the folder next to its final place and renames it there, so a
 * failure leaves no half-filled `outputDir` behind.
 */
async function writeFolder(
  dir: string,
  files: { path: string; content: string }[],
) {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const staging = await fs.mkdtemp(`${dir}.tmp-`);
  try {
    for (const file of files) {
      const target = path.join(staging, file.path);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, file.content);
    }
    // (An empty outputDir may already exist.)
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(staging, dir);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}

async function writeAtomically(file: string, content: string) {
  const temporary = `${file}.ripple-${process.pid}`;
  const { mode } = await fs.stat(file);
  // `wx`: a link already at the temporary name is not followed.
  await fs.writeFile(temporary, content, { mode, flag: 'wx' });
  await fs.rename(temporary, file);
}
