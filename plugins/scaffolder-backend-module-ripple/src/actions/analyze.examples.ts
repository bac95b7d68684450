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
];
