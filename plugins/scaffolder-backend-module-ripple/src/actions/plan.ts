import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { ChangeSpec, Schema } from '@ripple/engine';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withEngine } from '../engine';
import {
  defaultPlanDirectory,
  STEP_PLAN_DIALECTS,
  stepPlanFiles,
  type PlanFile,
  type StepPlanDialect,
} from '../stepPlan';
import { resolveInWorkspace } from '../workspace';
import { examples } from './plan.examples';
import { changeInput } from './inputs';

/** A change given as JSON text, parsed to read its dataset and dialect. */
function changeObject(change: unknown): {
  dataset?: unknown;
  dialect?: unknown;
} {
  if (typeof change !== 'string') return change as Record<string, unknown>;
  try {
    return JSON.parse(change);
  } catch {
    // The engine names the line and column of malformed JSON.
    return {};
  }
}

/**
 * `ripple:plan`: the change's whole step plan on the dataset's warehouse
 * (expand, backfill, verify, switch, contract) as SQL files in the
 * workspace, for a template's pull request: one file per step, its
 * rollback next to it, and the contract's approval statements, which delete
 * data for good, in their own file.
 */
export function createRipplePlanAction() {
  return createTemplateAction({
    id: 'ripple:plan',
    description:
      "Writes a change's step plan (expand, backfill, verify, switch, contract) as SQL files in the workspace: `01_expand.sql` … `05_contract.sql`, each step's rollback in `<step>.rollback.sql`, and the contract's approval statements (they delete the old data for good) in `05_contract.approval.sql`. Replaces ripple:compat-view",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        change: changeInput,
        dialect: z =>
          z
            .enum(STEP_PLAN_DIALECTS)
            .optional()
            .describe(
              "The warehouse's dialect (duckdb, postgres, bigquery or snowflake); defaults to the change spec's `dialect`",
            ),
        schema: z =>
          z
            .union([z.string(), z.record(z.unknown())])
            .describe(
              'The dataset\'s table as it is before the change, every column with its type, as an object or its JSON text: `{"tables": {"shop.orders": {"columns": [{"name": "id", "type": "BIGINT"}]}}}`',
            ),
        key: z =>
          z
            .string()
            .optional()
            .describe(
              "The column the backfill copies by, in ranges; defaults to the table's first column",
            ),
        batchRows: z =>
          z
            .number()
            .int()
            .min(1)
            .optional()
            .describe('Rows per backfill batch; defaults to 100000'),
        directory: z =>
          z
            .string()
            .optional()
            .describe(
              'Where the files go, relative to the workspace; a new folder (one that holds files is refused). Defaults to `migrations/<dataset>`',
            ),
      },
      output: {
        directory: z =>
          z
            .string()
            .describe(
              'The folder the files were written to, relative to the workspace',
            ),
        files: z =>
          z
            .array(z.string())
            .describe('The files written, in order, relative to the workspace'),
        layout: z =>
          z
            .enum(['move', 'versioned'])
            .describe(
              "`move`: the data moves to the change's new table; `versioned`: the table keeps its name and the data moves to a new version of it",
            ),
        newTable: z =>
          z.string().describe('The table the backfill copies the data into'),
        oldTable: z =>
          z
            .string()
            .describe(
              "Where the switch moves today's table, until the approval drops it",
            ),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const spec = changeObject(input.change);
      const given =
        input.directory ??
        defaultPlanDirectory(
          typeof spec.dataset === 'string' ? spec.dataset : '',
        );
      const directory = resolveInWorkspace(
        ctx.workspacePath,
        given,
        'directory',
      );
      if (await hasEntries(directory)) {
        throw new InputError(
          `directory: '${given}' already holds files; name a new folder for this plan`,
        );
      }
      if (
        input.dialect === undefined &&
        !STEP_PLAN_DIALECTS.includes(spec.dialect as StepPlanDialect)
      ) {
        throw new InputError(
          `dialect: a step plan needs a warehouse's dialect (${STEP_PLAN_DIALECTS.join(
            ', ',
          )}); give \`dialect\` or the change spec's \`dialect\``,
        );
      }
      const schema =
        typeof input.schema === 'string'
          ? input.schema
          : (input.schema as unknown as Schema);
      const plan = await withEngine(engine =>
        engine.stepPlan(input.change as unknown as ChangeSpec, {
          ...(input.dialect && { dialect: input.dialect }),
          schema: schema as Schema,
          ...(input.key !== undefined && { key: input.key }),
          ...(input.batchRows !== undefined && { batch_rows: input.batchRows }),
        }),
      );
      const files = stepPlanFiles(plan);
      await writeFiles(directory, files);
      const relative = path
        .relative(ctx.workspacePath, directory)
        .split(path.sep)
        .join('/');
      ctx.logger.info(
        `Step plan of ${plan.dataset} (${plan.layout}) in ${relative}: ${files
          .map(f => f.path)
          .join(', ')}`,
      );
      ctx.output('directory', relative);
      ctx.output(
        'files',
        files.map(f => `${relative}/${f.path}`),
      );
      ctx.output('layout', plan.layout);
      ctx.output('newTable', plan.new_table);
      ctx.output('oldTable', plan.old_table);
    },
  });
}

async function hasEntries(dir: string): Promise<boolean> {
  const entries = await fs.readdir(dir).catch(() => []);
  return entries.length > 0;
}

/**
 * Writes the files in a folder next to the target and renames it there, so
 * that a failure leaves no half-written plan behind.
 */
async function writeFiles(dir: string, files: PlanFile[]) {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const staging = await fs.mkdtemp(`${dir}.tmp-`);
  try {
    for (const file of files) {
      // `wx`: nothing already there (a link) is followed or overwritten.
      await fs.writeFile(path.join(staging, file.path), file.content, {
        flag: 'wx',
      });
    }
    // (An empty folder may already be there.)
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(staging, dir);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
}
