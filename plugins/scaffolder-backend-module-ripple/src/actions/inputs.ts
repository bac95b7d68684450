import type { z as zod } from 'zod/v3';

// The inputs several actions share, described once. Defaults are applied by
// the handlers: the scaffolder validates inputs but does not fill defaults in.

type Z = typeof zod;

export const DIALECTS = [
  'ansi',
  'bigquery',
  'databricks',
  'duckdb',
  'generic',
  'hive',
  'mysql',
  'postgres',
  'redshift',
  'snowflake',
  'spark',
] as const;

export const sourcePathInput = (z: Z) =>
  z
    .string()
    .optional()
    .describe(
      "The consumer's code in the workspace (where fetch:plain put the repository); `paths` and the files' paths are relative to it. Defaults to the workspace itself",
    );

export const pathsInput = (z: Z) =>
  z
    .array(z.string())
    .optional()
    .describe(
      'Files, folders (walked for .sql, .py, .java and .scala files; by ripple:rewrite, for dbt property files, .yml and .yaml, too) or globs (`models/**/*.sql`), relative to `sourcePath`. Defaults to `["."]`',
    );

export const dialectInput = (z: Z) =>
  z
    .enum(DIALECTS)
    .optional()
    .describe(
      "The consumers' SQL dialect; defaults to the change spec's `dialect`, then `generic`",
    );

export const schemaInput = (z: Z) =>
  z
    .union([z.string(), z.record(z.unknown())])
    .optional()
    .describe(
      'Known tables and their columns, as an object or its JSON text: `{"tables": {"proj.ds.orders": {"columns": [{"name": "id", "type": "INT64"}]}}}`',
    );

export const changeInput = (z: Z) =>
  z
    .union([z.string(), z.record(z.unknown())])
    .describe(
      'The change spec, as an object or its JSON text: `{"dataset": "proj.ds.orders", "changes": [{"kind": "rename_column", "column": "amount", "to": "amount_usd"}]}` (the same format as the CLI and the Ripple API)',
    );

export const projectInput = (z: Z) =>
  z
    .string()
    .optional()
    .describe(
      "A dbt project in the workspace (the folder holding dbt_project.yml, relative to the workspace): the schemas it already knows (its models' SQL through refs, seeds, property files, target/manifest.json and target/catalog.json, as `ripple project` reads them) are used for the analysis, `schema` winning where both name a table, and the sources it declares map a dataset named by its warehouse relation to the source models call",
    );
