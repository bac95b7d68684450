import type { z as zod } from 'zod/v3';

// The outputs several actions share, described once.

type Z = typeof zod;

export const projectOutput = (z: Z) =>
  z
    .object({
      origins: z.array(
        z.object({
          table: z.string(),
          origin: z.enum([
            'explicit',
            'catalog',
            'seed',
            'sql',
            'manifest',
            'properties',
          ]),
          path: z.string().optional(),
          columns: z.array(z.string()),
        }),
      ),
      conflicts: z.array(z.object({ table: z.string(), message: z.string() })),
      problems: z.array(z.string()),
    })
    .optional()
    .describe(
      "With `project`: where each table's columns came from (`origin`: `explicit` for the `schema` input, `catalog`, `seed`, `sql`, `manifest`, `properties`; `path`: the file), the tables whose origins disagreed (left unknown) and the files that could not be read; each conflict and problem is logged as a warning too",
    );

export const warningsOutput = (z: Z) =>
  z
    .array(
      z.object({
        dataset: z.string(),
        closest: z.array(z.string()),
        message: z.string(),
      }),
    )
    .describe(
      "What looks wrong with the run as a whole, as the CLI report's `warnings`: no file names the dataset (as a table, `ref()` or `source()`, nor as a source that declares it), with the closest names the files use (`source('ecom', 'raw_orders')`)",
    );
