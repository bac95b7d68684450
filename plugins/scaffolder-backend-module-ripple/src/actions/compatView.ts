import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { ChangeSpec, Schema } from '@ripple/engine';
import { withEngine } from '../engine';
import { examples } from './compatView.examples';
import { changeInput, dialectInput, schemaInput } from './inputs';

/**
 * `ripple:compat-view`: the DDL of the compatibility view that keeps
 * consumers of a moved dataset working while they migrate, and the DDL that
 * removes it afterwards.
 *
 * Deprecated for `ripple:plan`, whose switch step holds the same view and
 * whose other steps create, fill, check and clean up the new table. Kept,
 * with its inputs and outputs unchanged, so that templates using it keep
 * working (it works for every dialect and without column types, which a
 * step plan needs); it logs a warning.
 */
export function createRippleCompatViewAction() {
  return createTemplateAction({
    id: 'ripple:compat-view',
    description:
      'Deprecated: use ripple:plan, which writes the whole step plan (the same view is its switch step). Builds the DDL of a compatibility view for a change that moves a dataset (rename_table or replace_table): a view under the old name exposing the old columns from the new table, and the cleanup DDL that drops it',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        change: changeInput,
        dialect: dialectInput,
        schema: z =>
          schemaInput(z).describe(
            "The dataset's table as it is before the change (object or JSON text). With it the view lists every old column in order, casting retyped columns back and exposing dropped ones as typed NULLs; dropped or retyped columns need it",
          ),
      },
      output: {
        view: z =>
          z.string().describe("The view's name: the dataset's old name"),
        table: z =>
          z.string().describe('The table the view reads: the new name'),
        ddl: z =>
          z
            .string()
            .describe(
              'Creates (or replaces) the view; statements end with `;`',
            ),
        cleanupDdl: z =>
          z
            .string()
            .describe('Drops the view once every consumer has migrated'),
      },
    },
    async handler(ctx) {
      ctx.logger.warn(
        'ripple:compat-view is deprecated: use ripple:plan, which writes the whole step plan as SQL files (the compatibility view is its switch step)',
      );
      const view = await withEngine(engine =>
        engine.compatView(ctx.input.change as unknown as ChangeSpec, {
          dialect: ctx.input.dialect,
          schema: ctx.input.schema as Schema | undefined,
        }),
      );
      ctx.logger.info(`Compatibility view ${view.view} over ${view.table}`);
      ctx.output('view', view.view);
      ctx.output('table', view.table);
      ctx.output('ddl', view.create);
      ctx.output('cleanupDdl', view.cleanup);
    },
  });
}
