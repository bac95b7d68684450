import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { Schema } from '@ripple/engine';
import {
  deriveProject,
  logProject,
  projectReport,
  readProjectFiles,
} from '../dbtProject';
import { readDbtSources, sourceNames, tableOfSource } from '../dbtSources';
import { withEngine } from '../engine';
import { unmatched } from '../unmatched';
import { readConsumerFiles, resolveInWorkspace } from '../workspace';
import { examples } from './analyze.examples';
import {
  dialectInput,
  pathsInput,
  projectInput,
  schemaInput,
  sourcePathInput,
} from './inputs';
import { projectOutput, warningsOutput } from './outputs';

/**
 * `ripple:analyze`: what consumer code in the workspace reads and writes,
 * column by column, summed up for the steps after it.
 */
export function createRippleAnalyzeAction() {
  return createTemplateAction({
    id: 'ripple:analyze',
    description:
      "Analyses consumer code in the workspace with Ripple's engine: the tables and columns each file reads and writes, and every reference to them",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        sourcePath: sourcePathInput,
        paths: pathsInput,
        dialect: dialectInput,
        schema: schemaInput,
        project: projectInput,
        dataset: z =>
          z
            .string()
            .optional()
            .describe(
              'A dataset (`proj.ds.orders`, or a dbt source by its warehouse relation, `raw.raw_orders`): when no file names it, `warnings` says so, with the closest names the files use',
            ),
      },
      output: {
        summary: z =>
          z
            .object({
              files: z.number(),
              statements: z.number(),
              files_with_errors: z.number(),
              tables: z.number(),
              columns: z.number(),
              references: z.number(),
            })
            .describe(
              'Counts: files analysed, statements, files with error diagnostics, distinct tables, distinct table columns read, references to tables and columns',
            ),
        files: z =>
          z
            .array(
              z.object({
                path: z.string(),
                language: z.string(),
                tables: z.array(z.string()),
                references: z.number(),
                diagnostics: z.array(z.string()),
              }),
            )
            .describe(
              'Per file: its language, the tables it reads or writes, its reference count and its diagnostics (`line:column: message`)',
            ),
        tables: z =>
          z
            .array(
              z.object({
                table: z.string(),
                columns: z.array(z.string()),
                files: z.array(z.string()),
              }),
            )
            .describe(
              'Per table, as the code names it (a dbt source by the table its sources.yml maps it to): the columns read (`*` when unknown) and the files that read or write it',
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
      const projectFiles =
        input.project === undefined
          ? undefined
          : await readProjectFiles(ctx.workspacePath, input.project);
      const files = await readConsumerFiles(root, input.paths ?? ['.']);
      const declared = await readDbtSources(root);
      const { project, analyses, sources, warnings } = await withEngine(
        engine => {
          const derived =
            projectFiles &&
            deriveProject(engine, projectFiles, {
              dialect: input.dialect,
              schema: input.schema,
            });
          const schema = (derived ? derived.schema : input.schema) as
            | Schema
            | string
            | undefined;
          const known = [...declared, ...(derived?.sources ?? [])];
          return {
            project: derived,
            sources: known,
            analyses: files.map(file =>
              engine.analyze(file.path, file.text, {
                dialect: input.dialect,
                schema,
              }),
            ),
            // (Analysed once: the engine keeps the analyses just made.)
            warnings:
              input.dataset === undefined
                ? []
                : unmatched(
                    engine,
                    input.dataset,
                    sourceNames(known, input.dataset),
                    files,
                    { dialect: input.dialect, schema },
                  ),
          };
        },
      );
      if (project) {
        logProject(ctx.logger, input.project!, project);
      }

      const tables = new Map<
        string,
        { columns: Set<string>; files: Set<string> }
      >();
      const tableOf = (name: string) => {
        let table = tables.get(name);
        if (!table) {
          table = { columns: new Set(), files: new Set() };
          tables.set(name, table);
        }
        return table;
      };
      let statements = 0;
      let references = 0;
      const perFile = analyses.map(analysis => {
        // A dbt model's source is named by the table sources.yml maps it to.
        const tableName = (name: string) =>
          analysis.language === 'dbt' ? tableOfSource(sources, name) : name;
        const named = new Set<string>();
        let fileReferences = 0;
        for (const statement of analysis.statements) {
          statements += 1;
          fileReferences += statement.references.length;
          for (const read of statement.reads) {
            const name = tableName(read.table);
            const table = tableOf(name);
            read.columns.forEach(column => table.columns.add(column));
            table.files.add(analysis.path);
            named.add(name);
          }
          for (const write of statement.writes) {
            tableOf(write.table).files.add(analysis.path);
            named.add(write.table);
          }
        }
        references += fileReferences;
        return {
          path: analysis.path,
          language: analysis.language,
          tables: [...named].sort(),
          references: fileReferences,
          diagnostics: analysis.diagnostics.map(
            d => `${d.line}:${d.column}: ${d.severity}: ${d.message}`,
          ),
        };
      });
      const tableList = [...tables]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([table, { columns, files: readers }]) => ({
          table,
          columns: [...columns],
          files: [...readers].sort(),
        }));
      const summary = {
        files: analyses.length,
        statements,
        files_with_errors: analyses.filter(a =>
          a.diagnostics.some(d => d.severity === 'error'),
        ).length,
        tables: tableList.length,
        columns: tableList.reduce(
          (sum, t) => sum + t.columns.filter(c => c !== '*').length,
          0,
        ),
        references,
      };
      ctx.logger.info(
        `Analysed ${summary.files} files: ${summary.tables} tables, ${summary.columns} columns read, ${summary.references} references`,
      );
      ctx.output('summary', summary);
      ctx.output('files', perFile);
      ctx.output('tables', tableList);
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
