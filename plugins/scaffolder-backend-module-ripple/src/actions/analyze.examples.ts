import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Analyse every consumer file of a repository fetched into ./consumer',
    example: yaml.stringify({
      steps: [
        {
          id: 'analyze',
          action: 'ripple:analyze',
          name: 'Analyse the consumer',
          input: { sourcePath: 'consumer', dialect: 'bigquery' },
        },
      ],
    }),
  },
  {
    description:
      'Analyse the dbt models only, with the columns of a table so that SELECT * expands',
    example: yaml.stringify({
      steps: [
        {
          id: 'analyze',
          action: 'ripple:analyze',
          name: 'Analyse the models',
          input: {
            paths: ['models/**/*.sql'],
            dialect: 'bigquery',
            schema: {
              tables: {
                'proj.ds.orders': {
                  columns: [
                    { name: 'id', type: 'INT64' },
                    { name: 'amount', type: 'NUMERIC' },
                  ],
                },
              },
            },
          },
        },
      ],
    }),
  },
  {
    description:
      'Analyse a dbt project with the schemas it already knows (models through refs, seeds, property files, target/catalog.json), and warn when no model names a dataset',
    example: yaml.stringify({
      steps: [
        {
          id: 'analyze',
          action: 'ripple:analyze',
          name: 'Analyse the dbt project',
          input: {
            sourcePath: 'consumer',
            project: 'consumer',
            dialect: 'duckdb',
            dataset: 'raw.raw_orders',
          },
        },
      ],
    }),
  },
];
